"""The arrival's own writes: its stage on the transfer row, and its end (workflows/arrival.py).

The pull itself is `national_db.pull` (activities/national_db.py), through the national database's client.
"""
from temporalio import activity

from activities.base import ActivityGroup, now
from services import arrivals
from workflows.contracts import ArrivalDoneInput, ArrivalStageInput, TransferInput


class ArrivalActivities(ActivityGroup):
    @activity.defn(name="arrivals.begin")
    async def begin(self, inp: TransferInput) -> str:
        """Record the first stage; the rule the account step runs under in the arrival's profile version."""
        async with self.db.session() as session:
            await arrivals.set_stage(inp.transfer_id, "account", session=session)
        return arrivals.account_rule(inp.profile, inp.profile_version)

    @activity.defn(name="arrivals.stage")
    async def stage(self, inp: ArrivalStageInput) -> None:
        async with self.db.session() as session:
            await arrivals.set_stage(inp.transfer_id, inp.stage, session=session)

    @activity.defn(name="arrivals.finish")
    async def finish(self, inp: ArrivalDoneInput) -> None:
        async with self.db.session() as session:
            await arrivals.finish(inp.transfer_id, inp.revision_id, now(), session=session)

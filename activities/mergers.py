from temporalio import activity

from activities.base import ActivityGroup, now
from services import mergers
from workflows.contracts import MergerBatchInput, MergerProgress


class MergerActivities(ActivityGroup):
    @activity.defn(name="mergers.move_batch")
    async def move_batch(self, inp: MergerBatchInput) -> MergerProgress:
        """One transaction: up to `limit` people moved with their merger_moves rows, and the progress."""
        async with self.db.session() as session:
            return await mergers.move_batch(inp.merger_id, inp.limit, session=session, beat=activity.heartbeat)

    @activity.defn(name="mergers.finish")
    async def finish(self, merger_id: int) -> int:
        """Close the old unit and its sub-units; how many people are left to move first (0: done)."""
        async with self.db.session() as session:
            return await mergers.finish(merger_id, session=session, now=now())

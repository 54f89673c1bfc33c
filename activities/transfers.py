"""The I/O of the transfer workflow (workflows/transfer.py) beyond its human tasks: its stage, its cancel,
the archive of a leaver once the status change is approved."""
from temporalio import activity

from activities.base import ActivityGroup, now
from services import moves, notify
from workflows.contracts import TransferCancelInput, TransferCancelled, TransferStageInput


class TransferActivities(ActivityGroup):
    @activity.defn(name="transfers.stage")
    async def stage(self, inp: TransferStageInput) -> None:
        async with self.db.session() as session:
            await moves.set_stage(inp.transfer_id, inp.stage, session=session, now=now())

    @activity.defn(name="transfers.cancel")
    async def cancel(self, inp: TransferCancelInput) -> TransferCancelled:
        """Close the open tasks as cancelled and mark the transfer cancelled, unless the database says the
        handover (a leaving: its approval) came first."""
        async with self.db.session() as session:
            result = await moves.cancel(inp, now(), session=session)
        for task_id in result.task_ids:
            async with self.db.session() as session:
                await notify.mail_pending(self.settings, f"task{task_id}/cancelled", session=session)
        return result

    @activity.defn(name="transfers.archive")
    async def archive(self, transfer_id: int) -> None:
        async with self.db.session() as session:
            await moves.archive(transfer_id, now(), session=session)

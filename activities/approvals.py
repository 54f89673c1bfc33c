from temporalio import activity

from activities.base import ActivityGroup, now
from services import approvals, deadlines
from rules.clock import local_date
from workflows.contracts import (
    ApprovalInput, ApprovalItemsInput, ApprovalOpened, Enqueued, EnqueueInput, ProvinceApprovalInput, UnitSignedInput,
)
from workflows.monthly_approval import workflow_id
from workflows.province_approval import workflow_id as province_workflow_id


class ApprovalActivities(ActivityGroup):
    @activity.defn(name="approvals.enqueue")
    async def enqueue(self, inp: EnqueueInput) -> Enqueued:
        """Signal-with-start the approval of the revision's unit and month."""
        async with self.db.session() as session:
            calendar = await deadlines.working_calendar(session=session)
            target = await approvals.target(inp.revision_id, local_date(now()), calendar, session=session)
            await self._attach_workflow(session, inp)
        wid = workflow_id(target.unit_id, target.month)
        await self.client.start_workflow(
            "MonthlyApproval", target, id=wid, task_queue=activity.info().task_queue,
            start_signal="add_revision", start_signal_args=[inp.revision_id])
        return Enqueued(wid, target.month)

    async def _attach_workflow(self, session, inp: EnqueueInput) -> None:
        from models import ProfileRevision
        revision = await session.get(ProfileRevision, inp.revision_id)
        revision.workflow_id = inp.workflow_id

    @activity.defn(name="approvals.open")
    async def open(self, inp: ApprovalInput) -> ApprovalOpened:
        async with self.db.session() as session:
            calendar = await deadlines.working_calendar(session=session)
            return await approvals.open_approval(inp, activity.info().workflow_id, calendar, session=session)

    @activity.defn(name="approvals.add_items")
    async def add_items(self, inp: ApprovalItemsInput) -> None:
        async with self.db.session() as session:
            await approvals.add_items(inp.approval_id, inp.revision_ids, session=session)

    @activity.defn(name="approvals.forward")
    async def forward(self, inp: ApprovalItemsInput) -> None:
        """Revisions that reached a closed month go to the next month's approval."""
        from models import ProfileRevision
        for revision_id in inp.revision_ids:
            async with self.db.session() as session:
                revision = await session.get(ProfileRevision, revision_id)
                owner = revision.workflow_id
            await self.enqueue(EnqueueInput(revision_id, owner))

    @activity.defn(name="approvals.report_to_province")
    async def report_to_province(self, inp: UnitSignedInput) -> bool:
        """Signal-with-start the month's province-level approval where the profile has one."""
        async with self.db.session() as session:
            province = await approvals.province_input(inp.approval_id, session=session)
        if province is None:
            return False
        await self.client.start_workflow(
            "ProvinceApproval", province, id=province_workflow_id(province.month),
            task_queue=activity.info().task_queue, start_signal="unit_signed", start_signal_args=[inp.approval_id])
        return True

    @activity.defn(name="approvals.open_province")
    async def open_province(self, inp: ProvinceApprovalInput) -> ApprovalOpened:
        async with self.db.session() as session:
            calendar = await deadlines.working_calendar(session=session)
            return await approvals.open_province(inp, activity.info().workflow_id, calendar, session=session)

    @activity.defn(name="approvals.add_units")
    async def add_units(self, inp: ApprovalItemsInput) -> None:
        async with self.db.session() as session:
            await approvals.add_units(inp.approval_id, inp.revision_ids, session=session)

    @activity.defn(name="approvals.province_unit")
    async def province_unit(self, approval_id: int) -> int:
        async with self.db.session() as session:
            return (await approvals.province_root(session=session)).id

    @activity.defn(name="approvals.close")
    async def close(self, approval_id: int) -> None:
        async with self.db.session() as session:
            await approvals.close(approval_id, session=session)

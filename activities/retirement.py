"""The retirement workflow's I/O: its plan, the tasks it withdraws, the leaving on the date, and the
daily scan that starts (or re-signals) one workflow per person."""
import asyncio
from datetime import date

from temporalio import activity
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.base import ActivityGroup, now
from rules.clock import local_date
from services import deadlines, retirement
from workflows.contracts import (
    LeavingInput, LeavingOpened, Recheck, RetirementInput, RetirementPlan, RetirementPlanInput, ScanBatch,
    ScanBatchInput, WithdrawInput,
)
from workflows.retirement import workflow_id

# RPCs to the Temporal server at once, within one batch
CONCURRENT_STARTS = 20


class RetirementActivities(ActivityGroup):
    @activity.defn(name="retirement.plan")
    async def plan(self, inp: RetirementPlanInput) -> RetirementPlan:
        async with self.db.session() as session:
            calendar = await deadlines.working_calendar(session=session)
            return await retirement.plan(inp, local_date(now()), calendar, session=session)

    @activity.defn(name="retirement.withdraw")
    async def withdraw(self, inp: WithdrawInput) -> int:
        async with self.db.session() as session:
            return await retirement.withdraw_tasks(inp.workflow_id, inp.retirement_date, now(), session=session)

    @activity.defn(name="retirement.open_leaving")
    async def open_leaving(self, inp: LeavingInput) -> LeavingOpened:
        async with self.db.session() as session:
            return await retirement.open_leaving(inp, session=session)

    @activity.defn(name="retirement.scan")
    async def scan(self, inp: ScanBatchInput) -> ScanBatch:
        """One page of the daily scan: start each person's workflow, or signal the running one with the
        date the record gives today (signal-with-start). REJECT_DUPLICATE: a workflow that has ended
        (retired, or stopped by an operator) is never started again for the same person."""
        today = date.fromisoformat(inp.today) if inp.today else local_date(now())
        async with self.db.session() as session:
            found = await retirement.scan_candidates(inp.after_id, inp.limit, today, session=session)
        gate = asyncio.Semaphore(CONCURRENT_STARTS)

        async def touch(person_id: int, retires: date) -> bool:
            async with gate:
                try:
                    await self.client.start_workflow(
                        "Retirement", RetirementInput(person_id), id=workflow_id(person_id),
                        task_queue=activity.info().task_queue, id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                        start_signal=retirement.RECHECK, start_signal_args=[Recheck(retires.isoformat(), "scan")])
                    return True
                except WorkflowAlreadyStartedError:  # the person's workflow has ended: one per person, ever
                    return False

        touched = await asyncio.gather(*(touch(pid, retires) for pid, retires in found))
        return ScanBatch(today=today.isoformat(), last_id=found[-1][0] if found else inp.after_id, found=len(found),
                         ended=touched.count(False), done=len(found) < inp.limit)

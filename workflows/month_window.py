"""What the unit's and the province's monthly approvals share: open the month's approval, wait
for the profile's window, collect what arrives, and sign while late arrivals still join the open
signing task. One signature closes the month: what arrives after it is handed on."""
import asyncio
from datetime import datetime, timedelta

from temporalio import workflow

from workflows.contracts import ApprovalItemsInput, ApprovalOpened, TaskResult
from workflows.human_task import HumanTasks, HumanTaskWorkflow, StepSpec, activity


class MonthWindowWorkflow(HumanTaskWorkflow):
    incoming: list[int]

    def arrive(self, item_id: int, *, known: list[int] = ()) -> None:
        if item_id not in self.incoming and item_id not in known:
            self.incoming.append(item_id)

    async def open_window(self, open_fn, inp) -> ApprovalOpened:
        """Record the month's approval, then sleep until its window opens (collecting meanwhile)."""
        opened = await activity(open_fn, inp)
        self.tasks = HumanTasks(workflow_id=workflow.info().workflow_id, profile=inp.profile,
                                profile_version=inp.profile_version)
        if opened.opens_at:
            wait = datetime.fromisoformat(opened.opens_at) - workflow.now()
            if wait > timedelta(0):
                await workflow.sleep(wait)
        return opened

    async def take(self, add_fn, approval_id: int) -> list[int]:
        """Add what has arrived to the month's approval."""
        taken, self.incoming = self.incoming, []
        if taken:
            await activity(add_fn, ApprovalItemsInput(approval_id, taken))
        return taken

    async def sign_collecting(self, spec: StepSpec, add_fn, approval_id: int) -> TaskResult:
        """Run the signing task; what arrives while it is open joins the batch it signs."""
        signing = asyncio.ensure_future(self.tasks.run(spec))
        while not signing.done():
            await workflow.wait_condition(lambda: bool(self.incoming) or signing.done())
            if not signing.done():
                await self.take(add_fn, approval_id)
        return signing.result()

    def after_signature(self) -> list[int]:
        """What arrived once the month was signed: it belongs to a later month."""
        late, self.incoming = self.incoming, []
        return late

"""The province level of a month (`province-approval/{yyyy-mm}`), where the profile has one: the
Director of Sở Nội vụ signs the units' signed approvals within the last days of the month
(Quảng Ngãi Đ6.2)."""
import asyncio
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import ApprovalItemsInput, ApprovalOpened, ProvinceApprovalInput, UnitSignedInput
    from workflows.human_task import HumanTasks, HumanTaskWorkflow, StepSpec, activity


def workflow_id(month: str) -> str:
    return f"province-approval/{month}"


@workflow.defn(name="ProvinceApproval")
class ProvinceApprovalWorkflow(HumanTaskWorkflow):
    def __init__(self) -> None:
        self.incoming: list[int] = []
        self.tasks: HumanTasks | None = None

    @workflow.signal(name="unit_signed")
    def unit_signed(self, approval_id: int) -> None:
        if approval_id not in self.incoming:
            self.incoming.append(approval_id)

    @workflow.run
    async def run(self, inp: ProvinceApprovalInput) -> str:
        opened = await activity("approvals.open_province", inp, ApprovalOpened)
        self.tasks = HumanTasks(workflow_id=workflow.info().workflow_id, profile=inp.profile,
                                profile_version=inp.profile_version)
        if opened.opens_at:
            wait = datetime.fromisoformat(opened.opens_at) - workflow.now()
            if wait > timedelta(0):
                await workflow.sleep(wait)
        if not self.incoming:
            return "empty"
        await self._sign(inp, opened.approval_id)
        # One signature closes the province's month: units signing later go to the next month.
        while self.incoming:
            taken, self.incoming = self.incoming, []
            for approval_id in taken:
                await activity("approvals.report_to_province", UnitSignedInput(approval_id), bool)
        return "signed"

    async def _sign(self, inp: ProvinceApprovalInput, approval_id: int) -> None:
        taken, self.incoming = self.incoming, []
        await activity("approvals.add_units", ApprovalItemsInput(approval_id, taken))
        signing = asyncio.ensure_future(self.tasks.run(StepSpec(
            step_key="province", kind="sign_province", rule="province_approval",
            start=f"{inp.month}-01", default_actor="sonoivu_director", person_id=None,
            unit_id=await activity("approvals.province_unit", approval_id, int))))
        while not signing.done():  # units signing meanwhile join this signature
            await workflow.wait_condition(lambda: bool(self.incoming) or signing.done())
            if self.incoming and not signing.done():
                taken, self.incoming = self.incoming, []
                await activity("approvals.add_units", ApprovalItemsInput(approval_id, taken))

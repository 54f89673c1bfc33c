"""The province level of a month (`province-approval/{yyyy-mm}`), where the profile has one: the
Director of Sở Nội vụ signs the units' signed approvals within the last days of the month
(Quảng Ngãi Đ6.2)."""
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import workflows.calls as calls
    from workflows.contracts import ProvinceApprovalInput, UnitSignedInput
    from workflows.human_task import HumanTasks, StepSpec, activity
    from workflows.month_window import MonthWindowWorkflow


def workflow_id(month: str) -> str:
    return f"province-approval/{month}"


@workflow.defn(name="ProvinceApproval")
class ProvinceApprovalWorkflow(MonthWindowWorkflow):
    def __init__(self) -> None:
        self.incoming: list[int] = []
        self.tasks: HumanTasks | None = None

    @workflow.signal(name="unit_signed")
    def unit_signed(self, approval_id: int) -> None:
        self.arrive(approval_id)

    @workflow.run
    async def run(self, inp: ProvinceApprovalInput) -> str:
        opened = await self.open_window(calls.open_province, inp)
        if not self.incoming:
            return "empty"
        await self.take(calls.add_units, opened.approval_id)
        await self.sign_collecting(StepSpec(
            step_key="province", kind="sign_province", rule="province_approval", start=f"{inp.month}-01",
            default_actor="sonoivu_director", person_id=None,
            unit_id=await activity(calls.province_unit, opened.approval_id), signs=True),
            calls.add_units, opened.approval_id)
        # One signature closes the province's month: units signing later go to the next month.
        while late := self.after_signature():
            for approval_id in late:
                await activity(calls.report_to_province, UnitSignedInput(approval_id))
        return "signed"

"""One unit's monthly approval (`approval/{unit}/{yyyy-mm}`): collects the month's reviewed
revisions, opens the head's signing task when the profile's window opens, escalates a missed
cutoff to Sở Nội vụ, tells each revision's workflow the decision and syncs approved data."""
import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    import workflows.calls as calls
    from workflows.contracts import (
        ApprovalDecision, ApprovalInput, ApprovalItemsInput, ExportInput, SendInput, UnitSignedInput,
    )
    from workflows.human_task import HumanTasks, StepSpec, activity
    from workflows.month_window import MonthWindowWorkflow

EXPORT_TIMEOUT = timedelta(minutes=2)
SYNC_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=10))


def workflow_id(unit_id: int, month: str) -> str:
    return f"approval/{unit_id}/{month}"


@workflow.defn(name="MonthlyApproval")
class MonthlyApprovalWorkflow(MonthWindowWorkflow):
    def __init__(self) -> None:
        self.incoming: list[int] = []
        self.pending: list[int] = []
        self.tasks: HumanTasks | None = None
        self.syncs: list[asyncio.Task] = []
        self.stage = "waiting"

    @workflow.signal(name="add_revision")
    def add_revision(self, revision_id: int) -> None:
        self.arrive(revision_id, known=self.pending)

    @workflow.run
    async def run(self, inp: ApprovalInput) -> str:
        opened = await self.open_window(calls.open_approval, inp)
        self.pending.extend(await self.take(calls.add_items, opened.approval_id))
        if self.pending:
            await self._sign(inp, opened.approval_id)
        while late := self.after_signature():  # one signature closes the unit's month: to the next one
            await activity(calls.forward, ApprovalItemsInput(opened.approval_id, late))
        for outcome in await asyncio.gather(*self.syncs, return_exceptions=True):
            if isinstance(outcome, BaseException):  # a sync stays failed in the outbox for Sở Nội vụ
                workflow.logger.warning("national sync or export failed: %s", outcome)
        await activity(calls.close_approval, opened.approval_id)
        self.stage = "closed"
        return "closed"

    async def _sign(self, inp: ApprovalInput, approval_id: int) -> None:
        self.stage = "signing"
        result = await self.sign_collecting(StepSpec(
            step_key="sign", kind="sign_approval", rule="monthly_approval", start=f"{inp.month}-01",
            default_actor="unit_head", person_id=None, unit_id=inp.unit_id, chain="sonoivu_at_due", signs=True),
            calls.add_items, approval_id)
        # The signature is committed: first what must not be lost (sync, province), then the news.
        for outbox_id in result.result.get("outbox_ids", []):
            self.syncs.append(asyncio.ensure_future(workflow.execute_activity(
                calls.send_to_national, SendInput(outbox_id), start_to_close_timeout=timedelta(seconds=60),
                retry_policy=SYNC_RETRY)))
        for item in result.result.get("decisions", []):
            if item["decision"] == "approved":  # the export is signed now, with the signer's key
                self.syncs.append(asyncio.ensure_future(workflow.execute_activity(
                    calls.produce_export, ExportInput(item["revision_id"], result.result["signer_id"],
                                                      result.result["signed_as"]),
                    start_to_close_timeout=EXPORT_TIMEOUT, retry_policy=SYNC_RETRY)))
        await activity(calls.report_to_province, UnitSignedInput(result.result["approval_id"]))
        decided_on = result.result.get("decided_on")
        for item in result.result.get("decisions", []):
            decision = ApprovalDecision(item["revision_id"], item["decision"], item.get("reason"), decided_on)
            try:
                await workflow.get_external_workflow_handle(item["workflow_id"]).signal("approval_decided", decision)
            except Exception as err:  # noqa: BLE001 - a closed revision workflow must not undo the month
                workflow.logger.warning("decision for revision %s not delivered: %s", item["revision_id"], err)
            if item["revision_id"] in self.pending:
                self.pending.remove(item["revision_id"])
        self.stage = "signed"

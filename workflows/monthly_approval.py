"""One unit's monthly approval (`approval/{unit}/{yyyy-mm}`): collects the month's reviewed
revisions, opens the head's signing task when the profile's window opens, escalates a missed
cutoff to Sở Nội vụ, tells each revision's workflow the decision and syncs approved data."""
import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        ApprovalDecision, ApprovalInput, ApprovalItemsInput, ApprovalOpened, SendInput, SendResult,
        UnitSignedInput,
    )
    from workflows.human_task import HumanTasks, HumanTaskWorkflow, StepSpec, activity

SYNC_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=10))


def workflow_id(unit_id: int, month: str) -> str:
    return f"approval/{unit_id}/{month}"


@workflow.defn(name="MonthlyApproval")
class MonthlyApprovalWorkflow(HumanTaskWorkflow):
    def __init__(self) -> None:
        self.incoming: list[int] = []
        self.pending: list[int] = []
        self.tasks: HumanTasks | None = None
        self.syncs: list[asyncio.Task] = []
        self.stage = "waiting"

    @workflow.signal(name="add_revision")
    def add_revision(self, revision_id: int) -> None:
        if revision_id not in self.incoming and revision_id not in self.pending:
            self.incoming.append(revision_id)

    @workflow.run
    async def run(self, inp: ApprovalInput) -> str:
        opened = await activity("approvals.open", inp, ApprovalOpened)
        self.tasks = HumanTasks(workflow_id=workflow.info().workflow_id, profile=inp.profile,
                                profile_version=inp.profile_version)
        if opened.opens_at:  # revisions reviewed before the window wait for it
            await self._sleep_until(datetime.fromisoformat(opened.opens_at))
        await self._take_incoming(opened.approval_id)
        if self.pending:
            await self._sign(inp, opened.approval_id)
        # One signature closes the unit's month: what arrives later belongs to the next month.
        while self.incoming:
            taken, self.incoming = self.incoming, []
            await activity("approvals.forward", ApprovalItemsInput(opened.approval_id, taken))
        for outcome in await asyncio.gather(*self.syncs, return_exceptions=True):
            if isinstance(outcome, BaseException):  # the row stays failed in the outbox for Sở Nội vụ
                workflow.logger.warning("national sync failed: %s", outcome)
        await activity("approvals.close", opened.approval_id)
        self.stage = "closed"
        return "closed"

    async def _take_incoming(self, approval_id: int) -> None:
        if self.incoming:
            taken, self.incoming = self.incoming, []
            await activity("approvals.add_items", ApprovalItemsInput(approval_id, taken))
            self.pending.extend(taken)

    async def _sign(self, inp: ApprovalInput, approval_id: int) -> None:
        self.stage = "signing"
        signing = asyncio.ensure_future(self.tasks.run(StepSpec(
            step_key="sign", kind="sign_approval", rule="monthly_approval", start=f"{inp.month}-01",
            default_actor="unit_head", person_id=None, unit_id=inp.unit_id, chain="sonoivu_at_due")))
        while not signing.done():  # revisions reviewed while the task is open join the batch
            await workflow.wait_condition(lambda: bool(self.incoming) or signing.done())
            await self._take_incoming(approval_id)
        result = signing.result()
        # The signature is committed: first what must not be lost (sync, province), then the news.
        for outbox_id in result.result.get("outbox_ids", []):
            self.syncs.append(asyncio.ensure_future(workflow.execute_activity(
                "national_db.send", SendInput(outbox_id), result_type=SendResult,
                start_to_close_timeout=timedelta(seconds=60), retry_policy=SYNC_RETRY)))
        await activity("approvals.report_to_province", UnitSignedInput(result.result["approval_id"]), bool)
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

    async def _sleep_until(self, moment: datetime) -> None:
        wait = moment - workflow.now()
        if wait > timedelta(0):
            await workflow.sleep(wait)

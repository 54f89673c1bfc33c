"""Arrival from a ministry or another province (Quảng Ngãi Đ9.1, Hải Phòng Đ9.1.a), workflow `transfer/{id}`:
the receiving unit's HR creates the account → Sở Nội vụ pulls the record from the national database (its task,
counted from the request) → the person checks and completes it → HR reviews (maybe returns) → the month's
approval (the head may return it too) → the person is active and the transfer done.

The person was registered in the receiving unit when the arrival was requested (services/transfers.py); the
record they bring is the one the national database holds, pulled through the same adapter as the outgoing sync.
"""
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from rules.clock import local_date
    import workflows.calls as calls
    from workflows.approval_gate import ApprovalGate, AwaitsApproval
    from workflows.contracts import (
        ArrivalDoneInput, ArrivalStageInput, CompleteTaskInput, PullInput, TaskResult, TransferInput,
    )
    from workflows.human_task import HumanTasks, StepSpec, activity

# The pull is an HTTP call (the client's timeout is 10 s): someone waits on the page, so a few attempts, then
# the refusal reaches them and the task stays open.
PULL_TIMEOUT = timedelta(seconds=30)
PULL_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=4),
                         maximum_attempts=3)


@workflow.defn(name="Arrival")
class ArrivalWorkflow(AwaitsApproval):
    def __init__(self) -> None:
        self.tasks: HumanTasks | None = None
        self.gate = ApprovalGate()
        self.stage = "starting"
        self.inp: TransferInput | None = None

    @workflow.run
    async def run(self, inp: TransferInput) -> str:
        self.inp = inp
        self.tasks = HumanTasks(workflow_id=workflow.info().workflow_id, profile=inp.profile,
                                profile_version=inp.profile_version)
        self.stage = "account"
        account_rule = await activity(calls.begin_arrival, inp)
        handover = inp.paper_file_on or inp.effective_on  # the file handed over with the person, else the decision
        account = await self.tasks.run(self._step(
            "account", "create_account", account_rule or None, handover, "unit_hr",
            {"handover": handover, "receipt": handover, "effective_date": inp.effective_on, "hire": inp.effective_on}))
        requested = local_date(account.completed_at).isoformat()  # the account made, the request goes to Sở Nội vụ
        await self._stage("sync")
        await self.tasks.run(self._step("sync", "pull_national", "arrival_sync", requested, "sonoivu_admin",
                                        {"request": requested}))
        start, starts, attempt = requested, {"account": requested}, 1
        while True:
            await self._stage("self_entry")
            await self.tasks.run(self._step(f"self_entry#{attempt}", "self_entry", "self_entry", start, "person",
                                            starts))
            await self._stage("review")
            review = await self.tasks.run(self._step(f"review#{attempt}", "review_entry", None, start, "unit_hr"))
            attempt += 1
            if review.outcome != "accept":  # returned by HR: a fresh deadline from the return
                start, starts = local_date(review.completed_at).isoformat(), {}
                continue
            revision_id = int(review.result["revision_id"])
            await self._stage("approval")
            decision = await self.gate.submit(revision_id)
            if decision.decision == "approved":
                break
            start, starts = decision.decided_on, {}  # returned by the head: back to the person, fresh deadline
        await activity(calls.finish_arrival, ArrivalDoneInput(inp.transfer_id, revision_id))
        self.stage = "done"
        return "approved"

    def _step(self, key: str, kind: str, rule: str | None, start: str, actor: str,
              starts: dict[str, str] | None = None) -> StepSpec:
        return StepSpec(step_key=key, kind=kind, rule=rule, start=start, default_actor=actor,
                        person_id=self.inp.person_id, unit_id=self.inp.unit_id, starts=dict(starts or {}))

    async def _stage(self, stage: str) -> None:
        self.stage = stage
        await activity(calls.arrival_stage, ArrivalStageInput(self.inp.transfer_id, stage))

    # Completing Sở Nội vụ's task first pulls the record (its own activity, no transaction held during the HTTP
    # call), then closes the task with the draft it stored, as every other completion.
    @workflow.update(name="complete_task")
    async def complete_task(self, update: CompleteTaskInput) -> TaskResult:
        await self.tasks.opened(update)
        if self.stage == "sync":
            update = await self._pull(update)
        return await self.tasks.complete(update)

    @complete_task.validator
    def validate_complete_task(self, update: CompleteTaskInput) -> None:
        if self.tasks is None:
            raise ValueError("Quy trình chưa sẵn sàng.")
        self.tasks.validate(update)

    async def _pull(self, update: CompleteTaskInput) -> CompleteTaskInput:
        self.tasks.completing.add(update.task_id)  # a second completion meanwhile is refused by the validator
        try:
            pulled = await workflow.execute_activity(
                calls.pull_national, PullInput(update.task_id, update.actor_user_id),
                start_to_close_timeout=PULL_TIMEOUT, retry_policy=PULL_RETRY)
        except ActivityError as err:  # not found, unreachable, not matching: the task stays open
            cause = err.cause if isinstance(err.cause, ApplicationError) else None
            if cause is None or not cause.details or not isinstance(cause.details[0], dict):
                raise ApplicationError("Không lấy được hồ sơ từ CSDL quốc gia do lỗi hệ thống; vui lòng thử lại sau.",
                                       {"code": "system_error", "status": 503}, type="system_error",
                                       non_retryable=True) from err
            raise ApplicationError(cause.message, *cause.details, type=cause.type, non_retryable=True) from err
        finally:
            self.tasks.completing.discard(update.task_id)
        return CompleteTaskInput(update.task_id, update.outcome, update.actor_user_id,
                                 {**update.data, "revision_id": pulled.revision_id, "remote_id": pulled.remote_id})

"""The one human-task primitive every deadline-bound step goes through.

open the task row → wait for a completing Update → remind before the due date → escalate to
the unit head at the due time and to Sở Nội vụ later → record each step (activities).
"""
import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from workflows import calls
from workflows.contracts import (
    CompleteTaskInput, MilestoneInput, OpenedTask, OpenTaskInput, Schedule, ScheduleInput, SignersInput, TaskResult,
)

ACTIVITY_TIMEOUT = timedelta(seconds=30)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
# Someone is waiting on the page: a completion that keeps failing is reported, not retried forever.
COMPLETE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=4)
# Signing may wait on a token or a remote signing service: a longer timeout, few attempts.
SIGN_TIMEOUT = timedelta(minutes=2)
SIGN_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=3)
# escalation chains: who hears of a missed deadline, and when
CHAINS = {
    "head_then_sonoivu": (("remind_at", "remind"), ("due_at", "escalate_head"),
                          ("escalate_sonoivu_at", "escalate_sonoivu")),
    # the head is the one acting (the month's approval): the missed cutoff goes to Sở Nội vụ
    "sonoivu_at_due": (("remind_at", "remind"), ("due_at", "escalate_sonoivu")),
}


async def activity(fn, arg):
    """Run one of workflows.calls' activities with the default timeout and retries."""
    return await workflow.execute_activity(fn, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY)


@dataclass
class StepSpec:
    step_key: str
    kind: str
    rule: str | None
    start: str
    default_actor: str
    person_id: int | None
    unit_id: int
    chain: str = "head_then_sonoivu"
    signs: bool = False  # a signature is made (its own activity) before the completion applies it
    starts: dict[str, str] = field(default_factory=dict)  # known dates by COUNT_STARTS name (rule.counts_from)


@dataclass
class HumanTasks:
    """Per-workflow state of its human tasks; the workflow's Update handlers delegate here."""
    workflow_id: str
    profile: str
    profile_version: str
    envelope_rule: str | None = None
    envelope_start: str | None = None
    open: dict[int, OpenedTask] = field(default_factory=dict)
    completing: set[int] = field(default_factory=set)
    signing: set[int] = field(default_factory=set)
    results: dict[int, TaskResult] = field(default_factory=dict)
    opening: int = 0  # open_task activities in flight: their task rows may be read, and completed, first

    async def run(self, spec: StepSpec) -> TaskResult:
        schedule = await activity(calls.schedule, ScheduleInput(
            profile=self.profile, profile_version=self.profile_version, rule=spec.rule,
            start=spec.start, default_actor=spec.default_actor,
            envelope_rule=self.envelope_rule, envelope_start=self.envelope_start, starts=spec.starts,
        ))
        # the run id keeps a step of a restarted workflow (same business id) apart from the old one
        step_key = f"{spec.step_key}@{workflow.info().run_id[:8]}"
        self.opening += 1
        try:
            opened = await activity(calls.open_task, OpenTaskInput(
                workflow_id=self.workflow_id, step_key=step_key, kind=spec.kind,
                person_id=spec.person_id, unit_id=spec.unit_id, profile=self.profile,
                profile_version=self.profile_version, started_on=spec.start, schedule=schedule,
            ))
        finally:
            self.opening -= 1
        self.open[opened.task_id] = opened
        if spec.signs:
            self.signing.add(opened.task_id)
        await self._watch_milestones(opened.task_id, schedule, CHAINS[spec.chain])
        await workflow.wait_condition(lambda: opened.task_id in self.results)
        del self.open[opened.task_id]
        return self.results[opened.task_id]

    async def _watch_milestones(self, task_id: int, schedule: Schedule, chain) -> None:
        for attr, milestone in chain:
            at = getattr(schedule, attr)
            if at is None:
                continue
            wait = datetime.fromisoformat(at) - workflow.now()
            if wait > timedelta(0):
                try:
                    await workflow.wait_condition(lambda: task_id in self.results, timeout=wait)
                except asyncio.TimeoutError:
                    pass
            if task_id in self.results:
                return
            await activity(calls.MILESTONES[milestone], MilestoneInput(task_id=task_id, milestone=milestone))

    def validate(self, update: CompleteTaskInput) -> None:
        """Refuse a stale, duplicate or unauthorised completion before it reaches history. While a task is being
        opened its row is committed before the workflow hears of it: a completion of a task not known yet is then
        accepted, and checked by `opened` once the open is recorded."""
        task = self.open.get(update.task_id)
        if task is None and self.opening and update.task_id not in self.results:
            return
        if task is None or update.task_id in self.results:
            raise ValueError("Nhiệm vụ này không còn mở.")
        if update.task_id in self.completing:
            raise ValueError("Nhiệm vụ này đang được xử lý.")
        if task.check_candidates and update.actor_user_id not in task.candidate_user_ids:
            raise ValueError("Bạn không được giao nhiệm vụ này.")
        if update.outcome not in task.outcomes:
            raise ValueError(f"Kết quả không hợp lệ; chọn một trong: {', '.join(task.outcomes)}.")

    async def opened(self, update: CompleteTaskInput) -> None:
        """Wait until the completion's task is recorded as open, if it was accepted while being opened, and check
        it then as `validate` does (a refusal fails the Update)."""
        if update.task_id in self.open:
            return
        await workflow.wait_condition(lambda: update.task_id in self.open or update.task_id in self.results
                                      or not self.opening)
        try:
            self.validate(update)
        except ValueError as err:
            raise ApplicationError(str(err), type="ValueError", non_retryable=True) from None

    async def complete(self, update: CompleteTaskInput) -> TaskResult:
        await self.opened(update)
        self.completing.add(update.task_id)
        try:
            result = None
            if update.task_id in self.signing:
                signed = await workflow.execute_activity(
                    calls.sign_task, update, start_to_close_timeout=SIGN_TIMEOUT, retry_policy=SIGN_RETRY)
                update = CompleteTaskInput(update.task_id, update.outcome, update.actor_user_id,
                                           {**update.data, "signature_id": signed.signature_id})
                result = signed.completed  # applied with the signature, or still to apply
            if result is None:
                result = await workflow.execute_activity(
                    calls.complete_task, update, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=COMPLETE_RETRY)
        except ActivityError as err:  # the effect was refused (e.g. invalid data): the task stays open
            cause = err.cause if isinstance(err.cause, ApplicationError) else None
            refusal = cause is not None and cause.details and isinstance(cause.details[0], dict)
            if not refusal:  # not a business refusal: say so plainly, the details are in the history
                raise ApplicationError("Không hoàn thành được nhiệm vụ do lỗi hệ thống; vui lòng thử lại sau.",
                                       {"code": "system_error", "status": 503}, type="system_error",
                                       non_retryable=True) from err
            raise ApplicationError(cause.message, *cause.details, type=cause.type, non_retryable=True) from err
        finally:
            self.completing.discard(update.task_id)
        self.results[update.task_id] = result
        return result


def person_step(key: str, kind: str, rule: str | None, start: str, actor: str, inp) -> StepSpec:
    """A step about one person (inp carries person_id and unit_id)."""
    return StepSpec(step_key=key, kind=kind, rule=rule, start=start, default_actor=actor,
                    person_id=inp.person_id, unit_id=inp.unit_id)


class HumanTaskWorkflow:
    """Base of the workflows that have human tasks: the completing Update and its validator,
    and the `stage` query the pages and tests read."""

    tasks: HumanTasks | None = None
    stage: str = "starting"

    @workflow.update(name="complete_task")
    async def complete_task(self, update: CompleteTaskInput) -> TaskResult:
        return await self.tasks.complete(update)

    @complete_task.validator
    def validate_complete_task(self, update: CompleteTaskInput) -> None:
        if self.tasks is None:
            raise ValueError("Quy trình chưa sẵn sàng.")
        self.tasks.validate(update)

    @workflow.query(name="stage")
    def current_stage(self) -> str:
        return self.stage

    @workflow.signal(name="signers_changed")
    def signers_changed(self, signers: SignersInput) -> None:
        """A delegation granted or revoked while the task is open; the signing activity still
        checks the delegation against the day of signing."""
        task = self.tasks.open.get(signers.task_id) if self.tasks else None
        if task is not None:
            task.candidate_user_ids = list(signers.user_ids)

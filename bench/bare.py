"""A bare Temporal workflow with the shape of an onboarding, and in-memory activities (no database).

Same shape as workflows/onboarding.py: an envelope activity, then three human steps (account,
self entry, review), each = "schedule" → "open" → wait for an Update "complete_task" (validated)
→ "complete"; then "set_status". Payloads are the real contract dataclasses, so the server and the
converter move the same data. Kept apart from the script that calls asyncio.run, because the
workflow sandbox re-imports this module.
"""
import asyncio
import itertools
from datetime import UTC, datetime, timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        CompleteTaskInput, OnboardingInput, OpenedTask, OpenTaskInput, PersonStatusInput, Schedule,
        ScheduleInput, TaskResult,
    )

TIMEOUT = timedelta(seconds=30)
# (step key, task kind, deadline rule): the happy path of an onboarding; the review has no deadline.
STEPS = (("account", "create_account", "account_creation"), ("self_entry#1", "self_entry", "self_entry"),
         ("review#1", "review_entry", None))
REMIND_AFTER = timedelta(days=5)  # a far-off reminder: its timer starts and is cancelled, as in the real run
OUTCOMES = {"create_account": ["done"], "self_entry": ["submit"], "review_entry": ["accept", "return"]}
ACTOR_ID = 1  # the one user allowed to complete every bare task


# ---- in-memory activities: same payload shapes, no I/O ------------------------------------------

_task_ids = itertools.count(1)


@activity.defn(name="bare.onboarding_envelope")
async def onboarding_envelope(inp: OnboardingInput) -> str:
    return ""


@activity.defn(name="bare.schedule")
async def schedule(inp: ScheduleInput) -> Schedule:
    remind_at = (datetime.now(UTC) + REMIND_AFTER).isoformat() if inp.rule else None
    return Schedule(actor_role=inp.default_actor, rule=inp.rule, due_on=None, due_at=None, remind_at=remind_at,
                    escalate_sonoivu_at=None, legal_basis=None)


@activity.defn(name="bare.open")
async def open_task(inp: OpenTaskInput) -> OpenedTask:
    return OpenedTask(task_id=next(_task_ids), candidate_user_ids=[ACTOR_ID], outcomes=OUTCOMES[inp.kind])


@activity.defn(name="bare.complete")
async def complete(inp: CompleteTaskInput) -> TaskResult:
    return TaskResult(task_id=inp.task_id, outcome=inp.outcome, completed_at=datetime.now(UTC).isoformat(),
                      late=False, result=dict(inp.data))


@activity.defn(name="bare.set_status")
async def set_status(inp: PersonStatusInput) -> None:
    return None


ACTIVITIES = [onboarding_envelope, schedule, open_task, complete, set_status]


# ---- the workflow -------------------------------------------------------------------------------

async def _call(name: str, arg, result_type=None):
    return await workflow.execute_activity(name, arg, start_to_close_timeout=TIMEOUT, result_type=result_type)


@workflow.defn(name="BareOnboarding")
class BareOnboarding:
    def __init__(self) -> None:
        self.opened: OpenedTask | None = None
        self.kind: str | None = None
        self.result: TaskResult | None = None
        self.completing = False  # an Update is running its "complete" activity

    @workflow.run
    async def run(self, inp: OnboardingInput) -> str:
        await _call("bare.onboarding_envelope", inp, str)
        for step_key, kind, rule in STEPS:
            await self._step(inp, step_key, kind, rule)
        await _call("bare.set_status", PersonStatusInput(person_id=inp.person_id, status="active"))
        return "accepted"

    async def _step(self, inp: OnboardingInput, step_key: str, kind: str, rule: str | None) -> TaskResult:
        sched = await _call("bare.schedule", ScheduleInput(
            profile=inp.profile, profile_version=inp.profile_version, rule=rule, start=inp.hired_on,
            default_actor="unit_hr"), Schedule)
        self.result = None
        self.opened = await _call("bare.open", OpenTaskInput(
            workflow_id=workflow.info().workflow_id, step_key=step_key, kind=kind, person_id=inp.person_id,
            unit_id=inp.unit_id, profile=inp.profile, profile_version=inp.profile_version,
            started_on=inp.hired_on, schedule=sched), OpenedTask)
        self.kind = kind
        if sched.remind_at:  # like HumanTasks: wait for the Update, or the reminder, whichever is first
            try:
                wait = datetime.fromisoformat(sched.remind_at) - workflow.now()
                await workflow.wait_condition(lambda: self.result is not None, timeout=wait)
            except asyncio.TimeoutError:
                pass
        await workflow.wait_condition(lambda: self.result is not None)
        self.opened, self.kind = None, None
        return self.result

    @workflow.update(name="complete_task")
    async def complete_task(self, update: CompleteTaskInput) -> TaskResult:
        self.completing = True
        try:
            self.result = await _call("bare.complete", update, TaskResult)
        finally:
            self.completing = False
        return self.result

    @complete_task.validator
    def validate_complete_task(self, update: CompleteTaskInput) -> None:
        opened = self.opened
        if opened is None or opened.task_id != update.task_id or self.result is not None:
            raise ValueError("task not open")
        if self.completing:
            raise ValueError("task being completed")
        if update.actor_user_id not in opened.candidate_user_ids:
            raise ValueError("not your task")
        if update.outcome not in opened.outcomes:
            raise ValueError("bad outcome")

    @workflow.query(name="open_task")
    def open_step(self) -> list:
        """[task id, kind] of the open step, or [] between steps (what a task list would show)."""
        return [self.opened.task_id, self.kind] if self.opened is not None else []

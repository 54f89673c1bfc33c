"""Onboarding: HR creates the account → the person enters their CV → HR reviews (maybe returns)
→ the month's approval (the head may return it too)."""
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.approval_gate import ApprovalGate
    from workflows.contracts import (
        VN_TZ, ApprovalDecision, CompleteTaskInput, OnboardingInput, PersonStatusInput, TaskResult,
    )
    from workflows.human_task import HumanTasks, StepSpec, activity


def workflow_id(person_id: int) -> str:
    return f"onboarding/{person_id}"


def local_date(moment: str) -> str:
    return datetime.fromisoformat(moment).astimezone(VN_TZ).date().isoformat()


@workflow.defn(name="Onboarding")
class OnboardingWorkflow:
    def __init__(self) -> None:
        self.tasks: HumanTasks | None = None
        self.gate = ApprovalGate()
        self.stage = "starting"

    @workflow.run
    async def run(self, inp: OnboardingInput) -> str:
        envelope = await activity("profiles.onboarding_envelope", inp, str)
        self.tasks = HumanTasks(
            workflow_id=workflow.info().workflow_id, profile=inp.profile,
            profile_version=inp.profile_version,
            envelope_rule=envelope or None, envelope_start=inp.hired_on,
        )
        self.stage = "account"
        account = await self.tasks.run(self._step("account", "create_account", "account_creation",
                                                  inp.hired_on, "unit_hr", inp))
        start, attempt = local_date(account.completed_at), 1
        while True:
            revision_id, start = await self._enter_and_review(inp, start, attempt)
            attempt += 1
            if revision_id is None:
                continue  # returned by HR: a fresh deadline from the return
            await activity("people.set_status", PersonStatusInput(person_id=inp.person_id, status="active"))
            self.stage = "approval"
            decision = await self.gate.submit(revision_id)
            if decision.decision == "approved":
                break
            start = decision.decided_on  # returned by the head: back to the person, fresh deadline
        self.stage = "done"
        return "approved"

    async def _enter_and_review(self, inp: OnboardingInput, start: str, attempt: int) -> tuple[int | None, str]:
        self.stage = "self_entry"
        await self.tasks.run(self._step(f"self_entry#{attempt}", "self_entry", "self_entry", start, "person", inp))
        self.stage = "review"
        review = await self.tasks.run(self._step(f"review#{attempt}", "review_entry", None, start, "unit_hr", inp))
        if review.outcome == "accept":
            return int(review.result["revision_id"]), start
        return None, local_date(review.completed_at)

    @staticmethod
    def _step(key: str, kind: str, rule: str | None, start: str, actor: str, inp: OnboardingInput) -> StepSpec:
        return StepSpec(step_key=key, kind=kind, rule=rule, start=start, default_actor=actor,
                        person_id=inp.person_id, unit_id=inp.unit_id)

    @workflow.update(name="complete_task")
    async def complete_task(self, update: CompleteTaskInput) -> TaskResult:
        return await self.tasks.complete(update)

    @complete_task.validator
    def validate_complete_task(self, update: CompleteTaskInput) -> None:
        if self.tasks is None:
            raise ValueError("Quy trình chưa sẵn sàng.")
        self.tasks.validate(update)

    @workflow.signal(name="approval_decided")
    def approval_decided(self, decision: ApprovalDecision) -> None:
        self.gate.decided(decision)

    @workflow.query(name="stage")
    def current_stage(self) -> str:
        return self.stage

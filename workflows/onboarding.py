"""Onboarding: HR creates the account → the person enters their CV → HR reviews (maybe returns)
→ the month's approval (the head may return it too)."""
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from rules.clock import local_date
    import workflows.calls as calls
    from workflows.approval_gate import ApprovalGate, AwaitsApproval
    from workflows.contracts import OnboardingInput, PersonStatusInput
    from workflows.human_task import HumanTasks, activity, person_step


def workflow_id(person_id: int) -> str:
    return f"onboarding/{person_id}"


@workflow.defn(name="Onboarding")
class OnboardingWorkflow(AwaitsApproval):
    def __init__(self) -> None:
        self.tasks: HumanTasks | None = None
        self.gate = ApprovalGate()
        self.stage = "starting"

    @workflow.run
    async def run(self, inp: OnboardingInput) -> str:
        envelope = await activity(calls.onboarding_envelope, inp)
        self.tasks = HumanTasks(
            workflow_id=workflow.info().workflow_id, profile=inp.profile,
            profile_version=inp.profile_version,
            envelope_rule=envelope or None, envelope_start=inp.hired_on,
        )
        self.stage = "account"
        account = await self.tasks.run(person_step("account", "create_account", "account_creation",
                                                  inp.hired_on, "unit_hr", inp))
        start, attempt = local_date(account.completed_at).isoformat(), 1
        while True:
            revision_id, start = await self._enter_and_review(inp, start, attempt)
            attempt += 1
            if revision_id is None:
                continue  # returned by HR: a fresh deadline from the return
            await activity(calls.set_status, PersonStatusInput(person_id=inp.person_id, status="active"))
            self.stage = "approval"
            decision = await self.gate.submit(revision_id)
            if decision.decision == "approved":
                break
            start = decision.decided_on  # returned by the head: back to the person, fresh deadline
        self.stage = "done"
        return "approved"

    async def _enter_and_review(self, inp: OnboardingInput, start: str, attempt: int) -> tuple[int | None, str]:
        self.stage = "self_entry"
        await self.tasks.run(person_step(f"self_entry#{attempt}", "self_entry", "self_entry", start, "person", inp))
        self.stage = "review"
        review = await self.tasks.run(person_step(f"review#{attempt}", "review_entry", None, start, "unit_hr", inp))
        if review.outcome == "accept":
            return int(review.result["revision_id"]), start
        return None, local_date(review.completed_at).isoformat()

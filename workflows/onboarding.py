"""Onboarding: HR creates the account → the person enters their CV → HR reviews (maybe returns)."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import VN_TZ, CompleteTaskInput, OnboardingInput, PersonStatusInput, TaskResult
    from workflows.human_task import HumanTasks, StepSpec, activity


def workflow_id(person_id: int) -> str:
    return f"onboarding/{person_id}"


@workflow.defn(name="Onboarding")
class OnboardingWorkflow:
    def __init__(self) -> None:
        self.tasks: HumanTasks | None = None
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
        start = self._local_date(account)
        attempt = 1
        while True:
            self.stage = "self_entry"
            await self.tasks.run(self._step(f"self_entry#{attempt}", "self_entry", "self_entry",
                                            start, "person", inp))
            self.stage = "review"
            review = await self.tasks.run(self._step(f"review#{attempt}", "review_entry", None,
                                                     start, "unit_hr", inp))
            if review.outcome == "accept":
                break
            start = self._local_date(review)  # a returned CV restarts the person's deadline
            attempt += 1
        await activity("people.set_status", PersonStatusInput(person_id=inp.person_id, status="active"))
        self.stage = "done"
        return "accepted"

    @staticmethod
    def _step(key: str, kind: str, rule: str | None, start: str, actor: str, inp: OnboardingInput) -> StepSpec:
        return StepSpec(step_key=key, kind=kind, rule=rule, start=start, default_actor=actor,
                        person_id=inp.person_id, unit_id=inp.unit_id)

    @staticmethod
    def _local_date(result: TaskResult) -> str:
        from datetime import datetime
        return datetime.fromisoformat(result.completed_at).astimezone(VN_TZ).date().isoformat()

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



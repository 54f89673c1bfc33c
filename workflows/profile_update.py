"""A change to a record: entered (with its document) within the profile's deadline from the date
of the change → reviewed by HR (personal changes) → the month's approval."""
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from rules.clock import local_date
    from workflows.approval_gate import ApprovalGate, AwaitsApproval
    from workflows.contracts import UpdateInput
    from workflows.human_task import HumanTasks, person_step


def workflow_id(revision_id: int) -> str:
    return f"update/{revision_id}"


@workflow.defn(name="ProfileUpdate")
class ProfileUpdateWorkflow(AwaitsApproval):
    def __init__(self) -> None:
        self.tasks: HumanTasks | None = None
        self.gate = ApprovalGate()
        self.stage = "starting"

    @workflow.run
    async def run(self, inp: UpdateInput) -> str:
        self.tasks = HumanTasks(workflow_id=workflow.info().workflow_id, profile=inp.profile,
                                profile_version=inp.profile_version)
        by_person = inp.kind == "update_personal"
        start, attempt = inp.change_date, 1
        while True:
            self.stage = "entry"
            entry = await self.tasks.run(person_step(f"entry#{attempt}", "update_entry", inp.kind, start,
                                                    "person" if by_person else "unit_hr", inp))
            revision_id = int(entry.result["revision_id"])
            if by_person:  # a fact the person states is checked by HR; HR's own entry is not
                self.stage = "review"
                review = await self.tasks.run(person_step(f"review#{attempt}", "review_update", None, start,
                                                         "unit_hr", inp))
                attempt += 1
                if review.outcome != "accept":
                    start = local_date(review.completed_at).isoformat()
                    continue
            else:
                attempt += 1
            self.stage = "approval"
            decision = await self.gate.submit(revision_id)
            if decision.decision == "approved":
                self.stage = "done"
                return "approved"
            start = decision.decided_on

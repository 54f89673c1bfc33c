"""A workflow with one human task whose deadline the benchmark sets, for escalation lateness.

`EscalationProbe` runs the real primitive, workflows/human_task.HumanTasks.run, on a StepSpec of kind
`review_entry`: the real `tasks.open` and `tasks.escalate_head` activities write the task row, its
candidates, the notifications and the audit events in PostgreSQL. Only `deadlines.schedule` is replaced, by
`probe_schedule` below: the profiles count deadlines in days (due at the end of a day), and the benchmark
needs every due time within one minute from now, so the due time travels in `StepSpec.starts["due_at"]` and
the schedule has no reminder and no Sở Nội vụ step. After the escalation the task stays open (nobody
completes it) and the workflow waits, as a real overdue task does. Kept apart from the script that calls
asyncio.run, because the workflow sandbox re-imports this module.
"""
from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import Schedule, ScheduleInput
    from workflows.human_task import HumanTaskWorkflow, HumanTasks, StepSpec


@activity.defn(name="deadlines.schedule")
async def probe_schedule(inp: ScheduleInput) -> Schedule:
    due_at = inp.starts["due_at"]
    return Schedule(actor_role="unit_hr", rule=inp.rule, due_on=due_at[:10], due_at=due_at, remind_at=None,
                    escalate_sonoivu_at=None, legal_basis="Bench: hạn trong cùng một phút")


@workflow.defn(name="BenchEscalationProbe")
class EscalationProbe(HumanTaskWorkflow):
    @workflow.run
    async def run(self, args: list) -> None:
        person_id, unit_id, started_on, due_at = args
        self.tasks = HumanTasks(workflow.info().workflow_id, "quang-ngai", "bench")
        self.stage = "waiting"
        await self.tasks.run(StepSpec(step_key="probe", kind="review_entry", rule="bench_probe", start=started_on,
                                      default_actor="unit_hr", person_id=person_id, unit_id=unit_id,
                                      starts={"due_at": due_at}))

"""Periodic reports (rules/profiles.py `[[reporting]]`, one Temporal Schedule per duty: bootstrap/schedules.py).

`ReportRound` is what a duty's Schedule starts: it records one report per reporting unit for the period
(`reports.plan_round`: each agency under the province and the province's own unit, or the Sở level alone)
and starts one `PeriodicReport` per unit, `report/{duty}/{period}/{unit_id}`, in batches; a repeated round
(a second trigger, a restart) starts nobody twice. It does not wait for them.

`PeriodicReport` runs two human tasks through the human-task primitive, both due on the duty's date (rule
`report.{duty}`, counted from the period's first day; none when the text sets no date), with the profile's
reminders and escalation: HR's «Lập báo cáo» (the figures come from the records when HR submits), then the
head's «Ký báo cáo» (`signs=True`: `tasks.sign` renders the submitted figures as a PDF and signs it; the
completion stores it on the report)."""
import asyncio

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from rules.clock import VN_TZ
    import workflows.calls as calls
    from workflows.contracts import ReportInput, ReportRoundInput, ReportRoundPlanInput, ReportRoundResult
    from workflows.human_task import HumanTasks, HumanTaskWorkflow, StepSpec, activity

START_BATCH = 20  # child workflows started at once


def schedule_id(duty: str) -> str:
    return f"report-round-{duty}"


def workflow_id(duty: str, period: str, unit_id: int) -> str:
    return f"report/{duty}/{period}/{unit_id}"


@workflow.defn(name="PeriodicReport")
class PeriodicReportWorkflow(HumanTaskWorkflow):
    def __init__(self) -> None:
        self.tasks: HumanTasks | None = None
        self.stage = "preparing"

    @workflow.run
    async def run(self, inp: ReportInput) -> str:
        self.tasks = HumanTasks(workflow_id=workflow.info().workflow_id, profile=inp.profile,
                                profile_version=inp.profile_version)
        starts = {"period_start": inp.period_start}
        await self.tasks.run(StepSpec(
            step_key="prepare", kind="prepare_report", rule=f"report.{inp.duty}", start=inp.opened_on,
            default_actor=inp.reporter, person_id=None, unit_id=inp.unit_id, starts=starts))
        self.stage = "signing"
        await self.tasks.run(StepSpec(
            step_key="sign", kind="sign_report", rule=f"report.{inp.duty}.sign",
            start=workflow.now().astimezone(VN_TZ).date().isoformat(), default_actor=inp.signer, person_id=None,
            unit_id=inp.unit_id, chain="sonoivu_at_due", signs=True, starts=starts))
        self.stage = "submitted"
        return "submitted"


@workflow.defn(name="ReportRound")
class ReportRoundWorkflow:
    @workflow.run
    async def run(self, inp: ReportRoundInput) -> ReportRoundResult:
        plan = await activity(calls.plan_report_round, ReportRoundPlanInput(
            profile=inp.profile, duty=inp.duty, period=inp.period, at=workflow.now().isoformat()))
        started = 0
        for first in range(0, len(plan.reports), START_BATCH):
            batch = plan.reports[first:first + START_BATCH]
            started += sum(await asyncio.gather(*(self._start(report) for report in batch)))
        return ReportRoundResult(period=plan.period, started=started, already=len(plan.reports) - started)

    async def _start(self, report: ReportInput) -> bool:
        try:
            await workflow.start_child_workflow(
                PeriodicReportWorkflow.run, report, id=workflow_id(report.duty, report.period, report.unit_id),
                parent_close_policy=ParentClosePolicy.ABANDON, id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
        except WorkflowAlreadyStartedError:
            return False
        return True

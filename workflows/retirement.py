"""Retirement is foreseeable (`retirement/{person_id}`): HR's written notice 6 months ahead, the decision
3 months ahead (HR enters its number), then on the date the leaving (reason «retirement») through the
Transfer workflow, which changes the status, has it approved and archives the record.

The date comes from the record through an activity (rules/retirement.py and the statutes layer's rules)
and is planned again whenever the workflow is told (signal `recheck`: an approved revision changed the date
of birth or the sex, or the daily scan sends the date it computed) and before each step. A date that moves
withdraws the open task and opens a new one with the new due date; a notice or decision made for another
date is made again.

`RetirementScan` (the daily Schedule in bootstrap/schedules.py) starts one workflow per person in the
horizon with signal-with-start and REJECT_DUPLICATE, in pages of a few hundred, continuing as new.
"""
import asyncio
from dataclasses import asdict, replace
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    import workflows.calls as calls
    from workflows.contracts import (
        LeavingInput, Recheck, RetirementInput, RetirementPlan, RetirementPlanInput, RetirementScanInput,
        ScanBatchInput, TaskResult, WithdrawInput,
    )
    from workflows.human_task import HumanTasks, HumanTaskWorkflow, StepSpec, activity

ACTIVE = ("onboarding", "active")
SCAN_SCHEDULE_ID = "retirement-scan"  # bootstrap/schedules.JOBS; every day at 05:00 (Asia/Ho_Chi_Minh)
SCAN_CRON = "0 5 * * *"
BLOCKED_RETRY = timedelta(days=1)  # another open transfer holds the leaving back: look again the next day
SCAN_TIMEOUT = timedelta(minutes=5)


def workflow_id(person_id: int) -> str:
    return f"retirement/{person_id}"


def _changed(old: RetirementPlan, new: RetirementPlan) -> bool:
    keys = ("status", "retirement_date", "notice_opens_at", "decision_opens_at", "leaving_at")
    return any(getattr(old, key) != getattr(new, key) for key in keys)


@workflow.defn(name="Retirement")
class RetirementWorkflow(HumanTaskWorkflow):
    def __init__(self) -> None:
        self.tasks: HumanTasks | None = None
        self.stage = "starting"
        self.rechecks: list[Recheck] = []
        self.plan: RetirementPlan | None = None
        self.state: RetirementInput | None = None
        self.transfer_id: int | None = None

    @workflow.signal(name="recheck")
    def recheck(self, signal: Recheck) -> None:
        self.rechecks.append(signal)

    @workflow.query(name="retirement")
    def current(self) -> dict:
        """The dates as the workflow knows them (ISO), for pages and tests."""
        plan = asdict(self.plan) if self.plan else {}
        return {**plan, "stage": self.stage, "notice_for": self.state and self.state.notice_for,
                "decision_for": self.state and self.state.decision_for,
                "decision_no": self.state and self.state.decision_no, "transfer_id": self.transfer_id}

    @workflow.run
    async def run(self, inp: RetirementInput) -> str:
        self.state = replace(inp)
        self.rechecks.clear()  # a signal that came with the start: the first plan answers it
        self.plan = await self._planned()
        self.state.profile, self.state.profile_version = self.plan.profile, self.plan.profile_version
        self.tasks = HumanTasks(workflow_id=workflow.info().workflow_id, profile=self.plan.profile,
                                profile_version=self.plan.profile_version)
        while True:
            plan = self.plan
            if plan.status not in ACTIVE or plan.retirement_date is None:
                self.stage = "ended"
                return "not_active" if plan.status not in ACTIVE else "no_date"
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(self.state)
            if self.state.notice_for != plan.retirement_date:
                self.stage = "waiting_notice"
                if await self._until(plan.notice_opens_at):
                    self.stage = "notice"
                    if await self._step("notice", "retirement_notice") is not None:
                        self.state.notice_for = plan.retirement_date
                continue
            if self.state.decision_for != plan.retirement_date:
                self.stage = "waiting_decision"
                if await self._until(plan.decision_opens_at):
                    self.stage = "decision"
                    done = await self._step("decision", "retirement_decision")
                    if done is not None:
                        self.state.decision_for = plan.retirement_date
                        self.state.decision_no = str(done.result["decision_no"])
                        self.state.decided_by_id = done.result.get("decided_by_id")
                continue
            self.stage = "waiting_date"
            if not await self._until(plan.leaving_at):
                continue  # the date moved: notice and decision again for the new date
            outcome = await self._leave(self.plan)
            if outcome is not None:
                return outcome
            self.stage = "blocked"  # another open transfer of the person: look again the next day
            await self._until((workflow.now() + BLOCKED_RETRY).isoformat())

    async def _planned(self) -> RetirementPlan:
        return await activity(calls.plan_retirement, RetirementPlanInput(
            self.state.person_id, self.state.profile, self.state.profile_version))

    async def _replanned(self, signals: list[Recheck] | None = None) -> bool:
        """Plan again (unless every signal only confirms the date known); True if the plan changed."""
        if signals is not None and signals and all(s.retirement_date == self.plan.retirement_date for s in signals):
            return False
        new = await self._planned()
        changed, self.plan = _changed(self.plan, new), new
        return changed

    async def _until(self, at: str | None) -> bool:
        """Sleep until `at`, planning again on each recheck and on waking (the record may have changed
        meanwhile); False as soon as the plan changes."""
        while at is not None:
            wait = datetime.fromisoformat(at) - workflow.now()
            if wait <= timedelta(0):
                break
            try:
                await workflow.wait_condition(lambda: bool(self.rechecks), timeout=wait)
            except asyncio.TimeoutError:
                return not await self._replanned()
            signals, self.rechecks = self.rechecks, []
            if await self._replanned(signals):
                return False
        return True

    async def _step(self, key: str, kind: str) -> TaskResult | None:
        """One HR task due before the date; None if the date moved while it was open (it is withdrawn)."""
        plan = self.plan
        self.state.attempt += 1
        step = asyncio.ensure_future(self.tasks.run(StepSpec(
            step_key=f"{key}#{self.state.attempt}", kind=kind, rule=kind, start=plan.retirement_date,
            default_actor="unit_hr", person_id=plan.person_id, unit_id=plan.unit_id,
            starts={"retirement_date": plan.retirement_date})))
        while True:
            await workflow.wait_condition(lambda: step.done() or bool(self.rechecks))
            if step.done():
                return step.result()
            signals, self.rechecks = self.rechecks, []
            if await self._replanned(signals):
                break
        # wait until the task is open and nobody is completing it, then take it back: a result ends the
        # step's waits, and the Update validator refuses the task from now on
        await workflow.wait_condition(lambda: step.done() or (bool(self._open_ids()) and not self.tasks.completing))
        if not step.done():
            closed_at = workflow.now().isoformat()
            for task_id in self._open_ids():
                self.tasks.results[task_id] = TaskResult(task_id, "withdrawn", closed_at, False)
            await step
        await activity(calls.withdraw_retirement_tasks, WithdrawInput(
            workflow.info().workflow_id, self.plan.retirement_date if self.plan.status in ACTIVE else None))
        return None  # done just now for the old date, or withdrawn: made again for the new one

    def _open_ids(self) -> list[int]:
        return [task_id for task_id in self.tasks.open if task_id not in self.tasks.results]

    async def _leave(self, plan: RetirementPlan) -> str | None:
        """On the date: the leaving's row, then its Transfer workflow (a child left to run on its own);
        None while another open transfer holds it back."""
        self.stage = "leaving"
        opened = await activity(calls.open_retirement_leaving, LeavingInput(
            plan.person_id, plan.retirement_date, self.state.decision_no or "", self.state.decided_by_id))
        if opened.transfer is None:
            return None
        self.transfer_id = opened.transfer.transfer_id
        try:
            handle = await workflow.start_child_workflow(
                opened.workflow_type, opened.transfer, id=opened.workflow_id,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON)
        except WorkflowAlreadyStartedError:  # started by an earlier run of this workflow
            self.stage = "done"
            return "retired"
        self.stage = "transfer"
        try:
            outcome = await handle
        except ChildWorkflowError:  # the leaving failed or was ended by an operator: said in its own history
            outcome = "failed"
        if outcome in ("cancelled", "failed"):  # e.g. a decision to keep them working (kéo dài thời gian công tác)
            self.stage = f"leaving_{outcome}"
            return self.stage
        self.stage = "done"
        return "retired"


@workflow.defn(name="RetirementScan")
class RetirementScanWorkflow:
    """The daily scan: pages of people whose retirement falls within the horizon, each page one activity
    that starts or re-signals their workflows; continues as new every `batches_per_run` pages."""

    @workflow.run
    async def run(self, inp: RetirementScanInput) -> int:
        after, today, found = inp.after_id, inp.today, inp.found
        for _ in range(inp.batches_per_run):
            batch = await workflow.execute_activity(
                calls.scan_retirements, ScanBatchInput(after, inp.batch_size, today),
                start_to_close_timeout=SCAN_TIMEOUT)
            after, today, found = batch.last_id, batch.today, found + batch.found
            if batch.done:
                return found
        workflow.continue_as_new(replace(inp, after_id=after, today=today, found=found))

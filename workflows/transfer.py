"""A move of a record between units, or its leaving (`transfer/{transfer_id}`, one row of `transfers`).

Every kind first waits for the decision to take effect (the record moves, or leaves, no earlier), then:

- internal: HR moves the record to the new department (rule `transfer_internal`; completing the task is
  the move) → the `transfer` revision through the new unit's monthly approval → done;
- intra_province: the sending unit releases the record (`transfer_send`) → the receiving unit accepts it
  (`transfer_receive`, counted from the release where the profile says so; completing it is the handover) →
  the person checks their data (`self_entry`, counted from the handover as the day the account is handed
  over) → the receiving unit's monthly approval → done;
- leaving: HR changes the status (`status_change`) → the monthly approval → approved: the archive;
  returned by the head: back to HR with a fresh deadline from the return.

A head's return of a transfer's revision goes back to whoever checked it (HR after an internal move, the
person after a transfer), with a fresh deadline from the return. The Update `cancel_transfer` cancels before
the handover (a leaving: before its approval): the activity closes the open tasks and marks the transfer
cancelled, unless the database says the handover came first; afterwards a cancel is refused.
"""
import asyncio
from datetime import date, datetime, time, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from rules.clock import VN_TZ, local_date
    import workflows.calls as calls
    from workflows.approval_gate import ApprovalGate, AwaitsApproval
    from workflows.contracts import (
        ApprovalDecision, TaskResult, TransferCancelInput, TransferCancelled, TransferInput, TransferStageInput,
    )
    from workflows.human_task import HumanTasks, StepSpec, activity

# who corrects a transfer's revision returned by the head, and under which rule (a fresh deadline from the return)
CORRECTION = {"internal": ("unit_hr", "transfer_internal"), "intra_province": ("unit_hr", "transfer_receive")}


def workflow_id(transfer_id: int) -> str:
    return f"transfer/{transfer_id}"


@workflow.defn(name="Transfer")
class TransferWorkflow(AwaitsApproval):
    def __init__(self) -> None:
        self.tasks: HumanTasks | None = None
        self.gate = ApprovalGate()
        self.stage = "starting"
        self.transfer_id = 0
        self.cancel_request: TransferCancelInput | None = None
        self.cancel_result: TransferCancelled | None = None
        self.final: TransferCancelled | None = None  # past the point of no return: why a cancel is refused
        self.person_checks = False  # the person checked the transfer's revision (and corrects a returned one)

    @workflow.run
    async def run(self, inp: TransferInput) -> str:
        self.transfer_id = inp.transfer_id
        self.tasks = HumanTasks(workflow_id=workflow.info().workflow_id, profile=inp.profile,
                                profile_version=inp.profile_version)
        outcome = await self._run(inp)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return outcome

    async def _run(self, inp: TransferInput) -> str:
        if not await self._wait_until_effective(inp.effective_on):
            return "cancelled"
        if inp.kind == "leaving":
            return await self._leaving(inp)
        revision_id = await (self._internal(inp) if inp.kind == "internal" else self._intra_province(inp))
        if revision_id is None:
            return "cancelled"
        await self._approval(inp, revision_id)
        await self._set_stage("done")
        return "done"

    # ---- the kinds -------------------------------------------------------------------------------

    async def _internal(self, inp: TransferInput) -> int | None:
        await self._set_stage("moving")
        moved = await self._step(StepSpec(
            step_key="move", kind="move_record", rule="transfer_internal", start=inp.effective_on,
            default_actor="unit_hr", person_id=inp.person_id, unit_id=inp.unit_id, starts=self._starts(inp)))
        if moved is None:
            return None
        self._handed_over(moved)
        return int(moved.result["revision_id"])

    async def _intra_province(self, inp: TransferInput) -> int | None:
        await self._set_stage("releasing")
        released = await self._step(StepSpec(
            step_key="release", kind="release_record", rule="transfer_send", start=inp.effective_on,
            default_actor="unit_hr", person_id=inp.person_id, unit_id=inp.unit_id, starts=self._starts(inp)))
        if released is None:
            return None
        released_on = local_date(released.completed_at).isoformat()
        await self._set_stage("receiving")
        received = await self._step(StepSpec(
            step_key="receive", kind="receive_record", rule="transfer_receive", start=released_on,
            default_actor="unit_hr", person_id=inp.person_id, unit_id=inp.to_unit_id,
            starts={**self._starts(inp), "receipt": released_on}))
        if received is None:
            return None
        self._handed_over(received)
        if not received.result.get("check"):  # no login to check it with: HR's acceptance stands
            return int(received.result["revision_id"])
        handed_on = local_date(received.completed_at).isoformat()
        await self._set_stage("confirming")
        checked = await self._step(StepSpec(
            step_key="confirm", kind="confirm_record", rule="self_entry", start=handed_on, default_actor="person",
            person_id=inp.person_id, unit_id=inp.to_unit_id, starts={"account": handed_on}))
        self.person_checks = True
        return int(checked.result["revision_id"])

    async def _approval(self, inp: TransferInput, revision_id: int) -> None:
        """The transfer's revision through the new unit's month; a return goes back to be corrected."""
        attempt = 1
        while True:
            await self._set_stage("approval")
            decision = await self.gate.submit(revision_id)
            if decision.decision == "approved":
                return
            attempt += 1
            await self._set_stage("correcting")
            actor, rule = CORRECTION[inp.kind]
            if self.person_checks:
                actor, rule = "person", "self_entry"
            corrected = await self._step(StepSpec(
                step_key=f"correct#{attempt}", kind="confirm_record", rule=rule, start=decision.decided_on,
                default_actor=actor, person_id=inp.person_id, unit_id=inp.to_unit_id))
            revision_id = int(corrected.result["revision_id"])

    async def _leaving(self, inp: TransferInput) -> str:
        start, starts, attempt = inp.effective_on, self._starts(inp), 1
        while True:
            await self._set_stage("status_change")
            changed = await self._step(StepSpec(
                step_key=f"status_change#{attempt}", kind="change_status", rule="status_change", start=start,
                default_actor="unit_hr", person_id=inp.person_id, unit_id=inp.unit_id, starts=starts))
            if changed is None:
                return "cancelled"
            await self._set_stage("approval")
            decision = await self._decision(int(changed.result["revision_id"]))
            if decision is None:
                return "cancelled"
            if decision.decision == "approved":
                break
            attempt += 1  # returned by the head: back to HR, a fresh deadline counted from the return
            start, starts = decision.decided_on, {}
        self._past_return("status_change_approved", "Tình trạng hồ sơ đã được phê duyệt; không hủy được.")
        await activity(calls.archive_leaver, inp.transfer_id)
        self.stage = "archived"
        return "archived"

    # ---- steps that a cancel may end ---------------------------------------------------------------

    def _starts(self, inp: TransferInput) -> dict[str, str]:
        starts = {"effective_date": inp.effective_on}
        if inp.paper_file_on:
            starts["paper_file"] = inp.paper_file_on
        return starts

    async def _set_stage(self, stage: str) -> None:
        self.stage = stage
        await activity(calls.transfer_stage, TransferStageInput(self.transfer_id, stage))

    async def _wait_until_effective(self, effective_on: str) -> bool:
        """Sleep until the decision takes effect (00:00 in Việt Nam); False if cancelled meanwhile."""
        wait = datetime.combine(date.fromisoformat(effective_on), time(0), tzinfo=VN_TZ) - workflow.now()
        if wait > timedelta(0):
            await self._set_stage("waiting_effective")
            try:
                await workflow.wait_condition(self._cancel_pending, timeout=wait)
            except asyncio.TimeoutError:
                pass
        return not (self._cancel_pending() and await self._cancel())

    async def _step(self, spec: StepSpec) -> TaskResult | None:
        """A human step, or None when the transfer is cancelled while it is open (or before it opens)."""
        if self._cancel_pending() and await self._cancel():
            return None
        step = asyncio.ensure_future(self.tasks.run(spec))
        while True:
            # a cancel waits for the task row to exist, so that the cancel closes it
            await workflow.wait_condition(lambda: step.done() or (self._cancel_pending() and bool(self.tasks.open)))
            if step.done():
                return step.result()
            if await self._cancel():
                closed_at = workflow.now().isoformat()
                for task_id in list(self.tasks.open):  # the rows are closed: end the waits on them
                    self.tasks.results.setdefault(task_id, TaskResult(task_id, "cancelled", closed_at, False))
                await step
                return None

    async def _decision(self, revision_id: int) -> ApprovalDecision | None:
        """The head's decision on the revision, or None when the leaving is cancelled before it."""
        waiting = asyncio.ensure_future(self.gate.submit(revision_id))
        while True:
            await workflow.wait_condition(lambda: waiting.done() or self._cancel_pending())
            if waiting.done():
                return waiting.result()
            if await self._cancel():
                return None

    # ---- cancel --------------------------------------------------------------------------------------

    def _cancel_pending(self) -> bool:
        return self.cancel_request is not None and self.cancel_result is None

    async def _cancel(self) -> bool:
        result = await activity(calls.cancel_transfer, self.cancel_request)
        self.cancel_result = result
        if result.cancelled:
            self.stage = "cancelled"
        else:  # the database saw the handover (or the approval) first
            self.final = result
        return result.cancelled

    def _handed_over(self, result: TaskResult) -> None:
        on = local_date(result.completed_at)
        self._past_return("transfer_handed_over", f"Hồ sơ đã được bàn giao sang đơn vị mới ngày {on:%d/%m/%Y}; "
                                                  "không hủy được điều chuyển. Nếu cần, lập điều chuyển mới.")

    def _past_return(self, code: str, message: str) -> None:
        self.final = TransferCancelled(False, message, code)
        if self._cancel_pending():
            self.cancel_result = self.final

    @workflow.update(name="cancel_transfer")
    async def cancel_transfer(self, req: TransferCancelInput) -> TransferCancelled:
        if self.cancel_request is None:
            self.cancel_request = req
        await workflow.wait_condition(lambda: self.cancel_result is not None)
        return self.cancel_result

    @cancel_transfer.validator
    def validate_cancel_transfer(self, req: TransferCancelInput) -> None:
        if self.final is not None:
            raise ApplicationError(self.final.message, {"code": self.final.code, "status": 409},
                                   type=self.final.code, non_retryable=True)

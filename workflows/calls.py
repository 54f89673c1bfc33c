"""The activities the workflows call, as typed signatures.

Workflows pass these functions (not strings) to `workflow.execute_activity`, so their arguments
and results are type-checked and the result type comes from the annotation. They are never
run: the worker registers the implementations in activities/ under the same names, and
tests/workflows/test_calls.py checks that every signature here has one with the same types.
"""
from temporalio import activity

from workflows.contracts import (
    ApprovalInput, ApprovalItemsInput, ApprovalOpened, CompleteTaskInput, Enqueued, EnqueueInput, ExportInput,
    MilestoneInput, OnboardingInput, OpenedTask, OpenTaskInput, PersonStatusInput, ProvinceApprovalInput,
    Schedule, ScheduleInput, SendInput, SendResult, Signed, TaskResult, UnitSignedInput,
)
from workflows.contracts import MergerBatchInput, MergerProgress  # unit mergers (workflows/merger.py)
from workflows.contracts import TransferCancelInput, TransferCancelled, TransferStageInput  # workflows/transfer.py
from workflows.contracts import ArrivalDoneInput, ArrivalStageInput, Pulled, PullInput, TransferInput  # workflows/arrival.py
from workflows.contracts import AuditCheckInput, AuditCheckResult, AuditReportInput  # workflows/audit_check.py


def _signature(name: str):
    """Mark a stub as the signature of the activity `name`."""
    return activity.defn(name=name)


@_signature("deadlines.schedule")
async def schedule(inp: ScheduleInput) -> Schedule: ...


@_signature("tasks.open")
async def open_task(inp: OpenTaskInput) -> OpenedTask: ...


@_signature("tasks.sign")
async def sign_task(inp: CompleteTaskInput) -> Signed: ...


@_signature("tasks.complete")
async def complete_task(inp: CompleteTaskInput) -> TaskResult: ...


@_signature("tasks.remind")
async def remind(inp: MilestoneInput) -> bool: ...


@_signature("tasks.escalate_head")
async def escalate_head(inp: MilestoneInput) -> bool: ...


@_signature("tasks.escalate_sonoivu")
async def escalate_sonoivu(inp: MilestoneInput) -> bool: ...


MILESTONES = {"remind": remind, "escalate_head": escalate_head, "escalate_sonoivu": escalate_sonoivu}


@_signature("profiles.onboarding_envelope")
async def onboarding_envelope(inp: OnboardingInput) -> str: ...


@_signature("people.set_status")
async def set_status(inp: PersonStatusInput) -> None: ...


@_signature("approvals.enqueue")
async def enqueue(inp: EnqueueInput) -> Enqueued: ...


@_signature("approvals.open")
async def open_approval(inp: ApprovalInput) -> ApprovalOpened: ...


@_signature("approvals.add_items")
async def add_items(inp: ApprovalItemsInput) -> None: ...


@_signature("approvals.forward")
async def forward(inp: ApprovalItemsInput) -> None: ...


@_signature("approvals.close")
async def close_approval(approval_id: int) -> None: ...


@_signature("approvals.report_to_province")
async def report_to_province(inp: UnitSignedInput) -> bool: ...


@_signature("approvals.open_province")
async def open_province(inp: ProvinceApprovalInput) -> ApprovalOpened: ...


@_signature("approvals.add_units")
async def add_units(inp: ApprovalItemsInput) -> None: ...


@_signature("approvals.province_unit")
async def province_unit(approval_id: int) -> int: ...


@_signature("exports.produce")
async def produce_export(inp: ExportInput) -> None: ...


@_signature("national_db.send")
async def send_to_national(inp: SendInput) -> SendResult: ...


@_signature("mergers.move_batch")
async def move_merger_batch(inp: MergerBatchInput) -> MergerProgress: ...


@_signature("mergers.finish")
async def finish_merger(merger_id: int) -> int: ...


@_signature("transfers.stage")
async def transfer_stage(inp: TransferStageInput) -> None: ...


@_signature("transfers.cancel")
async def cancel_transfer(inp: TransferCancelInput) -> TransferCancelled: ...


@_signature("transfers.archive")
async def archive_leaver(transfer_id: int) -> None: ...


@_signature("arrivals.begin")
async def begin_arrival(inp: TransferInput) -> str: ...


@_signature("arrivals.stage")
async def arrival_stage(inp: ArrivalStageInput) -> None: ...


@_signature("arrivals.finish")
async def finish_arrival(inp: ArrivalDoneInput) -> None: ...


@_signature("national_db.pull")
async def pull_national(inp: PullInput) -> Pulled: ...


@_signature("audit.verify_chain")
async def verify_audit_chain(inp: AuditCheckInput) -> AuditCheckResult: ...


@_signature("audit.report_check")
async def report_audit_check(inp: AuditReportInput) -> bool: ...


from workflows.contracts import (  # noqa: E402 - the monthly backup (workflows/backup.py)
    BackupDumped, BackupDumpInput, BackupFailureInput, BackupFailureRecorded, BackupFileInput, BackupPlan,
    BackupPruned, BackupPruneInput, BackupRunInput, BackupVerified,
)


@_signature("backups.plan")
async def backup_plan(inp: BackupRunInput) -> BackupPlan: ...


@_signature("backups.dump")
async def backup_dump(inp: BackupDumpInput) -> BackupDumped: ...


@_signature("backups.verify")
async def backup_verify(inp: BackupFileInput) -> BackupVerified: ...


@_signature("backups.prune")
async def backup_prune(inp: BackupPruneInput) -> BackupPruned: ...


@_signature("backups.record_failure")
async def backup_record_failure(inp: BackupFailureInput) -> BackupFailureRecorded: ...


from workflows.contracts import (  # noqa: E402 - retirement (workflows/retirement.py)
    LeavingInput, LeavingOpened, RetirementPlan, RetirementPlanInput, ScanBatch, ScanBatchInput, WithdrawInput,
)


@_signature("retirement.plan")
async def plan_retirement(inp: RetirementPlanInput) -> RetirementPlan: ...


@_signature("retirement.withdraw")
async def withdraw_retirement_tasks(inp: WithdrawInput) -> int: ...


@_signature("retirement.open_leaving")
async def open_retirement_leaving(inp: LeavingInput) -> LeavingOpened: ...


@_signature("retirement.scan")
async def scan_retirements(inp: ScanBatchInput) -> ScanBatch: ...


from workflows.contracts import ReportRoundPlan, ReportRoundPlanInput  # noqa: E402 - periodic reports (workflows/reports.py)


@_signature("reports.plan_round")
async def plan_report_round(inp: ReportRoundPlanInput) -> ReportRoundPlan: ...

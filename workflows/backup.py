"""The monthly backup (`MonthlyBackup`, started by the Schedule `backup-monthly` of bootstrap/schedules.py):
dump the application database, verify the dump by restoring it into a scratch database, then delete the
dumps the profile no longer asks to keep. A failed dump or verification deletes nothing and starts
`BackupFailed` (`backup-failed/{entry_id}`), Sở Nội vụ's task, which outlives the run: the next month's
backup is not held up by an open task (the Schedule skips a run while the previous one is still running).
"""
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from rules.clock import local_date
    import workflows.calls as calls
    from workflows.contracts import (
        BackupDumpInput, BackupFailureInput, BackupFileInput, BackupPlan, BackupPruneInput, BackupRunInput,
        BackupTaskInput,
    )
    from workflows.human_task import HumanTasks, HumanTaskWorkflow, StepSpec, activity

SCHEDULE_ID = "backup-monthly"
CRON = "0 2 1 * *"  # 02:00 on the 1st of every month (Asia/Ho_Chi_Minh); the profile's period picks the months
FAILURE_PREFIX = "backup-failed/"
# pg_dump and pg_restore of a province's database take minutes; the activity heartbeats, so a dead worker is
# noticed within HEARTBEAT and the job retried on another, at most LONG_RETRY's attempts.
LONG_TIMEOUT = timedelta(hours=3)
HEARTBEAT = timedelta(minutes=2)
LONG_RETRY = RetryPolicy(initial_interval=timedelta(seconds=30), backoff_coefficient=2.0, maximum_attempts=3)


def failure_workflow_id(entry_id: str) -> str:
    return f"{FAILURE_PREFIX}{entry_id}"


def _reason(err: ActivityError) -> str:
    cause = err.cause
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.cause
    return cause.message if cause is not None else str(err)


async def _long(fn, arg):
    return await workflow.execute_activity(fn, arg, start_to_close_timeout=LONG_TIMEOUT, heartbeat_timeout=HEARTBEAT,
                                           retry_policy=LONG_RETRY)


@workflow.defn(name="MonthlyBackup")
class MonthlyBackupWorkflow:
    @workflow.run
    async def run(self, inp: BackupRunInput) -> str:
        plan = await activity(calls.backup_plan, inp)
        if not plan.due:
            return "not_due"
        try:
            dumped = await _long(calls.backup_dump, BackupDumpInput(trigger="schedule"))
        except ActivityError as err:
            return await self._failed(inp, plan, BackupFailureInput("dump", _reason(err)))
        try:
            verified = await _long(calls.backup_verify, BackupFileInput(dumped.file))
        except ActivityError as err:
            return await self._failed(inp, plan, BackupFailureInput("verify", _reason(err), dumped.file))
        if not verified.ok:
            return await self._failed(inp, plan, BackupFailureInput("verify", " ".join(verified.problems),
                                                                     dumped.file))
        # Only now, with a newer dump verified, may older ones go.
        await activity(calls.backup_prune, BackupPruneInput(plan.keep_months))
        return "verified"

    async def _failed(self, inp: BackupRunInput, plan: BackupPlan, failure: BackupFailureInput) -> str:
        recorded = await activity(calls.backup_record_failure, failure)
        if recorded.unit_id is None:
            workflow.logger.warning("backup failed and no unit exists to open Sở Nội vụ's task: %s", failure.message)
            return "failed"
        await workflow.start_child_workflow(
            BackupFailedWorkflow.run,
            BackupTaskInput(entry_id=recorded.entry_id, unit_id=recorded.unit_id, profile=inp.profile,
                            profile_version=plan.profile_version, failed_on=local_date(workflow.now()).isoformat()),
            id=failure_workflow_id(recorded.entry_id), parent_close_policy=workflow.ParentClosePolicy.ABANDON)
        return "failed"


@workflow.defn(name="BackupFailed")
class BackupFailedWorkflow(HumanTaskWorkflow):
    """Sở Nội vụ keeps the backups (Nghệ An Đ16.3, Hải Phòng Đ8.1): its administrator looks into a failed backup
    and says what was done. No article sets a deadline for it, so the task has none."""

    def __init__(self) -> None:
        self.tasks: HumanTasks | None = None
        self.stage = "starting"

    @workflow.run
    async def run(self, inp: BackupTaskInput) -> str:
        self.tasks = HumanTasks(workflow_id=workflow.info().workflow_id, profile=inp.profile,
                                profile_version=inp.profile_version)
        self.stage = "open"
        result = await self.tasks.run(StepSpec(
            step_key="backup_failed", kind="backup_failed", rule=None, start=inp.failed_on,
            default_actor="sonoivu_admin", person_id=None, unit_id=inp.unit_id))
        self.stage = "done"
        return result.outcome

"""The recorded histories of MonthlyBackup and BackupFailed (workflows/backup.py), part of
record_histories.SCENARIOS.

To record only these (the other histories untouched, history_ids.json updated for their files):

    .venv/bin/python -m tests.workflows.backup_histories

The recorder's settings read HOSO_BACKUP_DIR from the environment; without it the dumps would land in the
developer's own .var/backups, so a temporary folder is set here unless one is given.
"""
import asyncio
import os
import tempfile
from pathlib import Path

os.environ.setdefault("HOSO_BACKUP_DIR", tempfile.mkdtemp(prefix="hoso-replay-backups-"))


async def backup_verified(s) -> None:
    """A month's dump, verified and pruned."""
    from tests.workflows import record_histories as rh
    from workflows.backup import SCHEDULE_ID, MonthlyBackupWorkflow
    from workflows.contracts import BackupRunInput
    wid = f"{SCHEDULE_ID}-replay"
    assert await s.client.execute_workflow(MonthlyBackupWorkflow.run, BackupRunInput("quang-ngai"), id=wid,
                                           task_queue=rh.TASK_QUEUE) == "verified"
    await rh.record(s, wid, "verified", done=True)


async def backup_verification_failed(s) -> None:
    """A dump that does not restore: the run records the failure and starts Sở Nội vụ's task, still open (the
    time-skipping server does not deliver an Update to a child whose parent has closed)."""
    from services import backups
    from tests.helpers import open_task
    from tests.workflows import record_histories as rh
    from tests.workflows.test_backup import RESTORABLE_AGAIN, UNRESTORABLE, execute
    from workflows.backup import SCHEDULE_ID, MonthlyBackupWorkflow, failure_workflow_id
    from workflows.contracts import BackupRunInput
    wid = f"{SCHEDULE_ID}-replay-failed"
    execute(s.db.url, UNRESTORABLE)
    try:
        assert await s.client.execute_workflow(MonthlyBackupWorkflow.run, BackupRunInput("quang-ngai"), id=wid,
                                               task_queue=rh.TASK_QUEUE) == "failed"
    finally:
        execute(s.db.url, RESTORABLE_AGAIN)
    await rh.record(s, wid, "verification-failed", done=True)
    [failed] = [e for e in backups.read_manifest(Path(os.environ["HOSO_BACKUP_DIR"]))
                if e.get("workflow_id") == wid]
    await open_task(s.db, failure_workflow_id(failed["id"]), "backup_failed")
    await rh.record(s, failure_workflow_id(failed["id"]), "open")


BACKUP_SCENARIOS = [backup_verified, backup_verification_failed]


async def main() -> None:
    from tests.workflows import record_histories as rh
    await rh.record_only(BACKUP_SCENARIOS, ("MonthlyBackup-", "BackupFailed-"))


if __name__ == "__main__":
    asyncio.run(main())

"""The recorded histories of MonthlyBackup and BackupFailed (workflows/backup.py), part of
record_histories.SCENARIOS.

To record only these (the other histories untouched, history_ids.json updated for their files):

    .venv/bin/python -m tests.workflows.backup_histories

The recorder's settings read HOSO_BACKUP_DIR from the environment; without it the dumps would land in the
developer's own .var/backups, so a temporary folder is set here unless one is given.
"""
import asyncio
import json
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
    from core.config import ROOT
    from core.devstack import embedded_postgres_uri
    from tests.national_receiver.support import InProcessReceiver
    from tests.workflows import record_histories as rh
    admin_uri = os.environ.get("DATABASE_URL") or embedded_postgres_uri(ROOT / ".var" / "test")
    recorded: dict = {}
    national = InProcessReceiver()
    await national.start()
    try:
        with tempfile.TemporaryDirectory(prefix="hoso-replay-signing-") as signing_dir:
            for scenario in BACKUP_SCENARIOS:
                print(f"-- {scenario.__name__}")
                async with rh.stack(admin_uri, national.url, Path(signing_dir), recorded) as s:
                    await scenario(s)
    finally:
        await national.stop()
    prefixes = ("MonthlyBackup-", "BackupFailed-")
    for old in rh.HISTORIES.glob("*.json"):
        if old.name.startswith(prefixes):
            old.unlink()
    ids = {name: wid for name, wid in json.loads(rh.WORKFLOW_IDS.read_text(encoding="utf-8")).items()
           if not name.startswith(prefixes)}
    for name, history in sorted(recorded.items()):
        (rh.HISTORIES / name).write_text(history.to_json() + "\n", encoding="utf-8")
        ids[name] = history.workflow_id
    rh.WORKFLOW_IDS.write_text(json.dumps(dict(sorted(ids.items())), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())

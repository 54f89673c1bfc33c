"""The monthly backup's I/O (workflows/backup.py): plan from the profile, dump, verify, delete by retention, and
record a failure (services/backups.py does the work)."""
import asyncio

from temporalio import activity

from activities.base import ActivityGroup, now
from rules.clock import local_date
from rules.profiles import get_profile
from services import backups
from workflows.contracts import (
    BackupDumped, BackupDumpInput, BackupFailureInput, BackupFailureRecorded, BackupFileInput, BackupPlan,
    BackupPruned, BackupPruneInput, BackupRunInput, BackupVerified,
)

HEARTBEAT_EVERY = 20  # seconds; the workflow's heartbeat timeout is a few times this


async def _heartbeating(coro):
    """Await a long job (pg_dump, pg_restore) while telling Temporal this worker is alive, so a worker that dies
    mid-dump is noticed within the heartbeat timeout rather than the hours of the start-to-close timeout."""
    job = asyncio.ensure_future(coro)
    try:
        while True:
            done, _ = await asyncio.wait({job}, timeout=HEARTBEAT_EVERY)
            if done:
                return job.result()
            activity.heartbeat()
    finally:
        if not job.done():
            job.cancel()
            await asyncio.gather(job, return_exceptions=True)


class BackupActivities(ActivityGroup):
    @activity.defn(name="backups.plan")
    async def plan(self, inp: BackupRunInput) -> BackupPlan:
        today = local_date(now())
        profile = get_profile(inp.profile, on=today)
        policy = profile.backup
        return BackupPlan(due=backups.due(policy, today), profile_version=profile.version,
                          every_months=policy.every_months, keep_months=policy.keep_months,
                          legal_basis=policy.legal_basis or policy.note or None)

    @activity.defn(name="backups.dump")
    async def dump(self, inp: BackupDumpInput) -> BackupDumped:
        entry = await _heartbeating(backups.dump(self.db.url, self.settings.backup_path, now=now(),
                                                 trigger=inp.trigger, workflow_id=activity.info().workflow_id))
        tables = entry["tables"]
        return BackupDumped(entry_id=entry["id"], file=entry["file"], size=entry["size"], tables=len(tables),
                            rows=sum(t["rows"] for t in tables.values()))

    @activity.defn(name="backups.verify")
    async def verify(self, inp: BackupFileInput) -> BackupVerified:
        entry = await _heartbeating(backups.verify(self.db.url, self.settings.backup_path / inp.file, now=now()))
        check = entry["verification"]
        return BackupVerified(file=inp.file, ok=check["ok"], problems=list(check["problems"]))

    @activity.defn(name="backups.prune")
    async def prune(self, inp: BackupPruneInput) -> BackupPruned:
        return BackupPruned(backups.prune(self.settings.backup_path, keep_months=inp.keep_months, now=now()))

    @activity.defn(name="backups.record_failure")
    async def record_failure(self, inp: BackupFailureInput) -> BackupFailureRecorded:
        entry = backups.record_failure(self.settings.backup_path, now=now(), stage=inp.stage, message=inp.message,
                                       file=inp.file, workflow_id=activity.info().workflow_id)
        async with self.db.session() as session:
            unit_id = await backups.sonoivu_unit(session=session)
        return BackupFailureRecorded(entry_id=entry["id"], unit_id=unit_id)

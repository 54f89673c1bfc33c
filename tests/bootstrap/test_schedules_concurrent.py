"""Several workers starting at once (`docker compose up --scale worker=N`) each run bootstrap/schedules.ensure:
on the dev server, concurrent calls all succeed and leave one schedule per job, as the last one wrote it."""
import asyncio
import uuid

from bootstrap import schedules
from bootstrap.schedules import PeriodicJob
from workflows.contracts import AuditCheckInput, RetirementScanInput

WORKERS = 6


async def test_workers_starting_together_all_ensure_the_same_schedules(dev_env, settings, task_queue):
    tag = uuid.uuid4().hex[:8]
    jobs = [PeriodicJob(f"test-race-scan-{tag}", "RetirementScan", "0 5 * * *", lambda _: RetirementScanInput()),
            PeriodicJob(f"test-race-audit-{tag}", "AuditChainCheck", "30 2 * * *", lambda _: AuditCheckInput())]
    mine = settings.model_copy(update={"task_queue": task_queue})
    client = dev_env.client
    try:
        results = await asyncio.gather(*(schedules.ensure(client, mine, jobs) for _ in range(WORKERS)))
        assert results == [[job.schedule_id for job in jobs]] * WORKERS
        scan, audit = [await client.get_schedule_handle(job.schedule_id).describe() for job in jobs]
        assert scan.schedule.spec.calendars[0].hour[0].start == 5 and not scan.schedule.state.paused
        assert audit.schedule.spec.calendars[0].minute[0].start == 30
    finally:
        for job in jobs:
            await client.get_schedule_handle(job.schedule_id).delete()

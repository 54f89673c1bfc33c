"""bootstrap/schedules.ensure on the dev server: idempotent, and an operator's pause survives a worker's restart."""
import uuid

from bootstrap import schedules
from bootstrap.schedules import PeriodicJob
from workflows.contracts import RetirementScanInput


async def test_a_paused_schedule_stays_paused_when_a_worker_starts_again(dev_env, settings, task_queue):
    job = PeriodicJob(f"test-pause-{uuid.uuid4().hex[:8]}", "RetirementScan", "0 5 * * *",
                      lambda _: RetirementScanInput())
    mine = settings.model_copy(update={"task_queue": task_queue})
    client = dev_env.client
    try:
        assert await schedules.ensure(client, mine, [job]) == [job.schedule_id]
        handle = client.get_schedule_handle(job.schedule_id)
        await handle.pause(note="bảo trì CSDL quốc gia")
        changed = PeriodicJob(job.schedule_id, job.workflow, "0 6 * * *", job.make_input)
        assert await schedules.ensure(client, mine, [changed]) == [job.schedule_id]
        described = await handle.describe()
        assert described.schedule.state.paused and described.schedule.state.note == "bảo trì CSDL quốc gia"
        assert described.schedule.spec.calendars[0].hour[0].start == 6  # the rest is brought up to date (cron → calendar)
    finally:
        await client.get_schedule_handle(job.schedule_id).delete()

"""The daily check of the audit log's chain (workflows/audit_check.py) with the real activities, PostgreSQL and
SMTP: a broken chain notifies Sở Nội vụ's administrators in the app and by mail and the result is logged; an
intact one tells nobody. Its Schedule exists after bootstrap/schedules.ensure() (on the dev server: the
time-skipping server does not run Schedules) and, triggered, runs the check on the worker."""
import uuid
from datetime import UTC, datetime

import psycopg
from sqlalchemy import select
from temporalio.client import ScheduleActionStartWorkflow

from bootstrap import schedules
from models import AuditEvent, Notification, User
from services import audit, audit_export
from tests.helpers import until
from workflows.audit_check import SCHEDULE_ID, AuditChainCheckWorkflow
from workflows.contracts import AuditCheckInput


async def write(db, n: int) -> None:
    for i in range(n):
        async with db.session() as session:
            await audit.record(actor="hr.syt", action="cv.draft_saved", subject=f"person:{i}", session=session)


async def run_check(client, task_queue: str):
    return await client.execute_workflow(AuditChainCheckWorkflow.run, AuditCheckInput(),
                                         id=f"{SCHEDULE_ID}-test-{uuid.uuid4().hex[:8]}", task_queue=task_queue)


async def chain_notifications(db) -> list[tuple[str, str]]:
    async with db.session() as session:
        return list((await session.execute(select(User.username, Notification.body).join(
            User, User.id == Notification.user_id).where(Notification.kind == "audit_chain"))).all())


async def checks_logged(db) -> list[AuditEvent]:
    async with db.session() as session:
        return list((await session.execute(select(AuditEvent).where(
            AuditEvent.action == audit_export.CHECK_ACTION).order_by(AuditEvent.seq))).scalars())


async def test_a_broken_chain_notifies_sonoivu(ts_env, ts_worker, db, org, task_queue, database_url, smtp):
    await write(db, 4)
    async with db.session() as session:
        target = (await session.execute(select(AuditEvent).where(AuditEvent.seq == 2))).scalar_one()
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute("UPDATE audit_events SET actor = 'sonoivu' WHERE id = %s", (target.id,))

    result = await run_check(ts_env.client, task_queue)
    assert not result.ok and result.checked == 2
    assert (result.first_broken["reason"], result.first_broken["id"], result.first_broken["seq"]) == \
        ("altered", target.id, 2)
    notes = await chain_notifications(db)
    assert [username for username, _ in notes] == ["sonoivu"]  # Sở Nội vụ's administrator, nobody else
    assert f"mã {target.id}" in notes[0][1] and "số thứ tự 2" in notes[0][1]
    mails = [m for m in smtp.messages if "nhật ký hệ thống" in m["Subject"]]
    assert [m["To"] for m in mails] == ["sonoivu@demo.hoso.local"]
    assert f"mã {target.id}" in mails[0].get_content()
    [logged] = await checks_logged(db)
    assert logged.detail["ok"] is False and logged.detail["first_broken"]["id"] == target.id


async def test_an_intact_chain_tells_nobody(ts_env, ts_worker, db, org, task_queue, smtp):
    await write(db, 3)
    result = await run_check(ts_env.client, task_queue)
    assert result.ok and result.checked == 3 and result.first_broken is None
    assert result.last_seq == 3
    assert await chain_notifications(db) == []
    assert [m for m in smtp.messages if "nhật ký hệ thống" in m["Subject"]] == []
    [logged] = await checks_logged(db)
    assert logged.detail == {"ok": True, "checked": 3, "last_seq": 3, "first_broken": None}
    assert (await run_check(ts_env.client, task_queue)).ok  # the logged check is itself a row of the chain


async def test_a_repeated_report_logs_and_notifies_once(db, org):
    report = audit_export.CheckReport(ok=False, checked=5, last_seq=9, checked_at=datetime.now(UTC),
                                      first_broken={"reason": "deleted", "seq": 4, "id": None, "at": None,
                                                    "count": 1, "after_id": 3, "before_id": 5})
    for _ in range(2):  # a retried activity
        async with db.session() as session:
            assert await audit_export.record_check(report, "audit-chain-check-x", session=session)
    notes = await chain_notifications(db)
    assert len(notes) == 1 and "Thiếu 1 dòng từ số thứ tự 4" in notes[0][1]
    assert len(await checks_logged(db)) == 1


async def test_the_daily_schedule_exists_and_runs_the_check(dev_env, dev_worker, db, org, settings, task_queue):
    mine = settings.model_copy(update={"task_queue": task_queue})
    client = dev_env.client
    try:
        assert SCHEDULE_ID in await schedules.ensure(client, mine)
        assert SCHEDULE_ID in await schedules.ensure(client, mine)  # a second worker's start updates it
        handle = client.get_schedule_handle(SCHEDULE_ID)
        described = await handle.describe()
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert action.workflow == "AuditChainCheck" and action.task_queue == task_queue
        assert described.schedule.spec.time_zone_name == "Asia/Ho_Chi_Minh"
        job = next(j for j in schedules.JOBS if j.schedule_id == SCHEDULE_ID)
        assert job.cron == "30 2 * * *"  # daily, 02:30 in Việt Nam

        await write(db, 2)
        await handle.trigger()

        async def started() -> str | None:
            actions = (await handle.describe()).info.recent_actions
            return actions[-1].action.workflow_id if actions else None
        workflow_id = await until(started, timeout=30)
        result = await client.get_workflow_handle_for(AuditChainCheckWorkflow.run, workflow_id).result()
        assert result.ok and result.checked == 2
        [logged] = await checks_logged(db)
        assert logged.subject == f"workflow:{workflow_id}"
    finally:
        await client.get_schedule_handle(SCHEDULE_ID).delete()

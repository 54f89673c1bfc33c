"""The monthly backup on Temporal: months of runs on the time-skipping server (retention by the profile: an old dump
goes only once a newer one is verified, at least the profile's number kept; a verification that fails deletes
nothing and opens Sở Nội vụ's task), and its Schedule on the dev server."""
import uuid
from datetime import date, datetime, time, timedelta

import psycopg
import pytest

from bootstrap import schedules
from rules.clock import VN_TZ
from services import backups, tasks
from services.errors import Invalid
from tests.helpers import complete_as, open_task, tasks_of
from workflows.backup import CRON, SCHEDULE_ID, MonthlyBackupWorkflow, failure_workflow_id
from workflows.contracts import BackupRunInput

# A dump pg_dump makes without complaint and pg_restore cannot load: the CHECK of aa_… reads zz_…, whose rows are
# restored after aa_…'s (table data comes in name order), so the restore of aa_… fails. A real reason to restore
# every dump before trusting it.
UNRESTORABLE = """
CREATE TABLE zz_backup_referenced (id int PRIMARY KEY);
CREATE FUNCTION zz_backup_known(i int) RETURNS boolean LANGUAGE sql STABLE
    AS 'SELECT EXISTS (SELECT 1 FROM public.zz_backup_referenced WHERE id = i)';
CREATE TABLE aa_backup_checked (ref int CHECK (public.zz_backup_known(ref)));
INSERT INTO zz_backup_referenced VALUES (1);
INSERT INTO aa_backup_checked VALUES (1);
"""
RESTORABLE_AGAIN = ("DROP TABLE IF EXISTS aa_backup_checked; DROP TABLE IF EXISTS zz_backup_referenced; "
                    "DROP FUNCTION IF EXISTS zz_backup_known(int);")


@pytest.fixture
def settings(settings, tmp_path):
    return settings.model_copy(update={"backup_dir": tmp_path / "backups"})


def execute(url: str, statements: str) -> None:
    with psycopg.connect(psycopg.conninfo.make_conninfo(**backups.conninfo(url)), autocommit=True) as conn:
        conn.execute(statements)


async def next_month(env) -> None:
    """Travel to 02:00 on the 1st of the next month (when the Schedule fires)."""
    now = (await env.get_current_time()).astimezone(VN_TZ)
    first = date(now.year + now.month // 12, now.month % 12 + 1, 1)
    await env.sleep(datetime.combine(first, time(2), tzinfo=VN_TZ) - now)


async def run(env, task_queue: str) -> str:
    return await env.client.execute_workflow(MonthlyBackupWorkflow.run, BackupRunInput("quang-ngai"),
                                             id=f"{SCHEDULE_ID}-test-{uuid.uuid4().hex[:8]}", task_queue=task_queue)


def live(folder) -> list[str]:
    """The dumps on disk, oldest first (their names are their times)."""
    return sorted(p.name for p in folder.glob("*.dump"))


async def test_months_of_backups_keep_the_profiles_number_and_a_failed_verification_deletes_nothing(
        ts_env, ts_worker, db, org, settings, database_url, task_queue):
    folder = settings.backup_path
    await next_month(ts_env)
    made = []
    for month in range(4):
        assert await run(ts_env, task_queue) == "verified"
        made.append(live(folder)[-1])
        # Quảng Ngãi Đ10.2: at least three months kept; the 4th month's verified dump lets the 1st go
        assert live(folder) == (made[-3:] if month == 3 else made)
        await next_month(ts_env)
    assert [e["status"] for e in backups.read_manifest(folder)] == ["verified"] * 4
    assert backups.entry_of(folder, made[0])["deleted_at"] is not None

    execute(database_url, UNRESTORABLE)
    try:
        assert await run(ts_env, task_queue) == "failed"
    finally:
        execute(database_url, RESTORABLE_AGAIN)
    failed = live(folder)[-1]
    # made[1] is now three months old and would have gone had this dump verified: it stays
    assert live(folder) == made[1:] + [failed]
    entry = backups.entry_of(folder, failed)
    assert entry["status"] == "failed" and entry["failure"]["stage"] == "verify"
    assert "aa_backup_checked" in entry["failure"]["message"] and "pg_restore" in entry["failure"]["message"]

    task = await open_task(db, failure_workflow_id(entry["id"]), "backup_failed")
    assert task.actor_role == "sonoivu_admin" and task.unit_id == org.units["SNV"]
    assert task.due_on is None and task.rule is None  # no article sets a deadline for it
    assert task.title.startswith("Xử lý sao lưu dữ liệu không thành công ngày ")
    async with db.session() as session:
        candidates = await tasks.candidates_view(task.id, session=session)
    assert [(username, can) for username, _, _, can in candidates] == [("sonoivu", True)]

    await next_month(ts_env)
    assert await run(ts_env, task_queue) == "verified"
    newest = live(folder)[-1]
    # three verified dumps kept (made[2], made[3], newest); made[1] goes; the failed one is younger than 3 months
    assert live(folder) == [made[2], made[3], failed, newest]



async def test_sonoivu_resolves_the_failed_backup_task(dev_env, api, db, org, settings, database_url, task_queue):
    """On the dev server: the time-skipping test server does not deliver an Update to a child workflow whose
    parent has closed (ParentClosePolicy.ABANDON), which the task's workflow is."""
    execute(database_url, UNRESTORABLE)
    try:
        assert await run(dev_env, task_queue) == "failed"
    finally:
        execute(database_url, RESTORABLE_AGAIN)
    [entry] = backups.read_manifest(settings.backup_path)
    assert entry["status"] == "failed" and entry["file"] in live(settings.backup_path)
    task = await open_task(db, failure_workflow_id(entry["id"]), "backup_failed")
    page = (await (await api("sonoivu")).get(f"/tasks/{task.id}")).text
    assert f'href="/backups#{entry["id"]}"' in page and 'name="outcome" value="resolved"' in page
    watched = (await (await api("thanhtra")).get(f"/tasks/{task.id}")).text  # the auditor only looks
    assert f'href="/backups#{entry["id"]}"' in watched and 'value="resolved"' not in watched
    with pytest.raises(Invalid) as blank:
        await complete_as(db, dev_env.client, "sonoivu", task.id, "resolved", {"comment": " "})
    assert blank.value.code == "missing_comment"
    await complete_as(db, dev_env.client, "sonoivu", task.id, "resolved",
                      {"comment": "Bảng aa_backup_checked tạo thử đã xóa; đã sao lưu lại bằng hoso backup."})
    assert await dev_env.client.get_workflow_handle(failure_workflow_id(entry["id"])).result() == "resolved"
    resolved = backups.entry_of(settings.backup_path, entry["file"])["resolved"]
    assert resolved["by"] == "sonoivu" and resolved["comment"].startswith("Bảng aa_backup_checked")
    [done] = await tasks_of(db, failure_workflow_id(entry["id"]))
    assert (done.status, done.outcome, done.comment) == ("done", "resolved", resolved["comment"])


async def test_the_schedule_exists_after_ensure(dev_env, settings):
    [job] = [j for j in schedules.JOBS if j.schedule_id == SCHEDULE_ID]
    handle = dev_env.client.get_schedule_handle(SCHEDULE_ID)
    try:
        assert SCHEDULE_ID in await schedules.ensure(dev_env.client, settings, jobs=[job])
        await schedules.ensure(dev_env.client, settings, jobs=[job])  # a second worker's start updates it
        described = await handle.describe()
        action = described.schedule.action
        assert action.workflow == "MonthlyBackup" and action.id == SCHEDULE_ID
        assert action.task_queue == settings.task_queue
        [arg] = await dev_env.client.data_converter.decode(action.args, [BackupRunInput])
        assert arg == BackupRunInput(settings.profile)
        assert described.schedule.spec.time_zone_name == "Asia/Ho_Chi_Minh" and CRON == "0 2 1 * *"
        upcoming = [moment.astimezone(VN_TZ) for moment in described.info.next_action_times]
        assert upcoming and all((m.day, m.hour, m.minute) == (1, 2, 0) for m in upcoming)
        assert all(b - a >= timedelta(days=28) for a, b in zip(upcoming, upcoming[1:]))
    finally:
        await handle.delete()

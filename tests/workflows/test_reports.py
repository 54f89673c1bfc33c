"""Periodic reports on the time-skipping server (workflows/reports.py): each profile's due date, the reminder and
the escalation of a missed one, HR's submission and the head's signature; a repeated round starts nobody twice.
Their Schedules (one per duty of the configured profile) are checked on the dev server, which runs Schedules."""
import uuid
from datetime import date, datetime, time

import pytest
from sqlalchemy import select
from temporalio.client import ScheduleActionStartWorkflow

from bootstrap import schedules
from models import Report, Task
from rules.calendar import WorkingCalendar
from rules.clock import VN_TZ
from rules.deadlines import compute_deadline, report_period_on
from rules.profiles import get_profile
from services.actors import candidate_ids
from services.signing import validate_pdf
from tests.helpers import complete_as, make_revisions, open_task, task_by_id, until
from workflows.contracts import ReportRoundInput
from workflows.reports import ReportRoundWorkflow, schedule_id, workflow_id

CAL = WorkingCalendar()


async def travel_to(env, moment: datetime) -> None:
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)


async def local_now(env) -> datetime:
    return (await env.get_current_time()).astimezone(VN_TZ)


async def run_round(env, task_queue: str, profile: str, duty: str, period: str | None = None):
    return await env.client.execute_workflow(
        ReportRoundWorkflow.run, ReportRoundInput(profile=profile, duty=duty, period=period),
        id=f"report-round-test-{uuid.uuid4().hex[:8]}", task_queue=task_queue)


async def reports_of(db, duty: str, period: str) -> dict[int, Report]:
    async with db.session() as session:
        rows = (await session.execute(select(Report).where(Report.duty == duty, Report.period == period))).scalars()
        return {r.unit_id: r for r in rows}


async def stamp(db, task_id: int, name: str):
    return getattr(await task_by_id(db, task_id), name)


@pytest.mark.parametrize("profile", ["kon-tum", "nghe-an"])
async def test_yearly_report_due_before_15_january_reminded_and_escalated(profile, ts_env, ts_worker, db, org,
                                                                         task_queue):
    """Kon Tum Đ19.1, Nghệ An Đ13.1: "trước ngày 15 tháng 01 hàng năm" for the past year, so by the end of 14/01."""
    year = (await local_now(ts_env)).year
    await travel_to(ts_env, datetime(year + 1, 1, 1, 7, tzinfo=VN_TZ))  # when the duty's Schedule fires
    result = await run_round(ts_env, task_queue, profile, "yearly")
    assert (result.period, result.started, result.already) == (str(year), 8, 0)
    rows = await reports_of(db, "yearly", str(year))
    # the province's unit and every agency under it (Sở, phường, xã), not the units within an agency
    assert set(rows) == {org.units[c] for c in ("QNG", "SNV", "SYT", "SGD", "STC", "P-CT", "P-KT", "X-BS")}
    due = date(year + 1, 1, 14)
    unit = org.units["SYT"]
    task = await open_task(db, workflow_id("yearly", str(year), unit), "prepare_report")
    article = "Điều 19 khoản 1" if profile == "kon-tum" else "Điều 13 khoản 1"
    assert task.due_on == due and article in task.legal_basis and task.rule == "report.yearly"
    assert task.title == f"Lập báo cáo năm {year}: Sở Y tế"
    assert rows[unit].due_on == due and rows[unit].status == "open"

    remind = datetime.combine(CAL.sub_working_days(due, 2), time(8), tzinfo=VN_TZ)
    await travel_to(ts_env, remind.replace(hour=7))
    assert (await task_by_id(db, task.id)).reminded_at is None
    await travel_to(ts_env, remind.replace(hour=9))
    await until(lambda: stamp(db, task.id, "reminded_at"))

    await travel_to(ts_env, datetime.combine(due, time(23), tzinfo=VN_TZ))
    assert (await task_by_id(db, task.id)).escalated_head_at is None
    await travel_to(ts_env, datetime.combine(date(year + 1, 1, 15), time(1), tzinfo=VN_TZ))
    await until(lambda: stamp(db, task.id, "escalated_head_at"))
    assert (await reports_of(db, "yearly", str(year)))[unit].late  # the due time passed unsigned
    sonoivu = CAL.add_working_days(due, 3)
    await travel_to(ts_env, datetime.combine(sonoivu, time(23), tzinfo=VN_TZ))
    assert (await task_by_id(db, task.id)).escalated_sonoivu_at is None
    await travel_to(ts_env, datetime.combine(CAL.next_working_day(sonoivu), time(9), tzinfo=VN_TZ))
    await until(lambda: stamp(db, task.id, "escalated_sonoivu_at"))
    assert (await task_by_id(db, task.id)).escalation_level == 2


async def test_hai_phong_report_due_31_december_of_the_year(ts_env, ts_worker, db, org, task_queue):
    """Hải Phòng Đ11.1: "chậm nhất là ngày 31 tháng 12" of the reporting year; the round opens on 01/12."""
    now = await local_now(ts_env)
    year = now.year if now.month < 12 else now.year + 1
    await travel_to(ts_env, datetime(year, 12, 1, 7, tzinfo=VN_TZ))
    result = await run_round(ts_env, task_queue, "hai-phong", "yearly")
    assert result.period == str(year)
    task = await open_task(db, workflow_id("yearly", str(year), org.units["SGD"]), "prepare_report")
    assert task.due_on == date(year, 12, 31) and "Điều 11 khoản 1" in task.legal_basis
    assert task.reminded_at is None and task.started_on == date(year, 12, 1)


@pytest.mark.parametrize(("profile", "duty", "period", "article"), [
    ("quang-ngai", "yearly", "2026", "Điều 12 khoản 1"),
    ("nghe-an", "half_yearly", "2026-H1", "Điều 19 khoản 2"),
])
async def test_reports_whose_text_sets_no_date_have_no_due_date(profile, duty, period, article, ts_env, ts_worker,
                                                                db, org, task_queue):
    await run_round(ts_env, task_queue, profile, duty, period)
    task = await open_task(db, workflow_id(duty, period, org.units["STC"]), "prepare_report")
    assert task.due_on is None and task.due_at is None and task.reminded_at is None
    report = (await reports_of(db, duty, period))[org.units["STC"]]
    assert report.due_on is None and article in report.legal_basis  # the task has no deadline, the report its article


async def test_binh_dinh_the_so_reports_every_quarter_for_the_province(ts_env, ts_worker, db, org, task_queue):
    """Bình Định III.2: the Sở's Phòng CCVC reports every 3 months; one report, at the province's unit."""
    result = await run_round(ts_env, task_queue, "binh-dinh", "quarterly", "2026-Q3")
    assert result.started == 1
    [report] = (await reports_of(db, "quarterly", "2026-Q3")).values()
    assert report.unit_id == org.units["QNG"] and report.period_label == "quý III năm 2026"
    task = await open_task(db, workflow_id("quarterly", "2026-Q3", org.units["QNG"]), "prepare_report")
    assert task.actor_role == "sonoivu_admin" and task.due_on is None
    assert "Mục III khoản 2" in report.legal_basis
    async with db.session() as session:
        assert await candidate_ids(task.id, session=session) == {org.users["sonoivu"]}
    await make_revisions(db, org.units["SYT-BV"], 1)
    await make_revisions(db, org.units["P-KT"], 1, first=2)
    done = await complete_as(db, ts_env.client, "sonoivu", task.id, "submit")
    assert done.result.result["headcount"] == 2  # the whole province
    sign = await open_task(db, task.workflow_id, "sign_report")
    assert sign.actor_role == "sonoivu_director"
    await complete_as(db, ts_env.client, "giamdoc.snv", sign.id, "sign")
    [report] = (await reports_of(db, "quarterly", "2026-Q3")).values()
    assert report.status == "submitted" and report.signed_as == "Giám đốc Sở Nội vụ"
    [signature] = validate_pdf(report.signed_pdf)
    assert signature.intact and signature.valid


async def test_submit_then_the_head_signs_and_a_repeated_round_starts_nobody(ts_env, ts_worker, db, org, task_queue):
    unit = org.units["SYT"]
    await make_revisions(db, unit, 2)
    await make_revisions(db, org.units["SYT-BV"], 1, first=3)  # a unit within the agency: in its report
    await run_round(ts_env, task_queue, "kon-tum", "yearly", "2026")
    again = await run_round(ts_env, task_queue, "kon-tum", "yearly", "2026")
    assert again.started == 0 and again.already == 8
    wid = workflow_id("yearly", "2026", unit)
    prepare = await open_task(db, wid, "prepare_report")
    done = await complete_as(db, ts_env.client, "hr.syt", prepare.id, "submit",
                             {"notes": {"difficulties": "Đường truyền chậm vào cuối tháng."}})
    assert done.result.result["headcount"] == 3
    report = (await reports_of(db, "yearly", "2026"))[unit]
    assert report.status == "prepared" and report.figures["headcount"] == 3
    assert report.notes == {"difficulties": "Đường truyền chậm vào cuối tháng."}

    sign = await open_task(db, wid, "sign_report")
    assert sign.due_on == date(2027, 1, 14) and sign.actor_role == "unit_head"
    await complete_as(db, ts_env.client, "head.syt", sign.id, "sign")
    report = (await reports_of(db, "yearly", "2026"))[unit]
    assert report.status == "submitted" and report.signed_as == "Thủ trưởng đơn vị"
    [signature] = validate_pdf(report.signed_pdf)
    assert signature.intact and signature.valid
    handle = ts_env.client.get_workflow_handle(wid)
    assert await handle.result() == "submitted"
    async with db.session() as session:
        done_tasks = (await session.execute(select(Task.kind, Task.status).where(Task.workflow_id == wid))).all()
    assert sorted(done_tasks) == [("prepare_report", "done"), ("sign_report", "done")]


async def test_each_duty_of_the_profile_is_a_schedule(dev_env, dev_worker, db, org, settings, task_queue):
    mine = settings.model_copy(update={"task_queue": task_queue, "profile": "nghe-an"})
    client = dev_env.client
    ids = [schedule_id("yearly"), schedule_id("half_yearly")]
    try:
        made = await schedules.ensure(client, mine)
        assert set(ids) <= set(made)
        assert set(ids) <= set(await schedules.ensure(client, mine))  # a second worker's start updates them
        crons = {}
        for sid in ids:
            described = await client.get_schedule_handle(sid).describe()
            action = described.schedule.action
            assert isinstance(action, ScheduleActionStartWorkflow)
            assert action.workflow == "ReportRound" and action.task_queue == task_queue
            assert described.schedule.spec.time_zone_name == "Asia/Ho_Chi_Minh"
            crons[sid] = next(j.cron for j in schedules.jobs_for(mine) if j.schedule_id == sid)
        assert crons == {schedule_id("yearly"): "0 7 1 1 *", schedule_id("half_yearly"): "0 7 1 7 *"}
        other = settings.model_copy(update={"task_queue": task_queue, "profile": "binh-dinh"})
        assert [j.cron for j in schedules.report_jobs(other)] == ["0 7 1 1,4,7,10 *"]

        handle = client.get_schedule_handle(schedule_id("half_yearly"))
        await handle.trigger()

        async def started() -> str | None:
            actions = (await handle.describe()).info.recent_actions
            return actions[-1].action.workflow_id if actions else None
        round_id = await until(started, timeout=30)
        result = await client.get_workflow_handle_for(ReportRoundWorkflow.run, round_id).result()
        today = datetime.now(VN_TZ).date()
        expected = f"{today.year}-H1" if today.month >= 7 else f"{today.year - 1}-H1"
        assert result.period == expected and result.started == 8
    finally:
        for sid in ids:
            await client.get_schedule_handle(sid).delete()


@pytest.mark.parametrize(("profile", "duty", "day", "period", "due"), [
    ("kon-tum", "yearly", date(2027, 1, 3), "2026", date(2027, 1, 14)),   # a late run still opens last year's round
    ("nghe-an", "yearly", date(2027, 1, 1), "2026", date(2027, 1, 14)),
    ("nghe-an", "half_yearly", date(2027, 1, 1), "2026-H1", None),      # no second-half round: the year's is it
    ("hai-phong", "yearly", date(2026, 12, 1), "2026", date(2026, 12, 31)),
    ("hai-phong", "yearly", date(2026, 11, 30), "2025", date(2025, 12, 31)),
    ("binh-dinh", "quarterly", date(2026, 10, 1), "2026-Q3", None),
    ("quang-ngai", "yearly", date(2027, 1, 1), "2026", None),
])
def test_the_round_a_day_opens_and_its_due_date(profile, duty, day, period, due):
    p = get_profile(profile, on=day)
    found = report_period_on(p.duty(duty), day)
    deadline = compute_deadline(p, f"report.{duty}", found.start, CAL)
    assert (found.key, deadline.due if deadline else None) == (period, due)
    assert p.rule(f"report.{duty}.sign").actor in ("unit_head", "sonoivu_director")

"""Sở Nội vụ's side of the demo (issue 7), driven through the real services and workflows with a running worker:

- late and escalated work in this month's scorecard (services/scorecards.py counts every task with a legal
  deadline in the month of its due date): two hires registered so that their account creation fell due on the
  month's last working day before today; one's HR creates the account today (late), the other's is still open
  (overdue, escalated to the unit's head). On the first working day of a month nothing of it can be due yet: the
  hires are then dated as the other backdated ones, and the late work is in the months before. A profile that
  sets no deadline for the account gets two facts HR records from state decisions instead, dated the same way;
- a round of periodic reports for a past period (the ReportRound workflow the duty's Schedule starts): Sở Y tế's HR
  prepares its report and its head signs it (submitted); the other units' reports are left open, overdue where the
  profile's duty has a due date (Quảng Ngãi's has none: its Điều 12 khoản 1 only refers to Thông tư 06/2023/TT-BNV
  Điều 16 khoản 11, see docs/regulation-mapping.md §7, so they are open and not overdue). Where the Sở level makes
  the one report of the province (Bình Định), the period before is submitted and the last one left open;
- last, a backup of the database verified by restoring it into a scratch database (services/backups.py, as
  `hoso backup` does), into the configured backup folder.
"""
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from temporalio.client import Client

from bootstrap.demo_lifecycle import WAIT, late_due, start_for_due, working_calendar
from bootstrap.demo_people import DemoHire, _act, _import_existing, _seed_one, _unit_id, _user_id, actor_of, wait_task
from core.config import Settings
from core.db import Database
from models import Report
from rules.calendar import WorkingCalendar
from rules.deadlines import ReportPeriod, compute_deadline, report_period_on
from rules.profiles import ReportingDuty, get_profile
from services.scope import load_viewer
from workflows.contracts import ReportRoundInput
from workflows.reports import schedule_id, workflow_id as report_workflow_id

# (name, sex, born, unit, stage, login): stage "self_entry" = the account was created (late), "account" = still to
# create (overdue).
LATE_HIRES = [
    ("Lương Văn Phú", "nam", date(1995, 7, 4), "SYT-BV", "self_entry", "phu.luongvan"),
    ("Trịnh Thị Quyên", "nu", date(1997, 3, 27), "SGD-LK", "account", "quyen.trinhthi"),
]
FALLBACK_DAYS_AGO = 20  # when nothing can be due yet this month
SERIAL = 31
REPORTING_UNIT = "SYT"  # the unit whose report is submitted
REPORT_NOTES = {"assessment": "Đơn vị cập nhật đầy đủ, kịp thời dữ liệu cán bộ, công chức, viên chức trong kỳ.",
                "proposals": "Đề nghị Sở Nội vụ tổ chức tập huấn sử dụng phần mềm cho cán bộ tổ chức mới."}

LOGINS = [(LATE_HIRES[0][5], f"{LATE_HIRES[0][0]} (cá nhân, {LATE_HIRES[0][3]}; tài khoản được tạo trễ hạn)")]


async def seed_oversight(db: Database, client: Client, task_queue: str, profile: str, password: str,
                         today: date) -> None:
    calendar = await working_calendar(db)
    await seed_late_work(db, client, task_queue, profile, password, today, calendar)
    await seed_reports(db, client, task_queue, profile, today, calendar)


# ---- the month's scorecard ---------------------------------------------------------------------------------

async def seed_late_work(db, client, task_queue, profile, password, today, calendar) -> list[int]:
    """The two hires (late, overdue); where the profile sets no deadline for the account (Bình Định, Hải Phòng,
    Kon Tum: none), two facts HR records from state decisions, dated back in the same way; the people's ids."""
    due = late_due(today, calendar)
    hired = start_for_due(profile, "account_creation", due, calendar) if due else None
    if due and hired is None:
        return await _late_updates(db, client, task_queue, profile, password, today, calendar, due)
    hired = hired or today - timedelta(days=FALLBACK_DAYS_AGO)
    ids = []
    for serial, (name, sex, born, unit, stage, login) in enumerate(LATE_HIRES, start=SERIAL):
        hire = DemoHire(name, sex, born, unit, (today - hired).days, stage, login)
        ids.append(await _seed_one(db, client, task_queue, profile, password, today, hire, serial))
    return ids


async def _late_updates(db, client, task_queue, profile, password, today, calendar, due) -> list[int]:
    """HR records a salary step of two staff from decisions dated so that the entry fell due on `due`: one is
    submitted today (late), the other is still to enter (overdue, escalated)."""
    from services import updates
    from services.pdf import render_cv

    scan = render_cv(person_name="Quyết định nâng bậc lương", unit_name="Sở Nội vụ", managing_body="UBND tỉnh",
                     cv_data={}, revision_number=1, generated_at=datetime.now(UTC))
    changed = start_for_due(profile, "update_state_decision", due, calendar, version_on=today) \
        or today - timedelta(days=FALLBACK_DAYS_AGO)
    ids = []
    for serial, (name, sex, born, unit, stage, login) in enumerate(LATE_HIRES, start=SERIAL):
        staff = DemoHire(name, sex, born, unit, 3000, "imported", login)
        person_id = await _import_existing(db, profile, password, today, staff, serial)
        hr = f"hr.{unit.lower()}"
        async with db.session() as session:
            viewer = await load_viewer(await _user_id(session, hr), session=session)
            revision = await updates.start(
                client, task_queue, session, viewer, person_id, kind="update_state_decision", change_date=changed,
                reason="Nâng bậc lương thường xuyên", data={"salary_step": 2, "salary_coefficient": "2.67",
                                                             "salary_from": changed.isoformat()},
                decision_no=f"{serial}/QĐ-{unit}", today=today, document=("quyet-dinh.pdf", scan),
                max_bytes=10 * 1024 * 1024)
        entry = await wait_task(db, revision.workflow_id, "update_entry", WAIT)
        if stage != "account":
            await _act(db, client, await actor_of(db, entry), entry, "submit")
        ids.append(person_id)
    return ids


# ---- the periodic reports ----------------------------------------------------------------------------------

def report_round(profile: str, today: date, calendar: WorkingCalendar) -> tuple[ReportingDuty, ReportPeriod] | None:
    """The profile's duty (one with a due date if it has one) and its latest period whose round has opened and,
    where there is a due date, whose due date has passed; None for a profile without reporting duties."""
    version = get_profile(profile, on=today)
    if not version.reporting:
        return None

    def due(duty: ReportingDuty, period: ReportPeriod) -> date | None:
        deadline = compute_deadline(version, duty.rule.name, period.start, calendar)
        return deadline.due if deadline else None

    duty = next((d for d in version.reporting if due(d, report_period_on(d, today))), version.reporting[0])
    period = report_period_on(duty, today)
    while (on := due(duty, period)) is not None and on >= today:
        period = report_period_on(duty, period.opens - timedelta(days=1))
    return duty, period


async def seed_reports(db, client, task_queue, profile, today, calendar) -> list[Report]:
    """Open the round; Sở Y tế's HR prepares its report and its head signs it; the others are left open. Where one
    report covers the province (Bình Định III.2: the Sở level), the round of the period before is opened too and
    its report submitted (Sở Nội vụ prepares, its Director signs). The reports of the rounds opened."""
    chosen = report_round(profile, today, calendar)
    if chosen is None:
        return []
    duty, period = chosen
    async with db.session() as session:
        unit_id = await _unit_id(session, REPORTING_UNIT)
    reports = await _open_round(db, client, task_queue, profile, duty, period, unit_id)
    if duty.reporter == "unit_hr" and len(reports) > 1 and any(r.unit_id == unit_id for r in reports):
        await _submit(db, client, report_workflow_id(duty.key, period.key, unit_id))
        return await _reports_of(db, duty, period)
    before = report_period_on(duty, period.opens - timedelta(days=1))
    [earlier] = await _open_round(db, client, task_queue, profile, duty, before, unit_id)
    await _submit(db, client, earlier.workflow_id)
    return await _reports_of(db, duty, before) + await _reports_of(db, duty, period)


async def _open_round(db, client, task_queue, profile, duty, period, unit_id) -> list[Report]:
    """The ReportRound workflow a duty's Schedule starts, for `period`."""
    await client.execute_workflow("ReportRound", ReportRoundInput(profile=profile, duty=duty.key, period=period.key),
                                  id=f"{schedule_id(duty.key)}/{period.key}/demo-{unit_id}", task_queue=task_queue)
    return await _reports_of(db, duty, period)


async def _submit(db, client, workflow_id: str) -> None:
    prepare = await wait_task(db, workflow_id, "prepare_report", WAIT)
    await _act(db, client, await actor_of(db, prepare), prepare, "submit", {"notes": REPORT_NOTES})
    sign = await wait_task(db, workflow_id, "sign_report", WAIT)
    await _act(db, client, await actor_of(db, sign), sign, "sign")


async def _reports_of(db, duty, period) -> list[Report]:
    async with db.session() as session:
        return list((await session.execute(select(Report).where(
            Report.duty == duty.key, Report.period == period.key).order_by(Report.unit_id))).scalars())


# ---- the backup ------------------------------------------------------------------------------------------

async def verified_backup(db: Database, settings: Settings) -> dict:
    """Dump the database into the configured backup folder and verify the dump by restoring it into a scratch
    database (as `hoso backup` does); the manifest's entry."""
    from services import backups

    folder = settings.backup_path
    entry = await backups.dump(db.url, folder, now=datetime.now(UTC), trigger="manual")
    return await backups.verify(db.url, folder / entry["file"], now=datetime.now(UTC))

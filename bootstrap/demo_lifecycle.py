"""The demo's records through their working life (issue 6), driven through the real services and workflows
with a running worker, after the onboardings of bootstrap/demo_people.py:

- a transfer between two units of the province in progress: a nurse of the provincial hospital (SYT-BV) moves to
  the Lê Khiết high school (SGD-LK); the hospital's HR has released the record, which waits at the school's HR;
- two people archived at Sở Tài chính (STC): a retirement and a resignation, each a leaving through the Transfer
  workflow (HR's status change, then the month's approval signed by the head). Where the profile's monthly window
  is closed on the seeding day (Quảng Ngãi: from the 25th), the head could not sign today, so their archived state
  is inserted as a record brought over from the previous system would be: placements closed, an approved status
  change, a `transfers` row of kind leaving, done;
- a teacher of SGD-LK whose retirement notice is due (born so that their retirement date falls about 6 months
  ahead; sooner, with the notice overdue, in the weeks when nobody retires 6 months on: the roadmap's yearly
  steps skip some months), their Retirement workflow started by the RetirementScan workflow, as the daily
  Schedule does;
- a small unit (Chi cục An toàn vệ sinh thực phẩm, three people) merged into Sở Y tế on the first day of the
  month: the merger workflow moves them and closes the old unit with its successor.

Records "brought over from the previous system" are inserted as demo_people._import_existing does.
"""
import asyncio
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from temporalio.client import Client

from bootstrap.demo_people import (
    DemoHire, _act, _import_existing, _unit_id, _user_id, actor_of, sign_export, wait_task,
)
from core.db import Database
from models import Approval, ApprovalItem, Merger, Person, ProfileRevision, Transfer, User
from models.transfers import LEAVING_REASONS
from rules.calendar import WorkingCalendar
from rules.clock import VN_TZ
from rules.deadlines import add_months, compute_deadline
from rules.profiles import get_profile
from rules.retirement import PROCESS, age_of_year, retirement_date
from services import admin, deadlines, mergers, moves, placements, transfers
from services.scope import load_viewer
from workflows.contracts import RetirementScanInput
from workflows.retirement import workflow_id as retirement_workflow_id

WAIT = 60  # seconds a workflow step may take to show in the database

# The transfer (case 2): released by the hospital, waiting at the school's HR.
TRANSFERRED = DemoHire("Trương Thị Mỹ", "nu", date(1991, 3, 8), "SYT-BV", 2900, "imported", "my.truongthi")
TRANSFER_FROM, TRANSFER_TO = "SYT-BV", "SGD-LK"
TRANSFER_REASON = "Điều động làm nhân viên y tế trường học"
TRANSFER_DECISION = "112/QĐ-SYT"

# The leavings, both at Sở Tài chính (one month's batch, one signature): (name, sex, born, days since hired, login).
LEAVING_UNIT = "STC"
RETIREE = ("Phạm Văn Lợi", "nam", 12500, "loi.phamvan")  # born so that he retired at the end of a past month
RESIGNED = DemoHire("Ngô Thị Kim", "nu", date(1992, 10, 5), LEAVING_UNIT, 2200, "imported", "kim.ngothi")
RETIREMENT_DECISION, RESIGNATION_DECISION = "58/QĐ-STC", "61/QĐ-STC"
RESIGNED_DAYS_AGO = 10

# The retirement whose notice is due: a teacher of the school, by sex.
RETIRING_UNIT = "SGD-LK"
RETIRING_NAMES = {"nam": "Võ Văn Thành", "nu": "Hồ Thị Liên"}

# The merger: a small unit of Sở Y tế, merged into it (the 2025 reorganisation).
MERGED_UNIT = ("SYT-ATTP", "Chi cục An toàn vệ sinh thực phẩm", "chi_cuc", "SYT")
MERGED_INTO = "SYT"
MERGER_DECISION = "25/QĐ-UBND"
MERGED_PEOPLE = [
    DemoHire("Lê Thị Hà", "nu", date(1988, 4, 2), "SYT-ATTP", 4000, "imported", "ha.lethi"),
    DemoHire("Đỗ Văn Toàn", "nam", date(1983, 9, 17), "SYT-ATTP", 6000, "imported", "toan.dovan"),
    DemoHire("Nguyễn Thị Xuân", "nu", date(1995, 12, 1), "SYT-ATTP", 1500, "imported", "xuan.nguyenthi"),
]
# Citizen ID serials (demo_people.citizen_id): the onboardings and imports use 1-10, the oversight's people 31-32,
# the merged unit's people 1500-1502.
SERIALS = {"transfer": 11, "retiree": 12, "resigned": 13, "retiring": 14, "merged": 15}

# Logins for the banner (bootstrap/demo.demo_logins).
LOGINS = [(TRANSFERRED.login, f"{TRANSFERRED.name} (cá nhân, {TRANSFER_FROM} → {TRANSFER_TO}: đang điều động, "
                              "chờ đơn vị mới tiếp nhận)")]


async def seed_lifecycle(db: Database, client: Client, task_queue: str, profile: str, password: str,
                         today: date) -> None:
    calendar = await working_calendar(db)
    await seed_transfer(db, client, task_queue, profile, password, today, calendar)
    await seed_leavings(db, client, task_queue, profile, password, today, calendar)
    await seed_merger(db, client, task_queue, profile, password, today)
    # last: the scan looks at every active person, and the leavers are archived by now
    await seed_retirement_notice(db, client, task_queue, profile, password, today, calendar)


async def working_calendar(db: Database) -> WorkingCalendar:
    async with db.session() as session:
        return await deadlines.working_calendar(session=session)


async def until(fetch, what: str, timeout: float = WAIT):
    """Poll `fetch` (an async callable) until it returns something truthy."""
    for _ in range(int(timeout * 10)):
        value = await fetch()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise TimeoutError(f"demo: {what} did not happen within {timeout:.0f} s")


def late_due(today: date, calendar: WorkingCalendar) -> date | None:
    """The latest working day of this month before today: work due then is late (or overdue and escalated to the
    head) now, and counts in this month's scorecard (services/scorecards.py counts by the month of the due date).
    None on the first working day of a month (and the days off before it)."""
    day = today - timedelta(days=1)
    while day.month == today.month:
        if calendar.is_working_day(day):
            return day
        day -= timedelta(days=1)
    return None


def start_for_due(profile_name: str, rule: str, due: date, calendar: WorkingCalendar,
                  version_on: date | None = None) -> date | None:
    """The latest start (a hiring date, an effective date, the date of a change) from which `rule` falls due on
    `due`, under the profile version in force on that start (or on `version_on`: a record's own version); None
    when no start within two months does."""
    for back in range(1, 61):
        start = due - timedelta(days=back)
        version = get_profile(profile_name, on=version_on or start)
        deadline = compute_deadline(version, rule, start, calendar) if version.has_rule(rule) else None
        if deadline is not None and deadline.due == due:
            return start
    return None


def approval_window_open(profile_name: str, today: date, calendar: WorkingCalendar) -> bool:
    """Whether a head can sign this month's batch today (the window of rule monthly_approval: Quảng Ngãi before the
    25th, Kon Tum and Hải Phòng the last 5 days; no rule, no window)."""
    profile = get_profile(profile_name, on=today)
    if not profile.has_rule("monthly_approval"):
        return True
    deadline = compute_deadline(profile, "monthly_approval", today, calendar)
    if deadline is None:
        return True
    return (deadline.opens or today.replace(day=1)) <= today <= deadline.due


def born_retiring_on(sex: str, day: date) -> date | None:
    """A date of birth (the 15th of its month) whose retirement date (rules/retirement.py) is `day`, a month's last
    day; None in the months in which nobody of that sex retires (the roadmap's yearly steps skip some)."""
    age = age_of_year(sex, day.year)  # whoever retires in that month reaches that year's age in it
    year, month = divmod(day.year * 12 + day.month - 1 - age.total_months, 12)
    born = date(year, month + 1, 15)
    return born if retirement_date(sex, born) == day else None


def month_end(day: date) -> date:
    return add_months(day.replace(day=1), 1) - timedelta(days=1)


# ---- the transfer in progress ------------------------------------------------------------------------------

async def seed_transfer(db, client, task_queue, profile, password, today, calendar) -> int:
    """Case 2: the hospital's HR starts the transfer and releases the record; it waits at the school's HR. The
    decision took effect so that the release fell due on the month's last working day before today, so the
    release, done today, counts as late in this month's scorecard."""
    due = late_due(today, calendar)
    effective = (start_for_due(profile, "transfer_send", due, calendar) if due else None) or today - timedelta(days=3)
    person_id = await _import_existing(db, profile, password, today, TRANSFERRED, SERIALS["transfer"])
    hr = f"hr.{TRANSFER_FROM.lower()}"
    async with db.session() as session:
        viewer = await load_viewer(await _user_id(session, hr), session=session)
        transfer = await transfers.start(client, task_queue, session, viewer, transfers.TransferRequest(
            kind="intra_province", person_id=person_id, to_unit_id=await _unit_id(session, TRANSFER_TO),
            reason=TRANSFER_REASON, decision_no=TRANSFER_DECISION, effective_on=effective),
            profile_name=profile, today=today)
    release = await wait_task(db, transfer.workflow_id, "release_record", WAIT)
    await _act(db, client, await actor_of(db, release), release, "release")
    await wait_task(db, transfer.workflow_id, "receive_record", WAIT)
    return transfer.id


# ---- the archive ---------------------------------------------------------------------------------------------

def retiree(today: date) -> tuple[DemoHire, date]:
    """A man who retired at the end of a past month (the latest one in which someone of his age retires)."""
    name, sex, days_ago, login = RETIREE
    day = today.replace(day=1) - timedelta(days=1)
    for _ in range(12):
        born = born_retiring_on(sex, day)
        if born is not None:
            return DemoHire(name, sex, born, LEAVING_UNIT, days_ago, "imported", login), day
        day = day.replace(day=1) - timedelta(days=1)
    raise RuntimeError("demo: no retirement month found in the past year")  # pragma: no cover - the roadmap


async def seed_leavings(db, client, task_queue, profile, password, today, calendar) -> list[int]:
    """A retirement and a resignation at Sở Tài chính, both archived; the people's ids."""
    retired, retired_on = retiree(today)
    resigned_on = today - timedelta(days=RESIGNED_DAYS_AGO)
    leavings = []
    for staff, serial, reason, on, number in (
            (retired, SERIALS["retiree"], "retirement", retired_on, RETIREMENT_DECISION),
            (RESIGNED, SERIALS["resigned"], "resignation", resigned_on, RESIGNATION_DECISION)):
        person_id = await _import_existing(db, profile, password, today, staff, serial)
        leavings.append((person_id, reason, on, number))
    if approval_window_open(profile, today, calendar):
        await _leave_through_workflows(db, client, task_queue, profile, today, leavings)
    else:
        for leaving in leavings:
            await _archived_as_imported(db, *leaving)
    return [person_id for person_id, *_ in leavings]


async def _leave_through_workflows(db, client, task_queue, profile, today, leavings) -> None:
    """HR registers each leaving and changes the status; the head signs the month's batch with both; archived."""
    hr = f"hr.{LEAVING_UNIT.lower()}"
    revisions = []
    for person_id, reason, on, number in leavings:
        async with db.session() as session:
            viewer = await load_viewer(await _user_id(session, hr), session=session)
            transfer = await transfers.start(client, task_queue, session, viewer, transfers.TransferRequest(
                kind="leaving", person_id=person_id, to_unit_id=None, reason=reason, decision_no=number,
                effective_on=on), profile_name=profile, today=today)
        change = await wait_task(db, transfer.workflow_id, "change_status", WAIT)
        await _act(db, client, await actor_of(db, change), change, "done")
        revisions.append(await until(lambda t=transfer.id: _revision_of(db, t), "the status change's revision"))

    async def batch() -> str | None:
        async with db.session() as session:
            rows = (await session.execute(select(Approval.workflow_id, ApprovalItem.revision_id).join(
                ApprovalItem, ApprovalItem.approval_id == Approval.id).where(
                ApprovalItem.revision_id.in_(revisions), ApprovalItem.decision == "pending"))).all()
        return rows[0][0] if len({revision for _, revision in rows}) == len(revisions) else None

    approval_workflow = await until(batch, "the month's batch with both leavings")
    sign = await wait_task(db, approval_workflow, "sign_approval", WAIT)
    decisions = {str(revision): "approve" for revision in revisions}
    await _act(db, client, await actor_of(db, sign), sign, "sign", {"decisions": decisions})

    async def archived() -> bool:
        async with db.session() as session:
            statuses = (await session.execute(select(Person.status).where(
                Person.id.in_([person_id for person_id, *_ in leavings])))).scalars().all()
        return all(status == "archived" for status in statuses)

    await until(archived, "the archive of the leavers")


async def _revision_of(db, transfer_id: int) -> int | None:
    async with db.session() as session:
        return (await session.get(Transfer, transfer_id)).revision_id


async def _archived_as_imported(db, person_id: int, reason: str, on: date, number: str) -> None:
    """The archived state of a leaving done before (the head could not sign today): its approved status change
    with its signed export, the placement closed on the day, a `transfers` row of kind leaving, done; the login
    stops working."""
    now = datetime.now(UTC)
    async with db.session() as session:
        person = await session.get(Person, person_id)
        current = await session.get(ProfileRevision, person.current_revision_id)
        version = get_profile(person.profile, on=max(on, person.hired_on))
        hr_id = await _user_id(session, f"hr.{LEAVING_UNIT.lower()}")
        revision = ProfileRevision(
            person_id=person.id, number=current.number + 1, status="approved", kind="status_change",
            data={**current.data, "work_history": moves.closed_history(current.data.get("work_history"), on)},
            author_id=hr_id, change_date=on, change_reason=LEAVING_REASONS[reason], decision_no=number,
            submitted_at=now, reviewed_at=now, reviewed_by_id=hr_id, approved_at=now)
        session.add(revision)
        await session.flush()
        session.add(Transfer(person_id=person.id, kind="leaving", from_unit_id=person.unit_id, to_unit_id=None,
                             reason=reason, decision_no=number, effective_on=on, status="done", stage="archived",
                             revision_id=revision.id, profile=version.name, profile_version=version.version,
                             created_by_id=hr_id, closed_at=now))
        person.current_revision_id = revision.id
        person.status, person.left_on, person.leave_reason, person.archived_at = "archived", on, reason, now
        await placements.close(person, on, session=session)
        login = (await session.execute(select(User).where(User.person_id == person.id))).scalars().first()
        if login is not None:
            login.is_active = False
        revision_id, unit_id = revision.id, person.unit_id
    await sign_export(db, revision_id, unit_id)  # as the approval's signature would have made it


# ---- the retirement notice -------------------------------------------------------------------------------------

def retiring(profile: str, today: date, calendar: WorkingCalendar,
             now: datetime | None = None) -> tuple[str, date, date]:
    """(sex, date of birth, retirement date) of someone whose notice task (rule retirement_notice, 6 months before
    the retirement date) is open now: best not yet overdue (retiring in about 6 months), else overdue (sooner: in
    some months nobody retires, the roadmap's yearly steps skip them), the retirement nearest 6 months ahead."""
    version = get_profile(profile, on=today)
    now = now or datetime.now(UTC)
    found = []
    for months in range(1, 9):
        day = month_end(add_months(today.replace(day=1), months))
        notice = compute_deadline(version, "retirement_notice", day, calendar) if version.has_rule(
            "retirement_notice") else None
        due = notice.due if notice else day
        opens = datetime.combine(due - timedelta(days=PROCESS.task_opens_before_due_days), time(8), tzinfo=VN_TZ)
        for sex in RETIRING_NAMES:
            born = born_retiring_on(sex, day)
            if born is not None:
                found.append(((opens > now, due < today, abs(months - 6)), sex, born, day))
    _, sex, born, day = min(found)
    return sex, born, day


async def seed_retirement_notice(db, client, task_queue, profile, password, today, calendar) -> int:
    """Run the daily scan once (the RetirementScan workflow the Schedule starts): it starts the teacher's
    Retirement workflow, which opens HR's notice task; the person's id."""
    sex, born, _ = retiring(profile, today, calendar)
    staff = DemoHire(RETIRING_NAMES[sex], sex, born, RETIRING_UNIT, 12000, "imported", "")
    person_id = await _import_existing(db, profile, password, today, staff, SERIALS["retiring"], login=False)
    await client.execute_workflow("RetirementScan", RetirementScanInput(today=today.isoformat()),
                                  id=f"retirement-scan/demo-{person_id}", task_queue=task_queue)
    await wait_task(db, retirement_workflow_id(person_id), "retirement_notice", WAIT)
    return person_id


# ---- the merger ----------------------------------------------------------------------------------------------

async def seed_merger(db, client, task_queue, profile, password, today) -> int:
    """Sở Nội vụ creates the small unit (it existed before the system), its three people come over from the
    previous system, then Sở Nội vụ merges it into Sở Y tế from the first day of the month; the merger's id."""
    code, name, kind, parent = MERGED_UNIT
    async with db.session() as session:
        await admin.create_unit(session=session, actor="sonoivu", new=admin.NewUnit(
            code=code, name=name, kind=kind, parent_id=await _unit_id(session, parent)))
    for serial, staff in enumerate(MERGED_PEOPLE):
        await _import_existing(db, profile, password, today, staff, SERIALS["merged"] * 100 + serial,
                               login=False)
    async with db.session() as session:
        viewer = await load_viewer(await _user_id(session, "sonoivu"), session=session)
        merger = await mergers.start(client, task_queue, viewer, mergers.MergerRequest(
            from_unit_id=await _unit_id(session, code), to_unit_id=await _unit_id(session, MERGED_INTO),
            effective_on=today.replace(day=1), decision_no=MERGER_DECISION), session=session, today=today)

    async def done() -> bool:
        async with db.session() as session:
            return (await session.get(Merger, merger.id)).status == "done"

    await until(done, "the merger")
    return merger.id

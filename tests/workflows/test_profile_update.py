"""Record updates (workflows/profile_update.py) on the time-skipping server with the real activities
and PostgreSQL: the entry's deadline from the stated date of the change, the scanned document,
HR's review and return, HR's own entry from a state decision, a late entry."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models import Approval, ApprovalItem, Person, ProfileRevision, User
from rules.calendar import WorkingCalendar
from rules.deadlines import Deadline, compute_deadline
from rules.profiles import get_profile
from services import documents, people, updates
from services.errors import Invalid
from tests.helpers import CITIZEN_ID, CV_VALID, complete_as, open_task, task_by_id, tasks_of, until, viewer

CAL = WorkingCalendar()
VN = ZoneInfo("Asia/Ho_Chi_Minh")
PROFILE = "quang-ngai"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # a scan, recognised by its bytes
LOGIN, NAME, BORN = "an.nguyenvan", "Nguyễn Văn An", date(1995, 3, 15)


async def server_today(env) -> date:
    return (await env.get_current_time()).astimezone(VN).date()


async def travel_to_early_next_month(env) -> date:
    """The 3rd of next month: far from Quảng Ngãi's cutoff (before the 25th), so the month is known."""
    today = await server_today(env)
    target = date(today.year + today.month // 12, today.month % 12 + 1, 3)
    await env.sleep(datetime.combine(target, time(9), tzinfo=VN) - await env.get_current_time())
    return await server_today(env)


def expected(rule: str, start: date, change_date: date) -> Deadline:
    """The deadline as the profile counts it; the profile version is the one in force on the change date."""
    return compute_deadline(get_profile(PROFILE, on=change_date), rule, start, CAL)


async def imported_person(db, unit_id: int) -> int:
    """A person whose record came over approved from the previous system (kind import), with a login."""
    profile = get_profile(PROFILE, on=date(2015, 3, 2))
    async with db.session() as session:
        person = Person(full_name=NAME, search_name=people.search_key(NAME), sex="nam", date_of_birth=BORN,
                        citizen_id=CITIZEN_ID, unit_id=unit_id, kind="cong_chuc", hired_on=date(2015, 3, 2),
                        status="active", profile=profile.name, profile_version=profile.version)
        session.add(person)
        await session.flush()
        revision = ProfileRevision(person_id=person.id, number=1, status="approved", kind="import",
                                   data={**CV_VALID, "full_name": NAME, "sex": "nam", "date_of_birth": BORN.isoformat(),
                                         "citizen_id": CITIZEN_ID},
                                   approved_at=datetime.now(UTC), change_reason="Chuyển từ hệ thống cũ")
        session.add(revision)
        await session.flush()
        person.current_revision_id = revision.id
        session.add(User(username=LOGIN, full_name=NAME, unit_id=unit_id, person_id=person.id))
        return person.id


async def start_update(db, env, task_queue: str, username: str, person_id: int, *, kind: str, change_date: date,
                       data: dict, decision_no: str | None = None) -> ProfileRevision:
    me = await viewer(db, username)
    async with db.session() as session:
        return await updates.start(env.client, task_queue, session, me, person_id, kind=kind, change_date=change_date,
                                   reason="Thay đổi thông tin", data=data, decision_no=decision_no,
                                   today=await server_today(env))


async def attach_scan(db, username: str, revision_id: int) -> None:
    me = await viewer(db, username)
    async with db.session() as session:
        await documents.attach(me, revision_id, "xac-nhan.png", PNG, max_bytes=10 * 1024 * 1024, session=session)


async def revision(db, revision_id: int) -> ProfileRevision:
    async with db.session() as session:
        return await session.get(ProfileRevision, revision_id)


async def approval_of(db, revision_id: int) -> tuple[Approval, ApprovalItem] | None:
    async with db.session() as session:
        return (await session.execute(select(Approval, ApprovalItem).join(
            ApprovalItem, ApprovalItem.approval_id == Approval.id).where(
            ApprovalItem.revision_id == revision_id))).first()


def assert_dated(task, rule: str, start: date, change_date: date) -> None:
    deadline = expected(rule, start, change_date)
    assert (task.rule, task.started_on) == (rule, start)
    assert task.due_on == deadline.due and task.legal_basis == deadline.legal_basis


async def assert_waits_in_the_months_approval(db, revision_id: int, unit_id: int, month: str) -> None:
    assert (await revision(db, revision_id)).status == "ready"
    approval, item = await until(lambda: approval_of(db, revision_id))
    assert (approval.unit_id, approval.month, item.decision) == (unit_id, month, "pending")


async def test_personal_update_needs_a_scan_is_reviewed_returned_and_accepted(ts_env, ts_worker, db, org,
                                                                             task_queue):
    today = await travel_to_early_next_month(ts_env)
    unit = org.units["SYT"]
    person_id = await imported_person(db, unit)
    change_date = today - timedelta(days=2)
    started = await start_update(db, ts_env, task_queue, LOGIN, person_id, kind="update_personal",
                                 change_date=change_date, data={"residence": "Số 5 Hùng Vương, tỉnh Quảng Ngãi"})
    wid = started.workflow_id
    entry = await open_task(db, wid, "update_entry")
    assert entry.actor_role == "person"
    assert_dated(entry, "update_personal", change_date, change_date)  # from the stated date, not from today

    with pytest.raises(Invalid) as refused:
        await complete_as(db, ts_env.client, LOGIN, entry.id, "submit")
    assert refused.value.code == "missing_attachment"
    assert (await task_by_id(db, entry.id)).status == "open"
    await attach_scan(db, LOGIN, started.id)
    submitted = await complete_as(db, ts_env.client, LOGIN, entry.id, "submit")
    assert submitted.result.late is False and (await revision(db, started.id)).status == "submitted"

    review = await open_task(db, wid, "review_update")
    assert review.actor_role == "unit_hr"
    await ts_env.sleep(timedelta(days=4))  # HR takes its time
    returned_on = await server_today(ts_env)
    await complete_as(db, ts_env.client, "hr.syt", review.id, "return", {"comment": "Bản chụp không rõ số nhà."})
    assert (await revision(db, started.id)).status == "returned"

    again = await open_task(db, wid, "update_entry")  # a fresh deadline, counted from the return
    assert again.id != entry.id
    assert_dated(again, "update_personal", returned_on, change_date)
    await complete_as(db, ts_env.client, LOGIN, again.id, "submit")
    await complete_as(db, ts_env.client, "hr.syt", (await open_task(db, wid, "review_update")).id, "accept")
    await assert_waits_in_the_months_approval(db, started.id, unit, f"{returned_on:%Y-%m}")


async def test_hr_update_from_a_state_decision_goes_straight_to_the_approval(ts_env, ts_worker, db, org, task_queue):
    today = await travel_to_early_next_month(ts_env)
    unit = org.units["SYT"]
    person_id = await imported_person(db, unit)
    change_date = today - timedelta(days=1)
    started = await start_update(db, ts_env, task_queue, "hr.syt", person_id, kind="update_state_decision",
                                 change_date=change_date, decision_no="125/QĐ-SYT",
                                 data={"salary_step": 2, "salary_coefficient": "2.67",
                                       "salary_from": change_date.isoformat()})
    entry = await open_task(db, started.workflow_id, "update_entry")
    assert entry.actor_role == "unit_hr"
    assert_dated(entry, "update_state_decision", change_date, change_date)
    await attach_scan(db, "hr.syt", started.id)
    await complete_as(db, ts_env.client, "hr.syt", entry.id, "submit")

    await assert_waits_in_the_months_approval(db, started.id, unit, f"{today:%Y-%m}")
    assert [t.kind for t in await tasks_of(db, started.workflow_id)] == ["update_entry"]  # no review


async def test_an_entry_after_its_due_date_is_recorded_late_not_refused(ts_env, ts_worker, db, org, task_queue):
    today = await travel_to_early_next_month(ts_env)
    person_id = await imported_person(db, org.units["SYT"])
    change_date = today - timedelta(days=20)  # reported well after the change
    started = await start_update(db, ts_env, task_queue, LOGIN, person_id, kind="update_personal",
                                 change_date=change_date, data={"phone": "0905999888"})
    entry = await open_task(db, started.workflow_id, "update_entry")
    assert_dated(entry, "update_personal", change_date, change_date)
    assert entry.due_on < today

    await attach_scan(db, LOGIN, started.id)
    done = await complete_as(db, ts_env.client, LOGIN, entry.id, "submit")
    assert done.result.late is True
    finished = await task_by_id(db, entry.id)
    assert finished.status == "done" and finished.completed_at > finished.due_at
    hr = await viewer(db, "hr.syt")
    async with db.session() as session:
        [step] = [s for s in await people.timeline(hr, person_id, session=session) if s.task_id == entry.id]
    assert step.on_time is False
    await open_task(db, started.workflow_id, "review_update")  # the process goes on to HR's review

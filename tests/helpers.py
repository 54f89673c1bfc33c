"""Shared steps of the tests: register a hire, drive its tasks, read the projection; approved revisions in the
national outbox."""
import hashlib
from datetime import UTC, date, datetime

from sqlalchemy import select, text

from core.db import Database
from models import (Approval, ApprovalItem, Notification, Person, Placement, ProfileRevision, SyncOutbox, Task,
                    TaskCandidate, User)
from services import national_sync, onboarding, people
from services.scope import Viewer, load_viewer

CV_VALID = {
    "other_names": "",
    "birthplace": "Xã Tịnh Khê, tỉnh Quảng Ngãi",
    "hometown": "Xã Tịnh Khê, tỉnh Quảng Ngãi",
    "ethnicity": "Kinh",
    "religion": "Không",
    "citizen_id_issued_on": "2021-04-10",
    "phone": "0905123456",
    "residence": "Phường Cẩm Thành, tỉnh Quảng Ngãi",
    "general_education": "12/12",
    "qualification": "Cử nhân Luật",
    "political_theory": "Sơ cấp",
    "grade_code": "01.003",
    "grade_name": "Chuyên viên",
    "salary_step": 1,
    "salary_coefficient": "2.34",
    "salary_from": "2026-01-01",
    "position": "",
    "work_history": [{"from": "09/2020", "to": "nay", "description": "Chuyên viên, Sở Y tế tỉnh Quảng Ngãi"}],
}
# A valid 12-digit citizen ID: Quảng Ngãi (051), male born in the 1900s (0), year 95.
CITIZEN_ID = "051095001234"


async def viewer(db: Database, username: str) -> Viewer:
    async with db.session() as session:
        user_id = (await session.execute(select(User.id).where(User.username == username))).scalar_one()
        return await load_viewer(user_id, session=session)


async def hire(db: Database, client, task_queue: str, hr: str, unit_id: int, hired_on: date, *,
               profile: str = "quang-ngai", citizen_id: str = CITIZEN_ID, name: str = "Nguyễn Văn An",
               email: str | None = "an@example.vn", today: date | None = None):
    hr_viewer = await viewer(db, hr)
    inp = people.HireInput(full_name=name, sex="nam", date_of_birth=date(1995, 3, 15), citizen_id=citizen_id,
                           unit_id=unit_id, hired_on=hired_on, kind="cong_chuc", email=email)
    async with db.session() as session:
        return await onboarding.hire(client, task_queue, session, hr_viewer, inp, profile_name=profile,
                                     today=today or hired_on)


async def tasks_of(db: Database, workflow_id: str) -> list[Task]:
    async with db.session() as session:
        query = select(Task).where(Task.workflow_id == workflow_id).order_by(Task.id)
        return list((await session.execute(query)).scalars())


async def notifications(db: Database, kind: str | None = None) -> list[Notification]:
    async with db.session() as session:
        query = select(Notification).order_by(Notification.id)
        if kind:
            query = query.where(Notification.kind == kind)
        return list((await session.execute(query)).scalars())


async def complete_as(db: Database, client, username: str, task_id: int, outcome: str, data: dict | None = None):
    from services import task_actions
    me = await viewer(db, username)
    async with db.session() as session:
        return await task_actions.complete(client, session, me, task_id, outcome, data)


async def save_cv(db: Database, username: str, person_id: int, data: dict):
    me = await viewer(db, username)
    async with db.session() as session:
        return await people.save_draft(me, person_id, data, session=session)


async def open_task(db: Database, workflow_id: str, kind: str, timeout: float = 20) -> Task:
    from bootstrap.demo_people import wait_task
    return await wait_task(db, workflow_id, kind, timeout)


async def task_by_id(db: Database, task_id: int) -> Task:
    async with db.session() as session:
        return await session.get(Task, task_id)


async def until(predicate, timeout: float = 10.0):
    """Poll an async predicate in real time (activities run in real time even when timers skip)."""
    import asyncio
    for _ in range(int(timeout * 20)):
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


async def onboard_to_ready(db: Database, client, task_queue: str, *, unit_id: int, hr: str, citizen_id: str,
                           name: str, login: str, hired_on: date, profile: str = "quang-ngai",
                           sex: str = "nam") -> tuple[int, str]:
    """Drive a hire through account, CV and HR review; return (person_id, onboarding workflow id)."""
    from services import auth
    born = date(1900 + int(citizen_id[4:6]) + 100 * (int(citizen_id[3]) // 2), 3, 15)
    hr_viewer = await viewer(db, hr)
    async with db.session() as session:
        person = await onboarding.hire(client, task_queue, session, hr_viewer, people.HireInput(
            full_name=name, sex=sex, date_of_birth=born, citizen_id=citizen_id, unit_id=unit_id, hired_on=hired_on,
            kind="cong_chuc"), profile_name=profile, today=hired_on)
    wid = f"onboarding/{person.id}"
    account_actor = "sonoivu" if profile == "kon-tum" else hr  # Kon Tum Đ7.2: the system's managing body
    done = await complete_as(db, client, account_actor, (await open_task(db, wid, "create_account")).id, "done",
                             {"username": login})
    async with db.session() as session:
        await auth.activate(login, done.activation_code, "mat-khau-moi-123", session=session)
    cv_data = {**CV_VALID, "full_name": name, "sex": sex, "date_of_birth": born.isoformat(), "citizen_id": citizen_id}
    await save_cv(db, login, person.id, cv_data)
    await complete_as(db, client, login, (await open_task(db, wid, "self_entry")).id, "submit")
    await complete_as(db, client, hr, (await open_task(db, wid, "review_entry")).id, "accept")
    return person.id, wid


async def make_revisions(db: Database, unit_id: int, n: int, *, status: str = "approved",
                         first: int = 1) -> list[tuple[Person, ProfileRevision]]:
    """n people, each with one revision of the given status (approved ones carry approved_at)."""
    made = []
    async with db.session() as session:
        for i in range(first, first + n):
            person = Person(full_name=f"Nguyễn Văn Thử {i}", search_name=f"nguyen van thu {i}", sex="nam",
                            date_of_birth=date(1990, 1, 1), citizen_id=f"051090{i:06d}", unit_id=unit_id,
                            kind="cong_chuc", hired_on=date(2025, 1, 2), status="active", profile="quang-ngai",
                            profile_version="2025-1")
            session.add(person)
            await session.flush()
            revision = ProfileRevision(person_id=person.id, number=1, status=status,
                                       data={**CV_VALID, "phone": f"0905{i:06d}"},
                                       approved_at=datetime(2026, 3, 5, 9, 30, tzinfo=UTC) if status == "approved"
                                       else None)
            session.add(revision)
            await session.flush()
            if status == "approved":
                person.current_revision_id = revision.id
            made.append((person, revision))
    return made


async def approved_outbox(db: Database, unit_id: int, n: int) -> list[SyncOutbox]:
    made = await make_revisions(db, unit_id, n)
    async with db.session() as session:
        return [await national_sync.enqueue(revision, person, session=session) for person, revision in made]


async def expected_key(db: Database, outbox_id: int) -> str:
    """The idempotency key docs/national-sync.md gives the row: its revision and the digest of its payload as stored."""
    async with db.session() as session:
        revision_id, stored = (await session.execute(text(
            "SELECT revision_id, payload::text FROM sync_outbox WHERE id = :id"), {"id": outbox_id})).one()
    return f"hoso-rev-{revision_id}-{hashlib.sha256(stored.encode()).hexdigest()[:16]}"


async def outbox_rows(db: Database, ids: list[int]) -> list[SyncOutbox]:
    async with db.session() as session:
        return [await national_sync.get(i, session=session) for i in ids]


async def imported_person(db: Database, unit_id: int, *, name: str, citizen_id: str, born: date, hired_on: date,
                          profile: str, sex: str = "nam", login: str | None = None, password: str | None = None) -> int:
    """A record brought over approved from the previous system (kind import), placed in its unit since the hire,
    with a login when `login` is given (able to log in when `password` is)."""
    from rules.profiles import get_profile
    from services import auth
    version = get_profile(profile, on=hired_on)
    data = {**CV_VALID, "full_name": name, "sex": sex, "date_of_birth": born.isoformat(), "citizen_id": citizen_id}
    async with db.session() as session:
        person = Person(full_name=name, search_name=people.search_key(name), sex=sex, date_of_birth=born,
                        citizen_id=citizen_id, unit_id=unit_id, kind="cong_chuc", hired_on=hired_on, status="active",
                        profile=version.name, profile_version=version.version)
        session.add(person)
        await session.flush()
        revision = ProfileRevision(person_id=person.id, number=1, status="approved", kind="import", data=data,
                                   approved_at=datetime.now(UTC), change_reason="Chuyển từ hệ thống cũ")
        session.add(revision)
        await session.flush()
        person.current_revision_id = revision.id
        session.add(Placement(person_id=person.id, unit_id=unit_id, from_on=hired_on))
        if login:
            session.add(User(username=login, full_name=name, unit_id=unit_id, person_id=person.id,
                             password_hash=auth.hash_secret(password) if password else None))
        return person.id


BATCH_TIME = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # when batch_to_sign's revisions are signed


async def batch_to_sign(db, org, n: int, *, first: int = 1) -> tuple[int, list[int]]:
    """n people of Sở Y tế with an approved record and a salary change waiting in the month's batch, and the
    head's signing task; (task id, the waiting revisions' ids)."""
    unit = org.units["SYT"]
    made = await make_revisions(db, unit, n, first=first)
    wid = f"approval/{unit}/{BATCH_TIME:%Y-%m}"
    async with db.session() as session:
        approval = (await session.execute(select(Approval).where(Approval.workflow_id == wid))).scalars().first()
        if approval is None:
            approval = Approval(level="unit", unit_id=unit, month=f"{BATCH_TIME:%Y-%m}", workflow_id=wid, profile="quang-ngai",
                                profile_version="2025-1", status="open")
            session.add(approval)
            await session.flush()
        waiting = []
        for person, current in made:
            revision = ProfileRevision(person_id=person.id, number=2, status="ready", kind="update_state_decision",
                                       data={**current.data, "salary_step": 4}, change_date=BATCH_TIME.date())
            session.add(revision)
            await session.flush()
            session.add(ApprovalItem(approval_id=approval.id, revision_id=revision.id, decision="pending"))
            waiting.append(revision.id)
        task = (await session.execute(select(Task).where(Task.workflow_id == wid))).scalars().first()
        if task is None:
            task = Task(workflow_id=wid, step_key="sign", kind="sign_approval", title="Ký số phê duyệt",
                        unit_id=unit, actor_role="unit_head", rule="monthly_approval", profile="quang-ngai",
                        profile_version="2025-1", started_on=BATCH_TIME.date())
            session.add(task)
            await session.flush()
            head = await viewer(db, "head.syt")
            session.add(TaskCandidate(task_id=task.id, user_id=head.user_id, reason="Thủ trưởng đơn vị"))
        return task.id, waiting

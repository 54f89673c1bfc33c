"""Demo onboardings in different states, driven through the real workflows (needs a worker)."""
import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from core.config import Settings, get_settings
from core.db import Database
from models import Person, Placement, Task, TaskCandidate, User
from services import actors, auth, exports, onboarding, people, task_actions
from services.scope import load_viewer


@dataclass
class DemoHire:
    name: str
    sex: str
    born: date
    unit: str
    days_ago: int
    stage: str  # account | self_entry | review | returned | active
    login: str


HIRES = [
    DemoHire("Nguyễn Văn An", "nam", date(1996, 5, 2), "SYT", 2, "account", "an.nguyenvan"),
    DemoHire("Trần Thị Bích", "nu", date(1994, 8, 19), "SYT-BV", 20, "account", "bich.tranthi"),
    DemoHire("Lê Văn Cường", "nam", date(1990, 1, 7), "SGD", 5, "self_entry", "cuong.levan"),
    DemoHire("Phạm Thị Dung", "nu", date(1998, 11, 23), "SGD-LK", 15, "review", "dung.phamthi"),
    DemoHire("Hoàng Văn Em", "nam", date(1993, 6, 30), "P-CT", 30, "active", "em.hoangvan"),
    DemoHire("Võ Thị Giang", "nu", date(1997, 2, 14), "X-BS", 12, "returned", "giang.vothi"),
    DemoHire("Y Thị Hờ Rê", "nu", date(1999, 9, 9), "P-KT", 25, "self_entry", "hore.ythi"),
    DemoHire("Đinh Văn Khoa", "nam", date(1992, 4, 21), "STC", 13, "account", "khoa.dinhvan"),
]


# Staff whose records came over approved from the previous system: their exports can be signed,
# and their changes go through updates and the month's approval.
EXISTING = [
    DemoHire("Nguyễn Thị Lan", "nu", date(1985, 7, 12), "SYT", 3650, "imported", "lan.nguyenthi"),
    DemoHire("Trần Văn Minh", "nam", date(1980, 2, 3), "SGD", 5000, "imported", "minh.tranvan"),
]


def citizen_id(hire: DemoHire, serial: int) -> str:
    century_sex = 2 * ((hire.born.year // 100) - 19) + (0 if hire.sex == "nam" else 1)
    return f"051{century_sex}{hire.born.year % 100:02d}{serial:06d}"


def demo_cv(hire: DemoHire, cid: str) -> dict:
    return {
        "full_name": hire.name, "sex": hire.sex, "date_of_birth": hire.born.isoformat(), "citizen_id": cid,
        "birthplace": "Tỉnh Quảng Ngãi", "hometown": "Tỉnh Quảng Ngãi", "ethnicity": "Kinh", "religion": "Không",
        "citizen_id_issued_on": "2021-06-01", "residence": "Tỉnh Quảng Ngãi", "general_education": "12/12",
        "qualification": "Cử nhân", "political_theory": "Sơ cấp", "grade_code": "01.003",
        "grade_name": "Chuyên viên", "salary_step": 1, "salary_coefficient": "2.34", "salary_from": "2026-01-01",
        "work_history": [{"from": "01/2026", "to": "nay", "description": "Chuyên viên"}],
    }


async def wait_task(db: Database, workflow_id: str, kind: str, timeout: float = 30) -> Task:
    for _ in range(int(timeout * 10)):
        async with db.session() as session:
            task = (await session.execute(select(Task).where(
                Task.workflow_id == workflow_id, Task.kind == kind, Task.status == "open"))).scalars().first()
        if task is not None:
            return task
        await asyncio.sleep(0.1)
    raise TimeoutError(f"no open {kind} task in {workflow_id}")


async def actor_of(db: Database, task: Task) -> str:
    """The login that completes a task: its first candidate (the unit's HR, or the managing body's where the
    profile says so: Kon Tum Đ11.2, Nghệ An Đ10.2)."""
    async with db.session() as session:
        return (await session.execute(select(User.username).join(TaskCandidate, TaskCandidate.user_id == User.id).where(
            TaskCandidate.task_id == task.id, TaskCandidate.can_complete).order_by(TaskCandidate.id))).scalars().first()


async def _act(db: Database, client: Client, username: str, task: Task, outcome: str, data: dict | None = None):
    async with db.session() as session:
        user_id = (await session.execute(select(User.id).where(User.username == username))).scalar_one()
        viewer = await load_viewer(user_id, session=session)
        return await task_actions.complete(client, session, viewer, task.id, outcome, data)


async def seed_people(db: Database, client: Client, task_queue: str, profile: str, password: str, today: date,
                      settings: Settings | None = None) -> bool:
    """Seed the demo's people once, when the database has none; False when it already had some.

    After the onboardings and updates: the records' working life (bootstrap/demo_lifecycle.py: a transfer, the
    archive, a retirement notice, a merger), then Sở Nội vụ's oversight (bootstrap/demo_oversight.py: late and
    escalated work in the month's scorecard, a round of periodic reports) and, last, a verified backup."""
    from bootstrap import demo_lifecycle, demo_oversight
    from bootstrap.demo import refuse_in_prod

    settings = settings or get_settings()
    refuse_in_prod(settings)
    async with db.session() as session:
        if (await session.execute(select(Person.id).limit(1))).first():
            return False
    for serial, hire in enumerate(HIRES, start=1):
        await _seed_one(db, client, task_queue, profile, password, today, hire, serial)
    for serial, staff in enumerate(EXISTING, start=len(HIRES) + 1):
        await _import_existing(db, profile, password, today, staff, serial)
    await _demo_updates(db, client, task_queue, today)
    await demo_lifecycle.seed_lifecycle(db, client, task_queue, profile, password, today)
    await demo_oversight.seed_oversight(db, client, task_queue, profile, password, today)
    await demo_oversight.verified_backup(db, settings)
    return True


async def _import_existing(db, profile_name, password, today, staff: DemoHire, serial: int, *,
                           login: bool = True) -> int:
    """A record brought over approved from the previous system (inserted directly, as a migration would), with
    its placement since the hiring date, its login (unless `login` is False) and its signed export; its id."""
    from models import ProfileRevision
    from rules.profiles import get_profile
    from services.auth import hash_secret

    cid = citizen_id(staff, serial)
    hired_on = today - timedelta(days=staff.days_ago)
    profile = get_profile(profile_name, on=today)
    async with db.session() as session:
        unit_id = await _unit_id(session, staff.unit)
        person = Person(full_name=staff.name, search_name=people.search_key(staff.name), sex=staff.sex,
                        date_of_birth=staff.born, citizen_id=cid, unit_id=unit_id, kind="cong_chuc",
                        hired_on=hired_on, status="active", profile=profile.name, profile_version=profile.version)
        session.add(person)
        await session.flush()
        session.add(Placement(person_id=person.id, unit_id=unit_id, from_on=hired_on))
        data = {**demo_cv(staff, cid), "work_history": [
            {"from": f"{hired_on:%m/%Y}", "to": "nay", "description": "Chuyên viên"}]}
        revision = ProfileRevision(person_id=person.id, number=1, status="approved", kind="import", data=data,
                                   approved_at=datetime.now(UTC), change_reason="Chuyển từ hệ thống cũ")
        session.add(revision)
        await session.flush()
        person.current_revision_id = revision.id
        if login:
            session.add(User(username=staff.login, full_name=staff.name, unit_id=unit_id, person_id=person.id,
                             password_hash=hash_secret(password)))
        person_id, revision_id = person.id, revision.id
    await sign_export(db, revision_id, unit_id)
    return person_id


async def sign_export(db, revision_id: int, unit_id: int) -> None:
    """The signed export of an approved revision inserted directly: signed as its unit's head accepts it, as an
    approval would be, so that it can be downloaded at once."""
    async with db.session() as session:
        head = min(await actors.actor_user_ids("unit_head", unit_id, None, session=session))
        to_sign = await exports.export_to_sign(get_settings(), revision_id, head, "Thủ trưởng đơn vị", session=session)
    pdf = await to_sign.sign()
    async with db.session() as session:
        await exports.store(to_sign, pdf, session=session)


async def _demo_updates(db, client, task_queue, today) -> None:
    """Lan reports a new residence with a scanned confirmation; Minh's HR records a salary step."""
    from services import documents, updates
    from services.pdf import render_cv

    async with db.session() as session:
        lan = await load_viewer(await _user_id(session, "lan.nguyenthi"), session=session)
        revision = await updates.start(client, task_queue, session, lan, lan.person_id, kind="update_personal",
                                       change_date=today - timedelta(days=3), reason="Thay đổi nơi ở",
                                       data={"residence": "Số 12 Lê Lợi, phường Cẩm Thành, tỉnh Quảng Ngãi"},
                                       decision_no=None, today=today)
    scan = render_cv(person_name="Xác nhận cư trú", unit_name="Công an phường Cẩm Thành",
                     managing_body="Bộ Công an", cv_data={}, revision_number=1, generated_at=datetime.now(UTC))
    async with db.session() as session:
        await documents.attach(lan, revision.id, "xac-nhan-cu-tru.pdf", scan, max_bytes=10 * 1024 * 1024, session=session)
    entry = await wait_task(db, revision.workflow_id, "update_entry")  # Lan (Kon Tum Đ10.2: her unit's HR)
    await _act(db, client, await actor_of(db, entry), entry, "submit")
    async with db.session() as session:
        hr = await load_viewer(await _user_id(session, "hr.sgd"), session=session)
        minh = (await session.execute(select(User.person_id).where(User.username == "minh.tranvan"))).scalar_one()
        revision = await updates.start(client, task_queue, session, hr, minh, kind="update_state_decision",
                                       change_date=today - timedelta(days=6), reason="Nâng bậc lương thường xuyên",
                                       data={"salary_step": 2, "salary_coefficient": "2.67",
                                             "salary_from": (today - timedelta(days=6)).isoformat()},
                                       decision_no="125/QĐ-SGDĐT", today=today)
    async with db.session() as session:
        await documents.attach(hr, revision.id, "quyet-dinh-nang-luong.pdf", scan, max_bytes=10 * 1024 * 1024, session=session)
    entry = await wait_task(db, revision.workflow_id, "update_entry")
    await _act(db, client, await actor_of(db, entry), entry, "submit")


async def _seed_one(db, client, task_queue, profile, password, today, hire: DemoHire, serial: int) -> int:
    hr = f"hr.{hire.unit.lower()}"
    cid = citizen_id(hire, serial)
    async with db.session() as session:
        unit_id = await _unit_id(session, hire.unit)
        viewer = await load_viewer(await _user_id(session, hr), session=session)
        person = await onboarding.hire(client, task_queue, session, viewer, people.HireInput(
            full_name=hire.name, sex=hire.sex, date_of_birth=hire.born, citizen_id=cid, unit_id=unit_id,
            hired_on=today - timedelta(days=hire.days_ago), kind="cong_chuc"), profile_name=profile, today=today)
    wid = f"onboarding/{person.id}"
    if hire.stage == "account":
        return person.id
    account = await wait_task(db, wid, "create_account")  # the unit's HR (Kon Tum Đ7.2: Sở Nội vụ)
    done = await _act(db, client, await actor_of(db, account), account, "done", {"username": hire.login})
    async with db.session() as session:
        await auth.activate(hire.login, done.activation_code, password, min_length=1, session=session)
    rounds = {"self_entry": 0, "review": 1, "returned": 1, "active": 1}[hire.stage]
    for _ in range(rounds):
        async with db.session() as session:
            me = await load_viewer(await _user_id(session, hire.login), session=session)
            await people.save_draft(me, person.id, demo_cv(hire, cid), session=session)
        await _act(db, client, hire.login, await wait_task(db, wid, "self_entry"), "submit")
    if hire.stage in ("returned", "active"):
        review = await wait_task(db, wid, "review_entry")
        if hire.stage == "returned":
            await _act(db, client, hr, review, "return", {"comment": "Bổ sung quá trình công tác trước khi tuyển dụng."})
        else:
            await _act(db, client, hr, review, "accept")
    return person.id


async def _unit_id(session: AsyncSession, code: str) -> int:
    from models import Unit
    return (await session.execute(select(Unit.id).where(Unit.code == code))).scalar_one()


async def _user_id(session: AsyncSession, username: str) -> int:
    return (await session.execute(select(User.id).where(User.username == username))).scalar_one()

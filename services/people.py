"""People: hires, CV drafts and revisions, timelines, search — always within the viewer's scope."""
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import String, bindparam, func, literal, literal_column, or_, select, text, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from unidecode import unidecode

from models import Person, Placement, ProfileRevision, Task, Unit, User
from models.people import PERSON_KINDS
from rules.profiles import get_profile
from services import archive, audit, cv, documents, permissions
from services import revisions as revision_log
from services.errors import Conflict, Forbidden, Invalid
from services.scope import Viewer, people_query, readable_person

EARLIEST_HIRE = date(1950, 1, 1)
HIRE_AHEAD_DAYS = 90  # a decision may take effect a little after it is registered
MAX_ID = 2**31 - 1  # ids are PostgreSQL integers (api/params.MAX_ID; a hire's body is this module's HireInput)
MAX_NAME = 100  # the name goes into task titles (255 characters) after their label
MAX_EMAIL = 255


def search_key(text: str) -> str:
    return unidecode(text or "").lower().strip()


@dataclass
class HireInput:
    full_name: str
    sex: str
    date_of_birth: date
    citizen_id: str
    unit_id: int
    hired_on: date
    kind: str
    email: str | None = None


def _check_hire(inp: HireInput, today: date) -> None:
    if len(inp.full_name.strip()) < 2:
        raise Invalid("Họ và tên không được để trống.", "bad_name")
    if len(" ".join(inp.full_name.split())) > MAX_NAME:
        raise Invalid(f"Họ và tên dài quá {MAX_NAME} ký tự.", "bad_name")
    if inp.email and (len(inp.email) > MAX_EMAIL or "@" not in inp.email):
        raise Invalid("Địa chỉ thư điện tử không hợp lệ.", "bad_email")
    if inp.sex not in cv.SEX:
        raise Invalid("Giới tính phải là «nam» hoặc «nu».", "bad_sex")
    if inp.kind not in PERSON_KINDS:
        raise Invalid(f"Loại phải là một trong: {', '.join(PERSON_KINDS)}.", "bad_kind")
    if (msg := cv.birth_date_error(inp.date_of_birth, today)):
        raise Invalid(msg, "bad_birth_date")
    if (msg := cv.citizen_id_error(inp.citizen_id, sex=inp.sex, born=inp.date_of_birth)):
        raise Invalid(msg, "bad_citizen_id")
    if not EARLIEST_HIRE <= inp.hired_on <= today + timedelta(days=HIRE_AHEAD_DAYS):
        raise Invalid("Ngày tuyển dụng / tiếp nhận / ký hợp đồng không hợp lệ.", "bad_hired_on")


async def register_hire(viewer: Viewer, inp: HireInput, *, session: AsyncSession, profile_name: str,
                        today: date) -> Person:
    """Validate and insert the person (flushed, not committed): the caller starts the workflow."""
    permissions.require(viewer, permissions.REGISTERS_HIRES)
    unit = await session.get(Unit, inp.unit_id) if 1 <= inp.unit_id <= MAX_ID else None
    if unit is None:
        raise Invalid("Đơn vị không tồn tại.", "unknown_unit")
    if not (permissions.is_hr_of(viewer, unit.id) or viewer.has("sonoivu_admin")):
        raise Forbidden("Đơn vị này nằm ngoài phạm vi quản lý của bạn.", "unit_out_of_scope")
    if unit.successor_id is not None or (unit.valid_to is not None and unit.valid_to < inp.hired_on):  # merged
        raise Invalid(f"Đơn vị «{unit.name}» đã giải thể hoặc sáp nhập, không còn tiếp nhận hồ sơ.", "unit_closed")
    _check_hire(inp, today)
    await _refuse_duplicate(session, viewer, inp)
    profile = get_profile(profile_name, on=inp.hired_on)
    person = Person(
        full_name=" ".join(inp.full_name.split()), search_name=search_key(inp.full_name), sex=inp.sex,
        date_of_birth=inp.date_of_birth, citizen_id=inp.citizen_id, email=inp.email or None,
        unit_id=unit.id, kind=inp.kind, hired_on=inp.hired_on, status="onboarding",
        profile=profile.name, profile_version=profile.version,
    )
    try:
        async with session.begin_nested():  # a savepoint: a concurrent registration may win the unique index
            session.add(person)
            await session.flush()
    except IntegrityError:
        await _refuse_duplicate(session, viewer, inp)  # the same answer as when it came first
        raise
    session.add(Placement(person_id=person.id, unit_id=unit.id, from_on=inp.hired_on))
    await audit.record(actor=viewer.username, action="hire.registered", subject=f"person:{person.id}",
                       unit_id=unit.id, hired_on=inp.hired_on.isoformat(), profile=profile.name,
                       profile_version=profile.version, session=session)
    return person


async def _refuse_duplicate(session: AsyncSession, viewer: Viewer, inp: HireInput) -> None:
    """Conflict when the citizen ID already has a record; outside the viewer's scope, without naming it."""
    existing = (await session.execute(select(Person).where(Person.citizen_id == inp.citizen_id))).scalars().first()
    if existing is not None and not viewer.sees_unit(existing.unit_id):  # say nothing of who it is
        raise Conflict("Số CCCD này đã có hồ sơ trong cơ sở dữ liệu của tỉnh, ở đơn vị ngoài phạm vi quản lý "
                       "của bạn; liên hệ Sở Nội vụ để tiếp nhận hoặc điều chuyển.", "citizen_id_exists")
    if existing is not None:
        same = existing.hired_on == inp.hired_on
        raise Conflict(
            (f"Người này đã được đăng ký tuyển dụng ngày {existing.hired_on:%d/%m/%Y} (hồ sơ số {existing.id}, "
             f"{existing.full_name}); không tạo thêm quy trình.") if same else
            (f"Số CCCD {inp.citizen_id} đã có hồ sơ số {existing.id} ({existing.full_name}); "
             "dùng chức năng điều chuyển hoặc tiếp nhận thay vì đăng ký mới."),
            "duplicate_hire" if same else "citizen_id_exists", person_id=existing.id,
            workflow_id=f"onboarding/{existing.id}")


async def get(person_id: int, *, session: AsyncSession) -> Person | None:
    """A person by id, for callers that already checked the viewer's scope (e.g. through the task)."""
    return await session.get(Person, person_id)


SET_STATUS = text("""
    UPDATE people p SET status = :status
    FROM (SELECT id, status FROM people WHERE id = :person_id FOR UPDATE) old
    WHERE p.id = old.id AND old.status <> :status
    RETURNING old.status
""")  # the change and the status it replaced in one statement, without loading the person


async def set_status(person_id: int, status: str, *, session: AsyncSession) -> None:
    """A workflow's status change (e.g. onboarding → active), audited when it changes anything."""
    old = (await session.execute(SET_STATUS, {"person_id": person_id, "status": status})).scalar()
    if old is not None:
        await audit.record(actor="system", action="person.status", subject=f"person:{person_id}",
                           old=old, new=status, session=session)


async def current_revision(person: Person, *, session: AsyncSession) -> ProfileRevision | None:
    """The approved version everyone sees, None before the first approval."""
    return await session.get(ProfileRevision, person.current_revision_id) if person.current_revision_id else None


async def names(ids: set[int], *, session: AsyncSession) -> dict[int, str]:
    rows = await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(ids or {-1})))
    return dict(rows.all())


# ---- CV revisions ----------------------------------------------------------------------------

async def revisions(person_id: int, *, session: AsyncSession) -> list[ProfileRevision]:
    query = select(ProfileRevision).where(ProfileRevision.person_id == person_id).order_by(ProfileRevision.number)
    return list((await session.execute(query)).scalars())


_NEWEST_REVISION = (select(ProfileRevision).where(ProfileRevision.person_id == bindparam("person_id"))
                    .order_by(ProfileRevision.number.desc()).limit(1))  # built once: read at every save


async def working_revision(person_id: int, *, session: AsyncSession) -> ProfileRevision | None:
    """The newest revision, the one a form edits or shows."""
    return (await session.execute(_NEWEST_REVISION, {"person_id": person_id})).scalars().first()


def initial_cv(person: Person) -> dict[str, Any]:
    """What the hire registration already knows: data held is not asked for again."""
    return {"full_name": person.full_name, "sex": person.sex, "date_of_birth": person.date_of_birth.isoformat(),
            "citizen_id": person.citizen_id, "work_history": []}


async def save_draft(viewer: Viewer, person_id: int, data: dict[str, Any], *, session: AsyncSession) -> ProfileRevision:
    person = await readable_person(viewer, person_id, session=session)
    if not permissions.edits_record(viewer, person):
        raise Forbidden("Chỉ cá nhân hoặc cán bộ tổ chức được sửa sơ yếu lý lịch.", "forbidden")
    archive.refuse_archived(person)
    known = {k: v for k, v in data.items() if k in cv.FIELDS}
    current = await working_revision(person.id, session=session)
    by_decision = current is not None and current.kind == "update_state_decision"
    if by_decision and not permissions.is_hr_of(viewer, person.unit_id):
        raise Forbidden("Bản cập nhật theo quyết định do cán bộ tổ chức nhập.", "forbidden")
    now = datetime.now(UTC)
    if current is not None and current.status == "draft":
        old = dict(current.data)
        current.data = {**current.data, **known}
        current.updated_at = now
        revision = current
    elif current is None or current.status in ("returned", "returned_by_head"):
        # a returned revision stays as it was, for the record; the corrections make a new one
        old = dict(current.data) if current else initial_cv(person)
        revision = ProfileRevision(
            person_id=person.id, number=(current.number + 1) if current else 1, status="draft",
            data={**old, **known}, author_id=viewer.user_id, kind=current.kind if current else "onboarding",
            change_date=current.change_date if current else None,
            change_reason=current.change_reason if current else None,
            decision_no=current.decision_no if current else None,
            workflow_id=current.workflow_id if current else None)
        session.add(revision)
        await session.flush()
        if current is not None:
            await documents.carry_over(current.id, revision.id, session=session)
    else:
        raise Invalid("Bản hiện tại đang chờ kiểm tra hoặc đã được phê duyệt; mọi thay đổi tiếp theo "
                      "thực hiện bằng chức năng «Cập nhật thông tin».", "revision_not_editable")
    await session.flush()
    revision_log.record_changes(revision.id, viewer.user_id, old, revision.data, now, session=session)
    await audit.record(actor=viewer.username, action="cv.draft_saved", subject=f"person:{person.id}",
                       revision=revision.number, session=session)
    return revision


# ---- timeline and search ---------------------------------------------------------------------

@dataclass
class TimelineStep:
    task_id: int
    kind: str
    title: str
    workflow_id: str
    started_on: date
    due_on: date | None
    due_at: datetime | None
    done_at: datetime | None
    status: str
    on_time: bool | None   # None while open and not yet overdue
    actor: str | None
    legal_basis: str | None
    escalation_level: int
    outcome: str | None
    comment: str | None


async def timeline(viewer: Viewer, person_id: int, *, session: AsyncSession, now: datetime | None = None) -> list[TimelineStep]:
    person = await readable_person(viewer, person_id, session=session)
    now = now or datetime.now(UTC)
    rows = (await session.execute(
        select(Task, User.username).outerjoin(User, User.id == Task.completed_by_id)
        .where(Task.subject_person_id == person.id).order_by(Task.created_at, Task.id))).all()
    steps = []
    for task, actor in rows:
        if task.completed_at is not None:
            on_time = task.due_at is None or task.completed_at <= task.due_at
        else:
            on_time = False if task.due_at is not None and task.due_at < now else None
        steps.append(TimelineStep(task.id, task.kind, task.title, task.workflow_id, task.started_on, task.due_on,
                                  task.due_at, task.completed_at, task.status, on_time, actor, task.legal_basis,
                                  task.escalation_level, task.outcome, task.comment))
    return steps


SEARCH_STATUSES = {"active": ("onboarding", "active"), "archived": ("archived",), "all": None}
MIN_TRIGRAM_QUERY = 3  # pg_trgm extracts no trigram from a shorter pattern: units and grades need 3 characters
# The current revision's grade, exactly as ix_revisions_grade_trgm indexes it (migration 0006), so the index serves it.
GRADE_TEXT = ("hoso_fold(coalesce(profile_revisions.data->>'grade_code', '') || ' ' || "
              "coalesce(profile_revisions.data->>'grade_name', ''))")


def _like_escaped(text: str) -> str:
    """The text as a literal inside a LIKE pattern (backslash is PostgreSQL's default escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(viewer: Viewer, q: str = "", status: str = "active",
                 limit: int = 100, *, session: AsyncSession) -> list[Person]:
    return list((await session.execute(search_statement(viewer, q, status, limit))).scalars())


def search_statement(viewer: Viewer, q: str = "", status: str = "active", limit: int = 100):
    """The select of `search`: people in the viewer's scope (`people_query`) with the status asked for, whose name
    (with or without diacritics, any part of it), citizen ID (whole or its first digits), unit (name or code) or
    grade (ngạch code or name of the approved version) matches `q`.

    Folded and matched in PostgreSQL (`hoso_fold` = lower(unaccent()), pg_trgm): each branch is one indexed
    `LIKE '%…%'` (the GIN trigram indexes of migration 0006), the branches a UNION of person ids; name matches
    first, closest by trigram similarity."""
    query = people_query(viewer)
    statuses = SEARCH_STATUSES.get(status, SEARCH_STATUSES["active"])
    if statuses is not None:
        query = query.where(Person.status.in_(statuses))
    words = " ".join((q or "").split())
    name = _fold(Person.full_name)
    if not words:
        return query.order_by(name, Person.id).limit(limit)
    pattern = _fold(_like_escaped(words))
    contains = literal("%", String) + pattern + literal("%", String)
    branches = [select(Person.id).where(name.like(contains))]
    if words.isascii() and words.isdigit():  # a citizen ID, whole or its first digits
        branches.append(select(Person.id).where(*_citizen_id_prefix(words)))
    if len(words) >= MIN_TRIGRAM_QUERY:
        branches.append(select(Person.id).join(Unit, Unit.id == Person.unit_id).where(
            or_(_fold(Unit.name).like(contains), _fold(Unit.code).like(pattern + literal("%", String)))))
        branches.append(select(Person.id).join(ProfileRevision, ProfileRevision.id == Person.current_revision_id)
                        .where(literal_column(GRADE_TEXT, String).like(contains)))
    return (query.where(Person.id.in_(union(*branches)))
            .order_by(name.like(contains).desc(), func.similarity(name, _fold(words)).desc(), name, Person.id)
            .limit(limit))


def _citizen_id_prefix(digits: str) -> list:
    """citizen_id starts with `digits`: LIKE for the meaning, and the range of digit strings with that prefix, which
    the unique btree index serves in any collation (far cheaper than trigrams of 12 digits, which repeat)."""
    conditions = [Person.citizen_id.like(digits + "%"), Person.citizen_id >= digits]
    if digits.strip("9"):  # «0519» → below «052»; a prefix of nines has no upper bound
        conditions.append(Person.citizen_id < str(int(digits) + 1).zfill(len(digits)))
    return conditions


def _fold(value):
    """hoso_fold(value) in SQL: lower(unaccent(value)), the expression the trigram indexes hold."""
    return func.hoso_fold(value, type_=String)

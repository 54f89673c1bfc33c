"""An arrival from a ministry or another province (Quảng Ngãi Đ9.1, Hải Phòng Đ9.1.a): the record pulled from
the national database becomes the person's draft, checked against the identity the receiving unit registered.

The workflow (workflows/arrival.py, `transfer/{id}`) runs: the receiving unit's HR creates the account, Sở Nội vụ
pulls the record (step kind `pull_national`: `national_db.pull` fetches it, then `store_pulled` keeps it), the
person checks and completes it, HR reviews it, the month's approval; then `finish`.
"""
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Person, ProfileRevision, Task, Transfer, User
from rules.profiles import get_profile
from services import audit, cv, people
from services import revisions as revision_log
from services.actors import candidate_ids
from services.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable

KIND = "arrival"  # the kind of the revision holding the pulled record
PULL_STEP = "pull_national"
# The account step's rule: the arrival's own, else the profile's rule for every account (Kon Tum Đ7.2: the
# system's managing body creates all accounts), else none (the step's default actor, no deadline).
ACCOUNT_RULES = ("arrival_account", "account_creation")
IDENTITY = {"citizen_id": "số CCCD", "sex": "giới tính", "date_of_birth": "ngày sinh"}
# The arrival's stages (transfers.stage) and the label of its revision kind, for the pages.
STAGES = {
    "starting": "Đang khởi tạo",
    "account": "Chờ đơn vị tiếp nhận tạo lập tài khoản cá nhân",
    "sync": "Chờ Sở Nội vụ đồng bộ hồ sơ từ CSDL quốc gia",
    "self_entry": "Chờ cá nhân kiểm tra, bổ sung dữ liệu",
    "review": "Chờ cán bộ tổ chức kiểm tra",
    "approval": "Chờ phê duyệt dữ liệu tháng",
    "done": "Đã hoàn tất",
}
REVISION_KINDS = {KIND: "Tiếp nhận từ bộ, ngành, tỉnh khác (đồng bộ từ CSDL quốc gia)"}


def account_rule(profile: str, version: str) -> str:
    """The rule the arrival's account step runs under in this profile version ("" if it has neither)."""
    found = get_profile(profile, version)
    return next((name for name in ACCOUNT_RULES if found.has_rule(name)), "")


async def transfer_of(workflow_id: str, *, session: AsyncSession) -> Transfer | None:
    return (await session.execute(select(Transfer).where(Transfer.workflow_id == workflow_id))).scalars().first()


async def set_stage(transfer_id: int, stage: str, *, session: AsyncSession) -> None:
    """Where the arrival stands, for the pages; an audit row per step."""
    if stage not in STAGES:
        raise ValueError(f"unknown arrival stage {stage!r}")
    transfer = await session.get(Transfer, transfer_id)
    if transfer is None or transfer.stage == stage:
        return
    await audit.record(actor="system", action="transfer.arrival.stage", subject=f"person:{transfer.person_id}",
                       transfer=transfer.id, old=transfer.stage, new=stage, session=session)
    transfer.stage = stage


async def finish(transfer_id: int, revision_id: int, now: datetime, *, session: AsyncSession) -> None:
    """The arrival's record is approved: the person is active and the transfer done (once)."""
    transfer = await session.get(Transfer, transfer_id)
    person = await session.get(Person, transfer.person_id)
    if person.status == "onboarding":
        await audit.record(actor="system", action="person.status", subject=f"person:{person.id}",
                           old=person.status, new="active", session=session)
        person.status = "active"
    if transfer.status == "open":
        transfer.status, transfer.stage, transfer.closed_at, transfer.revision_id = "done", "done", now, revision_id
        await audit.record(actor="system", action="transfer.arrival.done", subject=f"person:{person.id}",
                           transfer=transfer.id, revision=revision_id, session=session)


# ---- the pull --------------------------------------------------------------------------------------------


async def pull_task(task_id: int, actor_user_id: int, *, session: AsyncSession) -> tuple[Task, Person]:
    """The open pull task this user may complete, and its person (the citizen ID to pull)."""
    task = await session.get(Task, task_id)
    if task is None or task.kind != PULL_STEP:
        raise NotFound("Không tìm thấy nhiệm vụ đồng bộ hồ sơ từ CSDL quốc gia.", "task_not_found")
    if task.status != "open":
        raise Conflict("Nhiệm vụ này đã được hoàn thành.", "task_not_open")
    if actor_user_id not in await candidate_ids(task.id, session=session):
        raise Forbidden("Bạn không được giao nhiệm vụ này.", "not_your_task")
    return task, await session.get(Person, task.subject_person_id)


def not_configured() -> Unavailable:
    return Unavailable("Chưa cấu hình địa chỉ CSDL quốc gia về CBCCVC (HOSO_NATIONAL_DB_URL); chưa lấy được hồ sơ. "
                       "Đề nghị quản trị hệ thống cấu hình rồi thử lại.", "national_db_not_configured")


def unavailable(detail: str) -> Unavailable:
    return Unavailable("Không kết nối được CSDL quốc gia về CBCCVC; chưa lấy được hồ sơ, nhiệm vụ vẫn mở. "
                       "Vui lòng thử lại sau.", "national_db_unavailable", detail=detail[:300])


def rejected(detail: str, status: int | None) -> Unavailable:
    code = f" (mã {status})" if status else ""
    return Unavailable(f"CSDL quốc gia về CBCCVC từ chối yêu cầu lấy hồ sơ{code}; nhiệm vụ vẫn mở. Đề nghị kiểm tra "
                       "kết nối với nền tảng chia sẻ dữ liệu rồi thử lại.", "national_db_rejected",
                       detail=detail[:300])


def not_found(person: Person) -> Conflict:
    return Conflict(f"CSDL quốc gia về CBCCVC chưa có hồ sơ của số CCCD {person.citizen_id} ({person.full_name}); "
                    "nhiệm vụ vẫn mở. Đề nghị cơ quan, đơn vị cũ đồng bộ hồ sơ lên CSDL quốc gia rồi thử lại.",
                    "national_record_not_found", citizen_id=person.citizen_id)


def _shown(name: str, value: Any) -> str:
    if value in (None, ""):
        return "không có"
    if name == "date_of_birth":
        try:
            return datetime.fromisoformat(str(value)).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    if name == "sex":
        return cv.SEX.get(str(value), str(value))
    return str(value)


def identity_mismatches(person: Person, payload: dict[str, Any]) -> list[str]:
    """What in the pulled record differs from the identity the receiving unit registered (Vietnamese)."""
    data = payload.get("data") or {}
    registered = {"citizen_id": person.citizen_id, "sex": person.sex, "date_of_birth": person.date_of_birth.isoformat()}
    pulled = {"citizen_id": data.get("citizen_id") or payload.get("citizen_id"), "sex": data.get("sex"),
              "date_of_birth": data.get("date_of_birth")}
    return [f"{label}: CSDL quốc gia ghi «{_shown(name, pulled[name])}», đơn vị đã đăng ký "
            f"«{_shown(name, registered[name])}»"
            for name, label in IDENTITY.items() if str(pulled[name] or "") != registered[name]]


async def store_pulled(task_id: int, actor_user_id: int, record: dict[str, Any], now: datetime, *,
                       session: AsyncSession) -> ProfileRevision:
    """Keep the pulled record as the person's draft revision (kind `arrival`), once its identity matches.

    A pull repeated (a completion retried) updates the same draft; a draft the person had already saved is
    completed with the pulled data, each change logged per field as made by Sở Nội vụ."""
    task, person = await pull_task(task_id, actor_user_id, session=session)
    payload = record["payload"]
    mismatches = identity_mismatches(person, payload)
    if mismatches:
        raise Conflict("Hồ sơ trên CSDL quốc gia không khớp thông tin nhận dạng đã đăng ký (" + "; ".join(mismatches)
                       + "). Đề nghị cơ quan tiếp nhận kiểm tra lại thông tin đăng ký; nhiệm vụ vẫn mở.",
                       "national_identity_mismatch", mismatches=mismatches)
    pulled = {name: value for name, value in payload["data"].items() if name in cv.FIELDS}
    working = await people.working_revision(person.id, session=session)
    if working is not None and working.status != "draft":
        raise Conflict(f"Hồ sơ đang có bản số {working.number} đã nộp hoặc đã phê duyệt; không ghi đè bằng dữ liệu "
                       "từ CSDL quốc gia.", "revision_not_editable", revision_id=working.id)
    if working is None:
        old = people.initial_cv(person)
        working = ProfileRevision(person_id=person.id, number=1, status="draft", kind=KIND, data={**old, **pulled},
                                  author_id=actor_user_id, workflow_id=task.workflow_id, created_at=now,
                                  updated_at=now)
        session.add(working)
        await session.flush()
    else:
        old = dict(working.data)
        working.data, working.kind, working.updated_at = {**old, **pulled}, KIND, now
        working.workflow_id = task.workflow_id
    changed = revision_log.record_changes(working.id, actor_user_id, old, working.data, now, session=session)
    transfer = await transfer_of(task.workflow_id, session=session)
    if transfer is not None:
        transfer.revision_id = working.id
        transfer.handed_over_at = transfer.handed_over_at or now
    actor = await session.get(User, actor_user_id)
    await audit.record(actor=actor.username, action="arrival.pulled", subject=f"person:{person.id}",
                       revision=working.number, remote_id=record["id"], fields=changed,
                       transfer=transfer.id if transfer else None, session=session)
    return working


async def pulled_draft(task: Task, revision_id: int, *, session: AsyncSession) -> ProfileRevision:
    """The draft the pull stored for this task's person (checked again when the task closes)."""
    revision = await session.get(ProfileRevision, revision_id) if revision_id else None
    if revision is None or revision.person_id != task.subject_person_id or revision.kind != KIND:
        raise Invalid("Chưa lấy được hồ sơ từ CSDL quốc gia cho người này.", "not_pulled")
    return revision

"""The inbox projection of human tasks: opened, completed, reminded and escalated by activities."""
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Delegation, Person, ProfileRevision, RoleGrant, Task, TaskCandidate, Unit, User
from models.tasks import ESCALATION_LEVELS, TASK_KINDS
from services import audit, cv, documents, notify, org
from services.errors import Conflict, Forbidden, Invalid, NotFound
from services.scope import Viewer, tasks_query
from workflows.contracts import VN_TZ, CompleteTaskInput, OpenedTask, OpenTaskInput, TaskResult

OUTCOMES = {
    "create_account": {"done": "Đã tạo và bàn giao tài khoản"},
    "self_entry": {"submit": "Nộp sơ yếu lý lịch"},
    "review_entry": {"accept": "Chấp nhận, chờ phê duyệt tháng", "return": "Trả lại để bổ sung"},
    "update_entry": {"submit": "Nộp thông tin cập nhật"},
    "review_update": {"accept": "Chấp nhận, chờ phê duyệt tháng", "return": "Trả lại để bổ sung"},
    "sign_approval": {"sign": "Ký số phê duyệt"},
    "sign_province": {"sign": "Ký số phê duyệt cấp tỉnh"},
}
# Tasks whose actors can change while open (delegations): the completing activity decides.
DYNAMIC_ACTORS = {"sign_approval"}
# What `data` each outcome needs: field → Vietnamese label.
DATA_NEEDS = {
    ("create_account", "done"): {"username": "Tên đăng nhập cho cá nhân"},
    ("self_entry", "submit"): {"revision_id": "Bản sơ yếu lý lịch đã lưu"},
    ("review_entry", "return"): {"comment": "Lý do trả lại"},
    ("update_entry", "submit"): {"revision_id": "Bản cập nhật đã lưu, có tài liệu đính kèm"},
    ("review_update", "return"): {"comment": "Lý do trả lại"},
    ("sign_approval", "sign"): {"decisions": "Với mỗi hồ sơ: approve hoặc return",
                                "reasons": "Lý do cho hồ sơ bị trả lại"},
}
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
DUE_SOON_DAYS = 3


def local_date(moment: datetime) -> date:
    return moment.astimezone(VN_TZ).date()


# ---- opening ---------------------------------------------------------------------------------

async def open_task(session: AsyncSession, inp: OpenTaskInput, *, now: datetime) -> OpenedTask:
    """Create the task row and its candidates once per (workflow, step)."""
    existing = (await session.execute(select(Task).where(
        Task.workflow_id == inp.workflow_id, Task.step_key == inp.step_key))).scalars().first()
    if existing is None:
        existing = await _insert_task(session, inp, now)
    candidates = await _candidate_ids(session, existing.id)
    return OpenedTask(existing.id, sorted(candidates), list(OUTCOMES[existing.kind]))


async def _insert_task(session: AsyncSession, inp: OpenTaskInput, now: datetime) -> Task:
    person = await session.get(Person, inp.person_id) if inp.person_id else None
    sched = inp.schedule
    task = Task(
        workflow_id=inp.workflow_id, step_key=inp.step_key, kind=inp.kind,
        title=await _title(session, inp, person),
        subject_person_id=inp.person_id, unit_id=inp.unit_id, actor_role=sched.actor_role,
        rule=sched.rule, profile=inp.profile, profile_version=inp.profile_version,
        started_on=date.fromisoformat(inp.started_on),
        due_on=date.fromisoformat(sched.due_on) if sched.due_on else None,
        due_at=datetime.fromisoformat(sched.due_at) if sched.due_at else None,
        legal_basis=sched.legal_basis, created_at=now,
    )
    session.add(task)
    await session.flush()
    users = await actor_user_ids(session, sched.actor_role, inp.unit_id, inp.person_id)
    if inp.kind in DYNAMIC_ACTORS:
        users.update(await delegate_ids(session, inp.unit_id, local_date(now)))
    for user_id, reason in users.items():
        session.add(TaskCandidate(task_id=task.id, user_id=user_id, reason=reason))
    due = f" Hạn: {task.due_on:%d/%m/%Y} ({task.legal_basis})." if task.due_on else ""
    await notify.notify(session, user_ids=set(users), key=f"task{task.id}/open", kind="task",
                        subject=f"Nhiệm vụ mới: {task.title}", body=f"Bạn có nhiệm vụ mới: {task.title}.{due}",
                        task_id=task.id)
    await audit.record(session, actor="system", action="task.opened", subject=f"task:{task.id}",
                       workflow_id=task.workflow_id, step=task.step_key, due_on=sched.due_on)
    return task


async def _title(session: AsyncSession, inp: OpenTaskInput, person: Person | None) -> str:
    if person is not None:
        return f"{TASK_KINDS[inp.kind]}: {person.full_name}"
    unit = await session.get(Unit, inp.unit_id)
    month = inp.workflow_id.rsplit("/", 1)[-1]  # approval/{unit}/{yyyy-mm}
    return f"{TASK_KINDS[inp.kind]} {month[5:]}/{month[:4]}: {unit.name}"


async def delegate_ids(session: AsyncSession, unit_id: int, on: date) -> dict[int, str]:
    rows = await session.execute(select(Delegation.delegate_id, Delegation.document_no).where(
        Delegation.unit_id == unit_id, Delegation.revoked_at.is_(None), Delegation.valid_from <= on,
        Delegation.valid_to >= on))
    return {user_id: f"Ủy quyền theo văn bản số {number}" for user_id, number in rows}


async def actor_user_ids(session: AsyncSession, role: str, unit_id: int, person_id: int | None) -> dict[int, str]:
    """The users who act in `role` for a unit: its own holders, else the nearest ancestor's."""
    if role == "person":
        user = (await session.execute(select(User.id).where(User.person_id == person_id))).first()
        return {user[0]: "Chính cá nhân"} if user else {}
    if role in ("unit_hr", "unit_head"):
        for level, ancestor in enumerate(await org.ancestors(session, unit_id)):
            rows = (await session.execute(select(RoleGrant.user_id).where(
                RoleGrant.role == role, RoleGrant.unit_id == ancestor))).all()
            if rows:
                reason = "Được giao tại đơn vị" if level == 0 else "Được giao tại đơn vị cấp trên"
                return {row[0]: reason for row in rows}
        return {}
    rows = (await session.execute(select(RoleGrant.user_id).where(RoleGrant.role == role))).all()
    return {row[0]: "Vai trò cấp tỉnh" for row in rows}


async def _candidate_ids(session: AsyncSession, task_id: int) -> set[int]:
    rows = await session.execute(select(TaskCandidate.user_id).where(
        TaskCandidate.task_id == task_id, TaskCandidate.can_complete))
    return {row[0] for row in rows}


# ---- completing ------------------------------------------------------------------------------

async def complete_task(session: AsyncSession, settings: Settings, inp: CompleteTaskInput,
                        *, now: datetime) -> TaskResult:
    """Apply a completion and its effect in one transaction; a retry returns the same result."""
    task = (await session.execute(select(Task).where(Task.id == inp.task_id).with_for_update())).scalars().first()
    if task is None:
        raise NotFound("Không tìm thấy nhiệm vụ.", "task_not_found")
    if task.status == "done":
        if task.outcome == inp.outcome and task.completed_by_id == inp.actor_user_id:
            return _result(task)
        raise Conflict("Nhiệm vụ này đã được hoàn thành.", "task_not_open")
    if task.kind not in DYNAMIC_ACTORS and inp.actor_user_id not in await _candidate_ids(session, task.id):
        raise Forbidden("Bạn không được giao nhiệm vụ này.", "not_your_task")
    if inp.outcome not in OUTCOMES[task.kind]:
        raise Invalid("Kết quả không hợp lệ cho nhiệm vụ này.", "bad_outcome")
    result = await EFFECTS[task.kind](session, settings, task, inp, now)
    task.status, task.outcome = "done", inp.outcome
    task.completed_by_id, task.completed_at = inp.actor_user_id, now
    task.comment = inp.data.get("comment") or None
    task.result = result
    actor = await session.get(User, inp.actor_user_id)
    await audit.record(session, actor=actor.username, action="task.completed", subject=f"task:{task.id}",
                       outcome=inp.outcome, late=_late(task))
    return _result(task)


def _late(task: Task) -> bool:
    return bool(task.due_at and task.completed_at and task.completed_at > task.due_at)


def _result(task: Task) -> TaskResult:
    return TaskResult(task.id, task.outcome, task.completed_at.isoformat(), _late(task), dict(task.result))


async def _create_account(session, settings: Settings, task: Task, inp: CompleteTaskInput, now) -> dict[str, Any]:
    """Create the person's login; the one-time code's hash comes in, the code itself never does."""
    username = str(inp.data.get("username", "")).strip().lower()
    if not USERNAME.match(username):
        raise Invalid("Tên đăng nhập gồm 3-64 ký tự chữ thường không dấu, số, dấu chấm, gạch.", "bad_username")
    code_hash = inp.data.get("activation_hash")
    if not code_hash:
        raise Invalid("Thiếu mã kích hoạt.", "missing_activation")
    person = await session.get(Person, task.subject_person_id)
    existing = (await session.execute(select(User).where(User.username == username))).scalars().first()
    if existing is not None and existing.person_id != person.id:
        raise Conflict(f"Tên đăng nhập «{username}» đã được dùng.", "username_taken")
    held = (await session.execute(select(User.username).where(User.person_id == person.id))).scalar()
    if held is not None and held != username:
        raise Conflict(f"Người này đã có tài khoản «{held}».", "account_exists")
    if existing is None:
        session.add(User(
            username=username, full_name=person.full_name, email=person.email, unit_id=person.unit_id,
            person_id=person.id, activation_hash=code_hash,
            activation_expires=now + timedelta(days=settings.activation_valid_days),
        ))
        await session.flush()
    return {"username": username}


async def _valid_draft(session, task: Task, inp: CompleteTaskInput, now, *, missing: str,
                       invalid: str) -> tuple[ProfileRevision, dict[str, Any]]:
    """The unsubmitted revision the completion names, and its data once valid."""
    revision = await session.get(ProfileRevision, int(inp.data.get("revision_id") or 0))
    if revision is None or revision.person_id != task.subject_person_id or revision.status not in ("draft", "returned"):
        raise Invalid(missing, "no_draft")
    clean, errors = cv.validate(revision.data, local_date(now))
    if errors:
        raise Invalid(f"{invalid}: " + " ".join(errors.values()), "invalid_cv", errors=errors)
    return revision, clean


async def _submit_entry(session, settings, task: Task, inp: CompleteTaskInput, now) -> dict[str, Any]:
    revision, clean = await _valid_draft(session, task, inp, now, missing="Không tìm thấy bản sơ yếu lý lịch nháp để nộp.",
                                         invalid="Sơ yếu lý lịch chưa hợp lệ")
    person = await session.get(Person, task.subject_person_id)
    if clean["citizen_id"] != person.citizen_id:
        raise Invalid("Số CCCD khác với số đã đăng ký khi tuyển dụng; đề nghị cán bộ tổ chức kiểm tra.",
                      "citizen_id_mismatch")
    revision.data, revision.status = clean, "submitted"
    revision.submitted_at = revision.updated_at = now
    revision.workflow_id = task.workflow_id
    return {"revision_id": revision.id}


async def _review_entry(session, settings, task: Task, inp: CompleteTaskInput, now) -> dict[str, Any]:
    revision = (await session.execute(select(ProfileRevision).where(
        ProfileRevision.person_id == task.subject_person_id, ProfileRevision.status == "submitted")
        .order_by(ProfileRevision.number.desc()))).scalars().first()
    if revision is None:
        raise Invalid("Không có bản sơ yếu lý lịch chờ kiểm tra.", "nothing_to_review")
    comment = str(inp.data.get("comment") or "").strip()
    if inp.outcome == "return" and not comment:
        raise Invalid("Ghi rõ lý do trả lại để cá nhân bổ sung.", "missing_comment")
    revision.status = "ready" if inp.outcome == "accept" else "returned"
    revision.review_comment = comment or None
    revision.reviewed_by_id, revision.reviewed_at, revision.updated_at = inp.actor_user_id, now, now
    if inp.outcome == "return":
        await notify.notify(session, user_ids=set((await actor_user_ids(session, "person", task.unit_id,
                                                                       task.subject_person_id))),
                            key=f"task{task.id}/returned", kind="returned",
                            subject="Sơ yếu lý lịch bị trả lại",
                            body=f"Cán bộ tổ chức trả lại sơ yếu lý lịch: {comment}", task_id=task.id)
    return {"revision_id": revision.id}


async def _submit_update(session, settings, task: Task, inp: CompleteTaskInput, now) -> dict[str, Any]:
    """A change goes in with the digitised document confirmed by the competent body
    (Quảng Ngãi Đ5.4, Hải Phòng Đ4.3; Kon Tum Đ10.2 for the unit's entries)."""
    revision, clean = await _valid_draft(session, task, inp, now, missing="Không tìm thấy bản cập nhật chưa nộp.",
                                         invalid="Thông tin cập nhật chưa hợp lệ")
    if not await documents.of_revision(session, revision.id):
        raise Invalid("Đính kèm bản số hóa của tài liệu đã được cấp có thẩm quyền xác nhận.", "missing_attachment")
    by_hr = revision.kind == "update_state_decision"
    revision.data, revision.status = clean, ("ready" if by_hr else "submitted")
    revision.submitted_at = revision.updated_at = now
    if by_hr:
        revision.reviewed_by_id, revision.reviewed_at = inp.actor_user_id, now
    return {"revision_id": revision.id}


async def _review_update(session, settings, task: Task, inp: CompleteTaskInput, now) -> dict[str, Any]:
    return await _review_entry(session, settings, task, inp, now)


async def _sign_approval(session, settings, task: Task, inp: CompleteTaskInput, now) -> dict[str, Any]:
    from services import approvals
    return await approvals.sign(session, settings, task, inp, now)


async def _sign_province(session, settings, task: Task, inp: CompleteTaskInput, now) -> dict[str, Any]:
    from services import approvals
    return await approvals.sign_province(session, settings, task, inp, now)


EFFECTS = {"create_account": _create_account, "self_entry": _submit_entry, "review_entry": _review_entry,
           "update_entry": _submit_update, "review_update": _review_update, "sign_approval": _sign_approval,
           "sign_province": _sign_province}


# ---- milestones ------------------------------------------------------------------------------

async def milestone(session: AsyncSession, task_id: int, name: str, *, now: datetime) -> bool:
    """Record a reminder or an escalation and notify who must hear of it; False if already done."""
    task = await session.get(Task, task_id)
    if task is None or task.status != "open":
        return False
    stamp = {"remind": "reminded_at", "escalate_head": "escalated_head_at",
             "escalate_sonoivu": "escalated_sonoivu_at"}[name]
    if getattr(task, stamp) is not None:
        return False
    setattr(task, stamp, now)
    candidates = await _candidate_ids(session, task.id)
    due = f"{task.due_on:%d/%m/%Y}" if task.due_on else ""
    if name == "remind":
        await notify.notify(session, user_ids=candidates, key=f"task{task.id}/remind", kind="reminder",
                            subject=f"Sắp đến hạn: {task.title}",
                            body=f"Nhiệm vụ «{task.title}» đến hạn ngày {due} ({task.legal_basis}).",
                            task_id=task.id)
    else:
        if task.kind == "sign_approval" and name == "escalate_sonoivu":
            from services import approvals
            await approvals.mark_late(session, task.workflow_id)
        level, role = (1, "unit_head") if name == "escalate_head" else (2, "sonoivu_admin")
        task.escalation_level = max(task.escalation_level, level)
        watchers = await actor_user_ids(session, role, task.unit_id, None)
        for user_id in set(watchers) - candidates:
            await session.execute(insert(TaskCandidate).values(
                task_id=task.id, user_id=user_id, can_complete=False,
                reason=ESCALATION_LEVELS[level]).on_conflict_do_nothing())
        await notify.notify(session, user_ids=set(watchers) | candidates, key=f"task{task.id}/{name}",
                            kind="escalation", subject=f"Quá hạn: {task.title}",
                            body=(f"Nhiệm vụ «{task.title}» đã quá hạn ngày {due} ({task.legal_basis}). "
                                  f"{ESCALATION_LEVELS[level]}."), task_id=task.id)
    await audit.record(session, actor="system", action=f"task.{name}", subject=f"task:{task.id}")
    return True


# ---- reading ---------------------------------------------------------------------------------

async def list_tasks(session: AsyncSession, viewer: Viewer, *, scope: str = "mine", status: str = "open",
                     overdue: bool = False, due_soon: bool = False, now: datetime | None = None) -> list[Task]:
    now = now or datetime.now(UTC)
    query = tasks_query(viewer)
    if scope == "mine":
        mine = select(TaskCandidate.task_id).where(TaskCandidate.user_id == viewer.user_id)
        query = query.where(Task.id.in_(mine))
    if status in ("open", "done"):
        query = query.where(Task.status == status)
    if overdue:
        query = query.where(Task.status == "open", Task.due_at < now)
    if due_soon:
        query = query.where(Task.status == "open", Task.due_at >= now,
                            Task.due_at < now + timedelta(days=DUE_SOON_DAYS))
    query = query.order_by(Task.due_at.asc().nulls_last(), Task.id)
    return list((await session.execute(query)).scalars())


async def readable_task(session: AsyncSession, viewer: Viewer, task_id: int) -> Task:
    task = (await session.execute(tasks_query(viewer).where(Task.id == task_id))).scalars().first()
    if task is None:
        raise NotFound("Không tìm thấy nhiệm vụ hoặc nhiệm vụ nằm ngoài phạm vi của bạn.", "task_not_found")
    return task


async def can_complete(session: AsyncSession, viewer: Viewer, task: Task) -> bool:
    return task.status == "open" and viewer.user_id in await _candidate_ids(session, task.id)


async def assignee_names(session: AsyncSession, task_ids: list[int]) -> dict[int, list[str]]:
    rows = await session.execute(
        select(TaskCandidate.task_id, User.username).join(User, User.id == TaskCandidate.user_id)
        .where(and_(TaskCandidate.task_id.in_(task_ids or [-1]), TaskCandidate.can_complete))
        .order_by(User.username))
    names: dict[int, list[str]] = {}
    for task_id, username in rows:
        names.setdefault(task_id, []).append(username)
    return names


async def usernames(session: AsyncSession, user_ids: set[int]) -> dict[int, str]:
    rows = await session.execute(select(User.id, User.username).where(User.id.in_(user_ids or {-1})))
    return dict(rows.all())



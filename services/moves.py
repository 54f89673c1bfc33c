"""The effects of a transfer's steps (workflows/transfer.py), each in the transaction of its activity.

- the internal move and the receiving unit's acceptance are the handover: the record changes unit
  (services/placements.move: person, login and placement together) and a revision of kind `transfer`
  records the new unit in the work history (CV item 33), for the month's approval of the new unit;
- a leaving makes a revision of kind `status_change` (the open period of the work history closed); once the
  month's approval signs it, the record goes to the archive: read-only, never deleted, the login stops;
- a cancel, before the handover (a leaving: before its approval), closes the transfer's open tasks and
  withdraws its revision from the month's batch: the record stays where it was.

The transfer row is locked (FOR UPDATE) by each effect and by the cancel, so a cancel and a handover that
race each other are decided by the database: one wins, the other is refused.
"""
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Approval, ApprovalItem, Person, ProfileRevision, Task, TaskCandidate, Transfer, Unit, User
from models.transfers import LEAVING_REASONS, TRANSFER_KINDS, TRANSFER_STATUSES
from rules.clock import local_date
from services import audit, auth, cv, notify, placements, revisions
from services.errors import Conflict, Invalid, NotFound
from services.scope import Viewer
from workflows.contracts import TransferCancelInput, TransferCancelled

# Where a transfer stands (transfers.stage), as the page of transfers in progress shows it.
STAGES = {
    "starting": "Đang khởi tạo",
    "waiting_effective": "Chờ văn bản có hiệu lực",
    "moving": "Chờ điều chuyển hồ sơ đến bộ phận mới",
    "releasing": "Chờ đơn vị cũ chuyển hồ sơ",
    "receiving": "Chờ đơn vị mới tiếp nhận hồ sơ",
    "confirming": "Chờ cá nhân kiểm tra dữ liệu",
    "status_change": "Chờ điều chỉnh tình trạng hồ sơ",
    "approval": "Chờ phê duyệt dữ liệu tháng",
    "correcting": "Bị trả lại, chờ chỉnh sửa",
    "done": "Đã hoàn tất",
    "archived": "Đã chuyển vào kho lưu trữ",
    "cancelled": "Đã hủy",
}
REVISION_KINDS = {"transfer": "Điều chuyển, chuyển công tác", "status_change": "Điều chỉnh tình trạng hồ sơ"}
# a cancelled leaving's revision, taken out of the month's batch (services/approvals.add_items skips it)
WITHDRAWN = "withdrawn"
# revisions of a change still under way (services/updates.OPEN_STATUSES)
OPEN_REVISION_STATUSES = ("draft", "submitted", "returned", "ready", "returned_by_head")


def stage_label(stage: str | None) -> str:
    return STAGES.get(stage or "", stage or "")


def transfer_id_of(workflow_id: str) -> int:
    prefix, _, number = workflow_id.partition("/")
    if prefix != "transfer" or not number.isascii() or not number.isdigit():
        raise NotFound("Nhiệm vụ này không thuộc một điều chuyển.", "transfer_not_found")
    return int(number)


async def _locked(transfer_id: int, *, session: AsyncSession) -> Transfer:
    transfer = (await session.execute(select(Transfer).where(Transfer.id == transfer_id)
                                      .with_for_update())).scalars().first()
    if transfer is None:
        raise NotFound("Không tìm thấy điều chuyển.", "transfer_not_found")
    return transfer


async def _open_transfer_of_task(task: Task, *, session: AsyncSession) -> Transfer:
    transfer = await _locked(transfer_id_of(task.workflow_id), session=session)
    if transfer.status != "open":
        raise Conflict(f"Điều chuyển số {transfer.id} {TRANSFER_STATUSES[transfer.status].lower()}; "
                       "nhiệm vụ này không còn hiệu lực.", f"transfer_{transfer.status}")
    return transfer


async def _person(transfer: Transfer, *, session: AsyncSession) -> Person:
    person = (await session.execute(select(Person).where(Person.id == transfer.person_id)
                                    .with_for_update())).scalars().one()
    if person.status == "archived":
        raise Conflict("Hồ sơ đã lưu trữ; không điều chuyển được.", "person_archived")
    if person.unit_id != transfer.from_unit_id and transfer.handed_over_at is None:
        raise Conflict("Hồ sơ không còn ở đơn vị chuyển đi (đã được điều chuyển hoặc sáp nhập); "
                       "hủy điều chuyển này và lập lại nếu cần.", "person_moved")
    return person


async def _refuse_open_update(person: Person, *, session: AsyncSession) -> None:
    """A change still under way would be lost under (or would hide) the transfer's revision."""
    open_update = (await session.execute(select(ProfileRevision).where(
        ProfileRevision.person_id == person.id, ProfileRevision.kind.in_(("update_personal", "update_state_decision")),
        ProfileRevision.status.in_(OPEN_REVISION_STATUSES)))).scalars().first()
    if open_update is not None:
        raise Conflict(f"Đang có bản cập nhật số {open_update.number} chưa được phê duyệt; hoàn thành bản đó "
                       "trước rồi thực hiện lại nhiệm vụ này.", "update_in_progress", revision_id=open_update.id)


# ---- stages --------------------------------------------------------------------------------------

async def set_stage(transfer_id: int, stage: str, *, session: AsyncSession, now: datetime) -> None:
    """Record where the transfer stands; `done` closes it. A cancelled or closed transfer keeps its state."""
    if stage not in STAGES:
        raise ValueError(f"unknown transfer stage {stage!r}")
    transfer = await _locked(transfer_id, session=session)
    if transfer.status != "open" or transfer.stage == stage:
        return
    old, transfer.stage = transfer.stage, stage
    if stage == "done":
        transfer.status, transfer.closed_at = "done", now
    await audit.record(actor="system", action="transfer.stage", subject=f"transfer:{transfer.id}",
                       person=transfer.person_id, old=old, new=stage, session=session)


# ---- the CV's work history (item 33) --------------------------------------------------------------

def _month(day: date) -> str:
    return f"{day:%m/%Y}"


def _key(month: str) -> tuple[int, int]:
    return int(month[3:]), int(month[:2])


def closed_history(history: Any, on: date) -> list:
    """The periods still running («nay») end in the month of `on` (never before they began)."""
    periods = list(history) if isinstance(history, list) else []
    end = _month(on)
    closed = []
    for period in periods:
        if isinstance(period, dict) and str(period.get("to", "")).strip() == "nay":
            start = str(period.get("from", "")).strip()
            to = start if cv.MONTH.match(start) and _key(start) > _key(end) else end
            period = {**period, "to": to}
        closed.append(period)
    return closed


def moved_history(history: Any, on: date, description: str) -> list:
    """The running period ends and a new one starts at the new unit, from the month of `on`."""
    return [*closed_history(history, on), {"from": _month(on), "to": "nay", "description": description}]


async def unit_label(unit_id: int, *, session: AsyncSession) -> str:
    """«Phòng Nghiệp vụ Y, Sở Y tế»: a department (phòng) is named with its agency."""
    unit = await session.get(Unit, unit_id)
    if unit.kind == "phong" and unit.parent_id is not None:
        parent = await session.get(Unit, unit.parent_id)
        return f"{unit.name}, {parent.name}"
    return unit.name


async def _new_revision(person: Person, transfer: Transfer, actor: User, now: datetime, *, kind: str, status: str,
                        data: dict[str, Any], session: AsyncSession) -> ProfileRevision:
    current = await session.get(ProfileRevision, person.current_revision_id)
    number = (await session.execute(select(func.max(ProfileRevision.number)).where(
        ProfileRevision.person_id == person.id))).scalar_one()
    reason = (LEAVING_REASONS.get(transfer.reason, transfer.reason) if transfer.kind == "leaving"
              else f"{TRANSFER_KINDS[transfer.kind]}: {transfer.reason}")
    revision = ProfileRevision(
        person_id=person.id, number=number + 1, status=status, kind=kind, data=data, author_id=actor.id,
        workflow_id=transfer.workflow_id, change_date=transfer.effective_on, change_reason=reason,
        decision_no=transfer.decision_no, created_at=now, updated_at=now)
    if status == "ready":  # HR's own entry from the decision: no review of its own (as update_state_decision)
        revision.submitted_at = revision.reviewed_at = now
        revision.reviewed_by_id = actor.id
    session.add(revision)
    await session.flush()
    revisions.record_changes(revision.id, actor.id, current.data, data, now, session=session)
    transfer.revision_id = revision.id
    await audit.record(actor=actor.username, action="transfer.revision", subject=f"person:{person.id}",
                       transfer=transfer.id, revision=revision.number, kind=kind, status=status, session=session)
    return revision


# ---- the steps' effects --------------------------------------------------------------------------

async def release(task: Task, actor_user_id: int, now: datetime, *, session: AsyncSession) -> dict[str, Any]:
    """The sending unit (or its managing body) sends the record to the receiving unit: nothing moves yet."""
    transfer = await _open_transfer_of_task(task, session=session)
    person = await _person(transfer, session=session)
    actor = await session.get(User, actor_user_id)
    await audit.record(actor=actor.username, action="transfer.released", subject=f"person:{person.id}",
                       transfer=transfer.id, from_unit_id=transfer.from_unit_id, to_unit_id=transfer.to_unit_id,
                       session=session)
    return {"released_on": local_date(now).isoformat()}


async def hand_over(task: Task, actor_user_id: int, now: datetime, *, session: AsyncSession,
                    by_hr: bool) -> dict[str, Any]:
    """The record moves to the new unit now (its old unit's HR loses it, the new one gets it) and the
    transfer's revision records the new unit: `ready` when HR's move is the whole step (`by_hr`, the internal
    move; also when the person has no login to check it), else a draft the person checks."""
    transfer = await _open_transfer_of_task(task, session=session)
    if transfer.handed_over_at is not None:
        raise Conflict("Hồ sơ đã được bàn giao.", "already_handed_over")
    person = await _person(transfer, session=session)
    await _refuse_open_update(person, session=session)
    destination = await session.get(Unit, transfer.to_unit_id)
    if destination.successor_id is not None:  # merged or dissolved since the transfer was made
        successor = await session.get(Unit, destination.successor_id)
        raise Conflict(f"Đơn vị «{destination.name}» đã sáp nhập vào «{successor.name}»; hủy điều chuyển này và "
                       "lập lại đến đơn vị kế thừa.", "unit_closed")
    actor = await session.get(User, actor_user_id)
    login = (await session.execute(select(User).where(User.person_id == person.id))).scalars().first()
    # The placement starts on the day the record moves; a decision that takes effect later is waited for
    # by the workflow, so this is never before the effective date.
    on = max(transfer.effective_on, local_date(now))
    from_unit_id = person.unit_id
    await placements.move(person, transfer.to_unit_id, on, session=session, actor=actor.username,
                          transfer_id=transfer.id)
    current = await session.get(ProfileRevision, person.current_revision_id)
    data = dict(current.data)
    where = await unit_label(transfer.to_unit_id, session=session)
    data["work_history"] = moved_history(data.get("work_history"), transfer.effective_on,
                                         ", ".join(part for part in (data.get("grade_name"), where) if part))
    checks = not by_hr and login is not None and login.is_active
    revision = await _new_revision(person, transfer, actor, now, kind="transfer", status="draft" if checks else "ready",
                                   data=data, session=session)
    transfer.handed_over_at = now
    await audit.record(actor=actor.username, action="transfer.handed_over", subject=f"person:{person.id}",
                       transfer=transfer.id, from_unit_id=from_unit_id, to_unit_id=transfer.to_unit_id,
                       on=on.isoformat(), login=login.username if login else None, session=session)
    return {"revision_id": revision.id, "check": checks, "handed_over_on": local_date(now).isoformat()}


async def status_revision(task: Task, actor_user_id: int, now: datetime, *, session: AsyncSession) -> dict[str, Any]:
    """HR changes the record's status: a `status_change` revision (the work history's running period ends
    on the leaving's month) for the month's approval; the archive waits for the signature."""
    transfer = await _open_transfer_of_task(task, session=session)
    person = await _person(transfer, session=session)
    await _refuse_open_update(person, session=session)
    actor = await session.get(User, actor_user_id)
    current = await session.get(ProfileRevision, person.current_revision_id)
    data = {**current.data, "work_history": closed_history(current.data.get("work_history"), transfer.effective_on)}
    revision = await _new_revision(person, transfer, actor, now, kind="status_change", status="ready", data=data,
                                   session=session)
    return {"revision_id": revision.id}


async def checked_revision(person_id: int, *, session: AsyncSession) -> ProfileRevision:
    """The transfer's revision the person (or HR, after a return) checks: a draft, or the returned one."""
    revision = (await session.execute(select(ProfileRevision).where(ProfileRevision.person_id == person_id)
                                      .order_by(ProfileRevision.number.desc()).limit(1))).scalars().first()
    if revision is None or revision.kind != "transfer" or revision.status not in ("draft", "returned",
                                                                                  "returned_by_head"):
        raise Invalid("Không có bản hồ sơ điều chuyển chờ kiểm tra.", "nothing_to_confirm")
    return revision


async def confirm(task: Task, actor_user_id: int, revision_id: int, now: datetime, *,
                  session: AsyncSession) -> dict[str, Any]:
    """The data is checked (edited, if need be, through the CV form): the revision goes to the approval.
    A returned revision is never edited: confirming it as it is makes a new one."""
    transfer = await _locked(transfer_id_of(task.workflow_id), session=session)
    revision = await checked_revision(task.subject_person_id, session=session)
    if revision.id != revision_id:
        raise Invalid("Bản hồ sơ vừa thay đổi; vui lòng tải lại trang.", "revision_changed")
    clean, errors = cv.validate(revision.data, local_date(now))
    if errors:
        raise Invalid("Dữ liệu chưa hợp lệ: " + " ".join(errors.values()), "invalid_cv", errors=errors)
    actor = await session.get(User, actor_user_id)
    if revision.status != "draft":
        number = (await session.execute(select(func.max(ProfileRevision.number)).where(
            ProfileRevision.person_id == revision.person_id))).scalar_one()
        revision = ProfileRevision(
            person_id=revision.person_id, number=number + 1, kind=revision.kind, data=clean, author_id=actor.id,
            workflow_id=revision.workflow_id, change_date=revision.change_date, change_reason=revision.change_reason,
            decision_no=revision.decision_no, created_at=now)
        session.add(revision)
        await session.flush()
    revision.data, revision.status = clean, "ready"
    revision.submitted_at = revision.updated_at = now
    transfer.revision_id = revision.id
    await audit.record(actor=actor.username, action="transfer.confirmed", subject=f"person:{revision.person_id}",
                       transfer=transfer.id, revision=revision.number, session=session)
    return {"revision_id": revision.id}


# ---- after the approval ---------------------------------------------------------------------------

async def archive(transfer_id: int, now: datetime, *, session: AsyncSession) -> None:
    """The status change is approved: the record goes to the archive (read-only, never deleted, still found
    by those entitled: Quảng Ngãi Đ9.5, Kon Tum Đ12.3), its last placement ends, its login stops working."""
    transfer = await _locked(transfer_id, session=session)
    if transfer.status != "open":
        return  # done already (a retried activity)
    person = (await session.execute(select(Person).where(Person.id == transfer.person_id)
                                    .with_for_update())).scalars().one()
    person.status, person.left_on, person.leave_reason, person.archived_at = (
        "archived", transfer.effective_on, transfer.reason, now)
    await placements.close(person, transfer.effective_on, session=session)
    login = (await session.execute(select(User).where(User.person_id == person.id))).scalars().first()
    ended = 0
    if login is not None:
        login.is_active = False
        ended = await auth.revoke_sessions(login.id, session=session, now=now)
    transfer.status, transfer.stage, transfer.closed_at = "done", "archived", now
    await audit.record(actor="system", action="person.archived", subject=f"person:{person.id}", transfer=transfer.id,
                       reason=transfer.reason, left_on=transfer.effective_on.isoformat(),
                       login=login.username if login else None, sessions_ended=ended, session=session)


# ---- cancel ----------------------------------------------------------------------------------------

async def cancel(inp: TransferCancelInput, now: datetime, *, session: AsyncSession) -> TransferCancelled:
    """Cancel before the handover (a leaving: before its approval is signed): the open tasks close as
    cancelled (they leave the inbox), a leaving's revision leaves the month's batch, the record stays.

    The transfer's open tasks are locked before the transfer, as a completion locks its task, then the
    transfer: a cancel and a completion wait for each other."""
    workflow_id = (await session.execute(select(Transfer.workflow_id).where(
        Transfer.id == inp.transfer_id))).scalar_one_or_none()
    tasks = list((await session.execute(select(Task).where(
        Task.workflow_id == workflow_id, Task.status == "open").order_by(Task.id).with_for_update())).scalars())
    transfer = await _locked(inp.transfer_id, session=session)
    if transfer.status == "cancelled":
        return TransferCancelled(True)
    if transfer.status == "done":
        return TransferCancelled(False, f"Điều chuyển số {transfer.id} đã hoàn tất; không hủy được.", "transfer_done")
    if transfer.handed_over_at is not None:
        return TransferCancelled(False, handed_over_message(transfer), "transfer_handed_over")
    if transfer.revision_id is not None and not await _withdraw(transfer, inp.reason, session=session):
        return TransferCancelled(False, "Tình trạng hồ sơ đã được thủ trưởng ký phê duyệt; không hủy được.",
                                 "status_change_approved")
    for task in tasks:
        task.status, task.comment = "cancelled", inp.reason
        users = set((await session.execute(select(TaskCandidate.user_id).where(
            TaskCandidate.task_id == task.id))).scalars())
        await notify.notify(user_ids=users, key=f"task{task.id}/cancelled", kind="task",
                            subject=f"Đã hủy: {task.title}",
                            body=f"Nhiệm vụ «{task.title}» không còn phải thực hiện: điều chuyển đã bị hủy "
                                 f"({inp.reason}).", task_id=task.id, session=session)
    transfer.status, transfer.stage, transfer.closed_at, transfer.cancel_reason = "cancelled", "cancelled", now, inp.reason
    await audit.record(actor=inp.actor, action="transfer.cancelled", subject=f"person:{transfer.person_id}",
                       transfer=transfer.id, reason=inp.reason, tasks=[t.id for t in tasks], session=session)
    return TransferCancelled(True, task_ids=[t.id for t in tasks])


def handed_over_message(transfer: Transfer) -> str:
    return (f"Hồ sơ đã được bàn giao sang đơn vị mới ngày {local_date(transfer.handed_over_at):%d/%m/%Y}; "
            "không hủy được điều chuyển. Nếu cần, lập điều chuyển mới.")


async def _withdraw(transfer: Transfer, reason: str, *, session: AsyncSession) -> bool:
    """Take the leaving's revision out of the month's approval; False once the head has approved it. The
    revision is locked first (services/approvals.add_items locks it too), then its batch and the batch's open
    signing task: a signature being applied is waited for (or, in a rare crossing, PostgreSQL ends one of
    the two transactions and its activity tries again)."""
    revision = (await session.execute(select(ProfileRevision).where(ProfileRevision.id == transfer.revision_id)
                                      .with_for_update())).scalars().one()
    item = (await session.execute(select(ApprovalItem).where(ApprovalItem.revision_id == revision.id)
                                  .execution_options(populate_existing=True))).scalars().first()
    if item is not None:
        approval_workflow = (await session.execute(select(Approval.workflow_id).where(
            Approval.id == item.approval_id).with_for_update())).scalar_one()
        await session.execute(select(Task.id).where(Task.workflow_id == approval_workflow, Task.status == "open")
                              .with_for_update())
        item = (await session.execute(select(ApprovalItem).where(ApprovalItem.id == item.id).with_for_update()
                                      .execution_options(populate_existing=True))).scalars().one()
    if revision.status == "approved" or (item is not None and item.decision == "approved"):
        return False
    if revision.status in ("draft", "submitted", "ready"):
        revision.status, revision.review_comment = WITHDRAWN, f"Đã hủy: {reason}"
    if item is not None and item.decision == "pending":
        item.decision, item.reason = WITHDRAWN, f"Đã hủy: {reason}"
    return True


# ---- what the task pages show ------------------------------------------------------------------------

async def facts(transfer: Transfer, *, session: AsyncSession) -> dict[str, Any]:
    names = {}
    for unit_id in (transfer.from_unit_id, transfer.to_unit_id):
        if unit_id is not None:
            names[unit_id] = await unit_label(unit_id, session=session)
    return {
        "transfer": transfer,
        "transfer_kind": TRANSFER_KINDS.get(transfer.kind, transfer.kind),
        "transfer_reason": LEAVING_REASONS.get(transfer.reason, transfer.reason) if transfer.kind == "leaving"
        else transfer.reason,
        "from_unit": names.get(transfer.from_unit_id, ""),
        "to_unit": names.get(transfer.to_unit_id, ""),
        "stage_label": stage_label(transfer.stage),
    }


async def task_context(session: AsyncSession, viewer: Viewer, task: Task, person: Person | None) -> dict[str, Any]:
    transfer = await session.get(Transfer, transfer_id_of(task.workflow_id))
    return await facts(transfer, session=session) if transfer else {}


async def check_context(session: AsyncSession, viewer: Viewer, task: Task, person: Person | None) -> dict[str, Any]:
    """The transfer, and what its revision changes (the new unit in the work history), as the viewer may see it."""
    context = await task_context(session, viewer, task, person)
    revision = (await session.execute(select(ProfileRevision).where(ProfileRevision.person_id == person.id)
                                      .order_by(ProfileRevision.number.desc()).limit(1))).scalars().first() \
        if person else None
    if revision is not None:
        context.update(await revisions.facts(person, revision, viewer=viewer, session=session))
    return context

"""Written delegations (ủy quyền) to sign a unit's monthly approval; expired or revoked ones confer nothing."""
from datetime import UTC, date, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models import Delegation, Task, TaskCandidate, User
from rules.clock import local_date
from services import audit
from services.actors import actor_user_ids, delegate_ids
from services.errors import Forbidden, Invalid, NotFound
from services.scope import Viewer
from workflows.contracts import SignersInput


async def is_head(unit_id: int, user_id: int, *, session: AsyncSession) -> bool:
    """The unit's head, or where it has none, the nearest parent's (the same rule that assigns the task)."""
    return user_id in await actor_user_ids("unit_head", unit_id, None, session=session)


async def valid_delegation(unit_id: int, user_id: int, on: date, *, session: AsyncSession) -> Delegation | None:
    return (await session.execute(select(Delegation).where(
        Delegation.unit_id == unit_id, Delegation.delegate_id == user_id, Delegation.revoked_at.is_(None),
        Delegation.valid_from <= on, Delegation.valid_to >= on).order_by(Delegation.valid_to.desc()))).scalars().first()


async def signing_capacity(session: AsyncSession, unit_id: int, user_id: int, on: date) -> str:
    """In what capacity the user may sign the unit's approval on that day, or Forbidden."""
    if await is_head(unit_id, user_id, session=session):
        return "Thủ trưởng đơn vị"
    delegation = await valid_delegation(unit_id, user_id, on, session=session)
    if delegation is None:
        raise Forbidden("Bạn không phải thủ trưởng và không có văn bản ủy quyền còn hiệu lực cho đơn vị này "
                        "(ủy quyền đã hết hạn hoặc đã bị thu hồi không còn giá trị).", "not_authorised_to_sign")
    return (f"Người được ủy quyền theo văn bản số {delegation.document_no} "
            f"({delegation.valid_from:%d/%m/%Y}–{delegation.valid_to:%d/%m/%Y})")


async def create(viewer: Viewer, *, session: AsyncSession, unit_id: int, delegate_username: str, document_no: str,
                 valid_from: date, valid_to: date, client=None) -> Delegation:
    if not (await is_head(unit_id, viewer.user_id, session=session) or viewer.has("sonoivu_admin")):
        raise Forbidden("Chỉ thủ trưởng đơn vị (hoặc Sở Nội vụ) ghi nhận văn bản ủy quyền.", "forbidden")
    delegate = (await session.execute(select(User).where(User.username == delegate_username))).scalars().first()
    if delegate is None:
        raise Invalid("Không tìm thấy người được ủy quyền.", "unknown_user")
    if delegate.unit_id != unit_id or delegate.id == viewer.user_id:  # a deputy of the same unit
        raise Invalid("Chỉ ủy quyền cho cấp phó của chính đơn vị.", "delegate_not_in_unit")
    if not document_no.strip():
        raise Invalid("Ghi số văn bản ủy quyền.", "missing_document_no")
    if len(document_no.strip()) > 64:
        raise Invalid("Số văn bản ủy quyền ghi tối đa 64 ký tự.", "bad_document_no")
    if valid_to < valid_from:
        raise Invalid("Ngày hết hiệu lực phải sau ngày bắt đầu.", "bad_validity")
    delegation = Delegation(unit_id=unit_id, delegator_id=viewer.user_id, delegate_id=delegate.id,
                            document_no=document_no.strip(), valid_from=valid_from, valid_to=valid_to,
                            created_by=viewer.username)
    session.add(delegation)
    await session.flush()
    await refresh_signers(unit_id, client, session=session)
    await audit.record(actor=viewer.username, action="delegation.created", subject=f"unit:{unit_id}",
                       delegate=delegate.username, document_no=delegation.document_no,
                       valid_from=valid_from.isoformat(), valid_to=valid_to.isoformat(), session=session)
    return delegation


async def refresh_signers(unit_id: int, client=None, *, session: AsyncSession) -> None:
    """Who may sign the unit's open batches changed: the inbox rows and, when a Temporal client
    is given, the workflows' own lists (their Update validators check them)."""
    allowed = {**await delegate_ids(session, unit_id, local_date(datetime.now(UTC))),
               **await actor_user_ids("unit_head", unit_id, None, session=session)}
    open_tasks = (await session.execute(select(Task).where(
        Task.unit_id == unit_id, Task.kind == "sign_approval", Task.status == "open"))).scalars().all()
    for task in open_tasks:
        await session.execute(delete(TaskCandidate).where(
            TaskCandidate.task_id == task.id, TaskCandidate.can_complete, TaskCandidate.user_id.not_in(allowed)))
        for user_id, reason in allowed.items():
            await session.execute(insert(TaskCandidate).values(
                task_id=task.id, user_id=user_id, can_complete=True, reason=reason).on_conflict_do_nothing())
        if client is not None:
            await client.get_workflow_handle(task.workflow_id).signal(
                "signers_changed", SignersInput(task_id=task.id, user_ids=sorted(allowed)))


async def revoke(viewer: Viewer, delegation_id: int, client=None, *, session: AsyncSession) -> Delegation:
    delegation = await session.get(Delegation, delegation_id)
    if delegation is None:
        raise NotFound("Không tìm thấy văn bản ủy quyền.", "delegation_not_found")
    if not (await is_head(delegation.unit_id, viewer.user_id, session=session) or viewer.has("sonoivu_admin")):
        raise Forbidden("Chỉ thủ trưởng đơn vị (hoặc Sở Nội vụ) thu hồi ủy quyền.", "forbidden")
    if delegation.revoked_at is None:
        delegation.revoked_at, delegation.revoked_by = datetime.now(UTC), viewer.username
        await session.flush()
        await refresh_signers(delegation.unit_id, client, session=session)
        await audit.record(actor=viewer.username, action="delegation.revoked",
                           subject=f"delegation:{delegation.id}", session=session)
    return delegation


async def of_unit(unit_id: int, *, session: AsyncSession) -> list[Delegation]:
    query = select(Delegation).where(Delegation.unit_id == unit_id).order_by(Delegation.created_at.desc())
    return list((await session.execute(query)).scalars())

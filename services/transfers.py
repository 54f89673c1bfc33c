"""Moves between units, arrivals and leavings: the request, its checks, and its workflow.

One open transfer (or leaving) per person at a time: checked here and held by the partial unique
index `uq_transfers_open_person`. The workflow (`transfer/{id}`: workflows/transfer.py, or
workflows/arrival.py for an arrival) does the steps; the record changes unit at the handover. `cancel`
asks the workflow (Update `cancel_transfer`), whose activity closes the open tasks; the transfer's stage
(services/moves.STAGES) is kept current by the workflow.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from models import Person, ProfileRevision, Transfer, Unit
from models.transfers import LEAVING_REASONS, TRANSFER_KINDS, TRANSFER_STATUSES
from rules.profiles import get_profile
from services import audit, moves, org, people, permissions
from services.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from services.onboarding import cancel_if_not_saved
from services.scope import Viewer, readable_person
from services.moves import STAGES, stage_label  # noqa: F401 - the stages' labels, for the pages
from workflows.contracts import TransferCancelInput, TransferCancelled, TransferInput

MAX_DECISION_NO = 64
MAX_REASON = 255
AHEAD_DAYS = 366  # a decision (a retirement's, 3 months ahead) may take effect later than it is registered
WORKFLOW_TYPES = {"internal": "Transfer", "intra_province": "Transfer", "leaving": "Transfer", "arrival": "Arrival"}
# the revision statuses of a change still under way (services/updates.OPEN_STATUSES)
OPEN_REVISION_STATUSES = ("draft", "submitted", "returned", "ready", "returned_by_head")


def workflow_id(transfer_id: int) -> str:
    return f"transfer/{transfer_id}"


@dataclass
class ArrivingPerson:
    """Who arrives from a ministry or another province: the identity the receiving unit registers."""
    full_name: str
    sex: str
    date_of_birth: date
    citizen_id: str
    kind: str
    email: str | None = None


@dataclass
class TransferRequest:
    kind: str
    person_id: int | None
    to_unit_id: int | None
    reason: str
    decision_no: str
    effective_on: date
    paper_file_on: date | None = None
    person: ArrivingPerson | None = None  # an arrival's identity, when the person has no record yet


async def agency_of(unit_id: int, *, session: AsyncSession) -> int:
    """The agency a unit belongs to: itself, or the nearest unit above that is not a department (phòng)."""
    for ancestor in await org.ancestors(unit_id, session=session):
        unit = await session.get(Unit, ancestor)
        if unit.kind != "phong":
            return unit.id
    return unit_id


async def open_transfer_of(person_id: int, *, session: AsyncSession) -> Transfer | None:
    return (await session.execute(select(Transfer).where(
        Transfer.person_id == person_id, Transfer.status == "open"))).scalars().first()


def _check_request(req: TransferRequest, today: date) -> None:
    if req.kind not in TRANSFER_KINDS:
        raise Invalid(f"Loại điều chuyển phải là một trong: {', '.join(TRANSFER_KINDS)}.", "bad_kind")
    decision_no = (req.decision_no or "").strip()
    if not decision_no:
        raise Invalid("Ghi số quyết định (văn bản) làm căn cứ.", "missing_decision_no")
    if len(decision_no) > MAX_DECISION_NO:
        raise Invalid(f"Số quyết định ghi tối đa {MAX_DECISION_NO} ký tự.", "bad_decision_no")
    if len((req.reason or "").strip()) > MAX_REASON:
        raise Invalid(f"Lý do ghi tối đa {MAX_REASON} ký tự.", "bad_reason")
    if req.kind == "leaving":
        if req.to_unit_id is not None:
            raise Invalid("Nghỉ hưu, thôi việc, chuyển ra ngoài không có đơn vị đến; bỏ trống đơn vị đến.",
                          "to_unit_not_allowed")
        if req.reason not in LEAVING_REASONS:
            raise Invalid("Lý do phải là một trong: " + "; ".join(f"{k} ({v})" for k, v in LEAVING_REASONS.items())
                          + ".", "bad_reason")
    else:
        if req.to_unit_id is None:
            raise Invalid("Chọn đơn vị đến.", "missing_to_unit")
        if not (req.reason or "").strip():
            raise Invalid("Ghi lý do điều chuyển.", "missing_reason")
    if req.effective_on > today + timedelta(days=AHEAD_DAYS):
        raise Invalid("Ngày văn bản có hiệu lực quá xa trong tương lai.", "bad_effective_on")
    if req.paper_file_on is not None and not req.effective_on - timedelta(days=AHEAD_DAYS) <= req.paper_file_on <= today:
        raise Invalid("Ngày có hồ sơ giấy hợp lệ không hợp lệ.", "bad_paper_file_on")


async def _destination(req: TransferRequest, session: AsyncSession) -> Unit | None:
    if req.to_unit_id is None:
        return None
    unit = await session.get(Unit, req.to_unit_id) if 1 <= req.to_unit_id <= people.MAX_ID else None
    if unit is None:
        raise Invalid("Đơn vị đến không tồn tại.", "unknown_unit")
    if unit.successor_id is not None or (unit.valid_to is not None and unit.valid_to < req.effective_on):
        raise Invalid(f"Đơn vị «{unit.name}» đã giải thể hoặc sáp nhập, không còn tiếp nhận hồ sơ.", "unit_closed")
    return unit


async def _check_move(viewer: Viewer, req: TransferRequest, person: Person, to: Unit | None,
                      session: AsyncSession) -> None:
    if person.status == "archived":
        raise Conflict("Hồ sơ đã lưu trữ (người đã nghỉ hưu, thôi việc hoặc chuyển đi) không điều chuyển được.",
                       "person_archived")
    if not (permissions.is_hr_of(viewer, person.unit_id) or viewer.has("sonoivu_admin")
            or any(viewer.has_at("unit_hr", u) for u in (await org.ancestors(person.unit_id, session=session))[1:])):
        raise Forbidden("Chỉ cán bộ tổ chức quản lý người này hoặc Sở Nội vụ lập điều chuyển.", "forbidden")
    if req.effective_on < person.hired_on:
        raise Invalid(f"Ngày văn bản có hiệu lực trước ngày tuyển dụng ({person.hired_on:%d/%m/%Y}).",
                      "bad_effective_on")
    if to is not None:
        if to.id == person.unit_id:
            raise Invalid("Đơn vị đến trùng với đơn vị hiện tại.", "same_unit")
        same_agency = await agency_of(to.id, session=session) == await agency_of(person.unit_id, session=session)
        if req.kind == "internal" and not same_agency:
            raise Invalid("Đơn vị đến thuộc cơ quan khác; chọn «điều động, chuyển công tác trong tỉnh».",
                          "not_same_agency")
        if req.kind == "intra_province" and same_agency:
            raise Invalid("Đơn vị đến thuộc cùng cơ quan; chọn «điều chuyển trong cùng cơ quan».", "same_agency")
    if person.current_revision_id is None:  # the record is still being made: finish the onboarding first
        raise Conflict("Hồ sơ chưa được phê duyệt lần đầu; hoàn thành quy trình tiếp nhận trước.", "not_approved_yet")
    await _refuse_open_work(person, session)


async def _refuse_open_work(person: Person, session: AsyncSession) -> None:
    existing = await open_transfer_of(person.id, session=session)
    if existing is not None:
        raise Conflict(f"Người này đang có {TRANSFER_KINDS[existing.kind].lower()} chưa hoàn tất (số {existing.id}); "
                       "hoàn tất hoặc hủy trước khi lập mới.", "transfer_in_progress",
                       transfer_id=existing.id, workflow_id=existing.workflow_id)
    update = (await session.execute(select(ProfileRevision).where(
        ProfileRevision.person_id == person.id, ProfileRevision.kind.in_(("update_personal", "update_state_decision")),
        ProfileRevision.status.in_(OPEN_REVISION_STATUSES)))).scalars().first()
    if update is not None:
        raise Conflict(f"Đang có bản cập nhật số {update.number} chưa được phê duyệt; hoàn thành bản đó trước.",
                       "update_in_progress", revision_id=update.id, workflow_id=update.workflow_id)


async def _arriving_person(viewer: Viewer, req: TransferRequest, to: Unit, session: AsyncSession,
                           profile_name: str, today: date) -> Person:
    if req.person_id is not None:
        person = await readable_person(viewer, req.person_id, session=session)
        raise Conflict("Người này đã có hồ sơ trong tỉnh; dùng «điều động, chuyển công tác trong tỉnh».",
                       "person_exists", person_id=person.id)
    if req.person is None:
        raise Invalid("Nhập thông tin nhận dạng của người chuyển đến (họ tên, giới tính, ngày sinh, số CCCD, loại).",
                      "missing_person")
    p = req.person
    return await people.register_hire(viewer, people.HireInput(
        full_name=p.full_name, sex=p.sex, date_of_birth=p.date_of_birth, citizen_id=p.citizen_id, unit_id=to.id,
        hired_on=req.effective_on, kind=p.kind, email=p.email), profile_name=profile_name, today=today,
        session=session)


async def start(client: Client, task_queue: str, session: AsyncSession, viewer: Viewer, req: TransferRequest, *,
               profile_name: str, today: date) -> Transfer:
    """Check the request, store it and start its workflow, as one step: nothing half-saved."""
    permissions.require(viewer, permissions.STARTS_TRANSFERS)
    _check_request(req, today)
    to = await _destination(req, session)
    if req.kind == "arrival":
        person = await _arriving_person(viewer, req, to, session, profile_name, today)
        from_unit_id = None
    else:
        if req.person_id is None:
            raise Invalid("Chọn người được điều chuyển.", "missing_person")
        person = await readable_person(viewer, req.person_id, session=session)
        await _check_move(viewer, req, person, to, session)
        from_unit_id = person.unit_id
    profile = get_profile(person.profile, on=max(req.effective_on, person.hired_on))
    transfer = Transfer(
        person_id=person.id, kind=req.kind, from_unit_id=from_unit_id, to_unit_id=to.id if to else None,
        reason=(req.reason or "").strip(), decision_no=req.decision_no.strip(), effective_on=req.effective_on,
        paper_file_on=req.paper_file_on, profile=profile.name, profile_version=profile.version,
        created_by_id=viewer.user_id)
    try:
        async with session.begin_nested():  # a concurrent request for the same person may win the index
            session.add(transfer)
            await session.flush()
    except IntegrityError:
        await _refuse_open_work(person, session)
        raise
    transfer.workflow_id = workflow_id(transfer.id)
    await audit.record(actor=viewer.username, action=f"transfer.{req.kind}.opened", subject=f"person:{person.id}",
                       transfer=transfer.id, to_unit_id=transfer.to_unit_id, reason=transfer.reason,
                       decision_no=transfer.decision_no, effective_on=req.effective_on.isoformat(), session=session)
    await session.flush()
    await _start(client, task_queue, session, transfer, person)
    return transfer


async def _start(client: Client, task_queue: str, session: AsyncSession, transfer: Transfer, person: Person) -> None:
    inp = TransferInput(
        transfer_id=transfer.id, person_id=person.id, unit_id=person.unit_id, kind=transfer.kind,
        to_unit_id=transfer.to_unit_id, profile=transfer.profile, profile_version=transfer.profile_version,
        effective_on=transfer.effective_on.isoformat(),
        paper_file_on=transfer.paper_file_on.isoformat() if transfer.paper_file_on else None)
    try:
        await client.start_workflow(WORKFLOW_TYPES[transfer.kind], inp, id=transfer.workflow_id,
                                    task_queue=task_queue, id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
    except RPCError as err:
        raise Unavailable("Hệ thống quy trình tạm thời không phản hồi; chưa có gì được lưu, vui lòng thử lại.",
                          "workflow_unavailable") from err
    cancel_if_not_saved(client, session, transfer.workflow_id)


def transfers_query(viewer: Viewer):
    """The transfers this viewer may read: of people in scope, or from or to a unit in scope."""
    query = select(Transfer)
    if viewer.unit_scope is None:
        return query
    units = viewer.unit_scope or {-1}
    conditions = [Transfer.from_unit_id.in_(units), Transfer.to_unit_id.in_(units)]
    if viewer.person_id is not None:
        conditions.append(Transfer.person_id == viewer.person_id)
    return query.where(or_(*conditions))


async def readable_transfer(viewer: Viewer, transfer_id: int, *, session: AsyncSession) -> Transfer:
    transfer = (await session.execute(transfers_query(viewer).where(Transfer.id == transfer_id))).scalars().first()
    if transfer is None:
        raise NotFound("Không tìm thấy điều chuyển hoặc điều chuyển nằm ngoài phạm vi của bạn.", "transfer_not_found")
    return transfer


async def in_progress(viewer: Viewer, *, session: AsyncSession, status: str = "open") -> list[Transfer]:
    query = transfers_query(viewer)
    if status != "all":
        query = query.where(Transfer.status == status)
    return list((await session.execute(query.order_by(Transfer.created_at.desc(), Transfer.id.desc()))).scalars())


async def cancel(client: Client, session: AsyncSession, viewer: Viewer, transfer_id: int, reason: str) -> Transfer:
    """Cancel a transfer before its handover (a leaving: before its status change is approved): its open tasks
    close as cancelled and the record stays where it was. HR of the unit the record is at, or Sở Nội vụ."""
    transfer = await readable_transfer(viewer, transfer_id, session=session)
    own_unit = transfer.from_unit_id or transfer.to_unit_id
    if viewer.read_only or not (permissions.is_hr_of(viewer, own_unit) or viewer.has("sonoivu_admin")):
        raise Forbidden("Chỉ cán bộ tổ chức của đơn vị đang quản lý hồ sơ hoặc Sở Nội vụ được hủy điều chuyển.",
                        "forbidden")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Ghi lý do hủy.", "missing_reason")
    if len(reason) > MAX_REASON:
        raise Invalid(f"Lý do hủy ghi tối đa {MAX_REASON} ký tự.", "bad_reason")
    if transfer.status != "open":
        raise Conflict(f"Điều chuyển số {transfer.id} {TRANSFER_STATUSES[transfer.status].lower()}; không hủy được.",
                       f"transfer_{transfer.status}")
    if transfer.kind == "arrival":  # the arriving person's record is registered: it is completed, not cancelled
        raise Conflict("Tiếp nhận người chuyển đến không hủy được: hồ sơ của người này đã được đăng ký. Nếu đăng ký "
                       "nhầm, đề nghị Sở Nội vụ xử lý.", "arrival_not_cancellable")
    if transfer.handed_over_at is not None:
        raise Conflict(moves.handed_over_message(transfer), "transfer_handed_over")
    request = TransferCancelInput(transfer_id=transfer.id, reason=reason, actor=viewer.username)
    handle = client.get_workflow_handle(transfer.workflow_id)
    await session.rollback()  # end the read transaction: the workflow's activity writes in its own
    try:
        result = await handle.execute_update(
            "cancel_transfer", request, result_type=TransferCancelled)
    except WorkflowUpdateFailedError as err:
        raise _refusal(err) from err
    except RPCError as err:
        raise Conflict("Quy trình của điều chuyển này đã kết thúc hoặc không phản hồi.", "workflow_unavailable") from err
    if not result.cancelled:
        raise Conflict(result.message or "Không hủy được điều chuyển.", result.code or "not_cancelled")
    return await session.get(Transfer, transfer_id, populate_existing=True)


def _refusal(err: WorkflowUpdateFailedError) -> Conflict:
    cause = err.cause
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.cause
    details = cause.details[0] if cause is not None and cause.details and isinstance(cause.details[0], dict) else {}
    return Conflict(cause.message if cause is not None else "Không hủy được điều chuyển.",
                    details.get("code") or "not_cancelled")

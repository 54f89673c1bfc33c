"""Transfers between units, arrivals from outside the province and leavings (issue 6, cases 1 to 5): start one,
list those in scope, read one with its steps, cancel one."""
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import Field

from api.deps import CurrentUser, SessionDep, StateDep, TemporalDep
from api.params import IdField, IdPath
from api.schemas import Body, TransferDetail, TransferStarted, TransferView, errors
from api.views import task_view
from models.transfers import LEAVING_REASONS
from rules.clock import local_date
from services import tasks, transfer_info, transfers
from services.transfer_info import TransferInfo

router = APIRouter(prefix="/api", tags=["transfers"], responses=errors(401, 403, 404, 409, 422, 503))

# dates a person's record can hold: beyond them the checks' own date arithmetic would overflow
EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)
Day = Annotated[date, Field(ge=EARLIEST, le=LATEST)]
REASONS_DOC = ("For a leaving, one of: " + "; ".join(f"`{key}` ({label})" for key, label in LEAVING_REASONS.items())
               + ". For a move or an arrival, the reason in words (required).")


class ArrivingPersonBody(Body):
    """Who arrives from a ministry or another province: the identity the receiving unit registers."""
    full_name: str = Field(max_length=255)
    sex: Literal["nam", "nu"]
    date_of_birth: Day
    citizen_id: str = Field(max_length=12)
    kind: Literal["can_bo", "cong_chuc", "vien_chuc", "hop_dong"]
    email: str | None = Field(default=None, max_length=255)


class TransferBody(Body):
    person_id: IdField | None = Field(default=None, description="The person moved or leaving; null for an arrival")
    kind: Literal["internal", "intra_province", "arrival", "leaving"] = Field(
        description="internal: to another department of the same agency; intra_province: to another unit of the "
                    "province; arrival: from a ministry or another province; leaving: out of the service")
    to_unit_id: IdField | None = Field(default=None, description="The receiving unit; null for a leaving")
    reason: str = Field(max_length=255, description=REASONS_DOC)
    decision_no: str = Field(max_length=64, description="The decision the move or leaving rests on")
    effective_on: Day = Field(description="The day the decision takes effect (an arrival's day of hire)")
    paper_file_on: Day | None = Field(default=None, description="When a valid paper file arrived, where the "
                                                                "profile counts from it (Kon Tum Đ10.2)")
    person: ArrivingPersonBody | None = Field(default=None, description="An arrival's identity; null otherwise")


class CancelBody(Body):
    reason: str = Field(max_length=255, description="Why the transfer is cancelled")


def transfer_view(info: TransferInfo) -> TransferView:
    t = info.transfer
    return TransferView(
        id=t.id, person_id=t.person_id, full_name=info.full_name, kind=t.kind, kind_label=info.kind_label,
        from_unit_id=t.from_unit_id, from_unit=info.from_unit, to_unit_id=t.to_unit_id, to_unit=info.to_unit,
        reason=t.reason, reason_label=info.reason_label, decision_no=t.decision_no, effective_on=t.effective_on,
        paper_file_on=t.paper_file_on, status=t.status, status_label=info.status_label, stage=t.stage,
        stage_label=info.stage_label, workflow_id=t.workflow_id,
        current_task_id=info.current_task.id if info.current_task else None, created_at=t.created_at,
        handed_over_at=t.handed_over_at, closed_at=t.closed_at, cancel_reason=t.cancel_reason)


def request_of(body: TransferBody) -> transfers.TransferRequest:
    arriving = (transfers.ArrivingPerson(**body.person.model_dump()) if body.person is not None else None)
    return transfers.TransferRequest(
        kind=body.kind, person_id=body.person_id, to_unit_id=body.to_unit_id, reason=body.reason,
        decision_no=body.decision_no, effective_on=body.effective_on, paper_file_on=body.paper_file_on,
        person=arriving)


@router.post("/transfers", status_code=201)
async def start_transfer(body: TransferBody, viewer: CurrentUser, session: SessionDep, state: StateDep,
                         client: TemporalDep) -> TransferStarted:
    """Register a move, an arrival or a leaving and start its workflow (`transfer/{id}`). Refused with 409 while
    the person has another open transfer or update, or when the record is archived; 422 for a move to the same
    unit, to a unit that was merged or dissolved, an effective date before the hire, a leaving with a unit."""
    transfer = await transfers.start(client, state.task_queue, session, viewer, request_of(body),
                                     profile_name=state.settings.profile, today=local_date(datetime.now(UTC)))
    return TransferStarted(transfer_id=transfer.id, workflow_id=transfer.workflow_id)


@router.get("/transfers")
async def list_transfers(viewer: CurrentUser, session: SessionDep,
                         status: Literal["open", "done", "cancelled", "all"] = "open") -> list[TransferView]:
    """The transfers in the caller's scope: of its units (sending or receiving) or of the caller themself."""
    return [transfer_view(info) for info in await transfer_info.listed(viewer, status, session=session)]


async def _detail(viewer, transfer_id: int, session) -> TransferDetail:
    info = await transfer_info.one(viewer, transfer_id, session=session)
    steps = await transfer_info.steps(info.transfer, session=session)
    names = await tasks.assignee_names([t.id for t in steps], session=session)
    return TransferDetail(**dict(transfer_view(info)), tasks=[task_view(t, names.get(t.id, [])) for t in steps])


@router.get("/transfers/{transfer_id}")
async def get_transfer(transfer_id: IdPath, viewer: CurrentUser, session: SessionDep) -> TransferDetail:
    return await _detail(viewer, transfer_id, session)


@router.post("/transfers/{transfer_id}/cancel")
async def cancel_transfer(transfer_id: IdPath, body: CancelBody, viewer: CurrentUser, session: SessionDep,
                          client: TemporalDep) -> TransferDetail:
    """Cancel before the handover (a leaving: before its approval): the record stays where it was."""
    await transfers.cancel(client, session, viewer, transfer_id, body.reason)
    return await _detail(viewer, transfer_id, session)

"""The pages of transfers, arrivals and leavings (issue 6): the forms on a person's page («Điều động / chuyển công
tác», «Nghỉ hưu / thôi việc»), the arrival form, the transfers in progress, and a transfer's steps with its cancel.

Each form is a plain POST with the session's CSRF token; a refusal shows its Vietnamese message on the same form
with what was typed kept, and nothing is stored (the request's unit of work is rolled back)."""
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request

from api.deps import CurrentUser, SessionDep, StateDep, TemporalDep
from api.params import IdPath, id_of
from models import Person
from models.people import PERSON_KINDS
from models.transfers import LEAVING_REASONS, TRANSFER_KINDS, TRANSFER_STATUSES
from services import archive, cv, org, permissions, tasks, transfer_info, transfers
from services.errors import DomainError, Invalid
from services.scope import Viewer, readable_person
from ui.formats import vn_today
from ui.web import check_csrf, flash, redirect, render

router = APIRouter(include_in_schema=False)
MOVE_KINDS = {kind: TRANSFER_KINDS[kind] for kind in ("internal", "intra_province")}
LIST_STATUSES = {"open": "Đang thực hiện", "done": "Đã hoàn tất", "cancelled": "Đã hủy", "all": "Tất cả"}
MOVE_FIELDS = ("kind", "to_unit_id", "reason", "decision_no", "effective_on", "paper_file_on")
LEAVING_FIELDS = ("reason", "decision_no", "effective_on")
ARRIVAL_FIELDS = ("full_name", "sex", "date_of_birth", "citizen_id", "person_kind", "email", "to_unit_id", "reason",
                  "decision_no", "effective_on", "paper_file_on")


def may_start(viewer: Viewer) -> bool:
    """HR and Sở Nội vụ's administrator register moves, arrivals and leavings (permissions.STARTS_TRANSFERS)."""
    return not viewer.read_only and permissions.may(viewer, permissions.STARTS_TRANSFERS)


def may_move(viewer: Viewer, person: Person) -> bool:
    """The buttons on a person's page: an approved, not archived record, for its HR (or above) or Sở Nội vụ."""
    return (may_start(viewer) and not archive.is_archived(person) and person.current_revision_id is not None
            and (permissions.is_hr_of(viewer, person.unit_id) or viewer.has("sonoivu_admin")))


def may_cancel(viewer: Viewer, transfer) -> bool:
    own_unit = transfer.from_unit_id or transfer.to_unit_id
    return (transfer.status == "open" and transfer.handed_over_at is None and not viewer.read_only
            and (permissions.is_hr_of(viewer, own_unit) or viewer.has("sonoivu_admin")))


async def person_box(viewer: Viewer, person: Person, *, session) -> dict[str, Any]:
    """What a person's page shows of transfers (ui/templates/transfers/_person.html): the archive's note, the open
    transfer, and the buttons to the forms."""
    current = await transfers.open_transfer_of(person.id, session=session)
    info = None
    if current is not None:
        try:
            info = await transfer_info.one(viewer, current.id, session=session)
        except DomainError:  # a transfer outside what this viewer may read: only the buttons go
            info = None
    return {"archived": archive.is_archived(person), "archived_reason": archive.reason_label(person),
            "open_transfer": info, "may_move": may_move(viewer, person) and current is None}


# ---- form values ------------------------------------------------------------------------------

def _date(value: str, label: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{label} không hợp lệ (nhập ngày/tháng/năm).", "bad_date") from None


def _optional_date(value: str, label: str) -> date | None:
    return _date(value, label) if value else None


def _unit(value: str) -> int:
    unit_id = id_of(value)
    if unit_id is None:
        raise Invalid("Chọn đơn vị đến.", "missing_to_unit")
    return unit_id


def _values(form, names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(form.get(name) or "").strip() for name in names}


def open_units(units, today: date, *, besides: int | None = None) -> list:
    """Units that still take records (not merged, not dissolved by today), other than `besides`."""
    return [u for u in units if u.successor_id is None and (u.valid_to is None or u.valid_to >= today)
            and u.id != besides]


async def _start(request: Request, session, state, client, viewer: Viewer, req: transfers.TransferRequest):
    transfer = await transfers.start(client, state.task_queue, session, viewer, req,
                                     profile_name=state.settings.profile, today=vn_today())
    flash(request, f"Đã lập {TRANSFER_KINDS[transfer.kind].lower()} số {transfer.id}; quy trình đã bắt đầu.")
    return redirect(f"/transfers/{transfer.id}")


# ---- a person's move --------------------------------------------------------------------------

async def move_form(request: Request, session, viewer: Viewer, person: Person, values: dict, *,
                    status_code: int = 200, error: str | None = None, existing_id: int | None = None):
    today = vn_today()
    units = open_units(await org.units_in(None, session=session), today, besides=person.unit_id)
    return await render(
        request, "transfers/move.html", status_code=status_code, viewer=viewer, person=person, values=values,
        unit=(await org.unit_names(session=session)).get(person.unit_id, ""), units=units, kinds=MOVE_KINDS,
        paper_file=transfer_info.counts_from_paper_file(person.profile, today), error=error, existing_id=existing_id)


@router.get("/people/{person_id}/transfers/new")
async def new_move(person_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep):
    permissions.require(viewer, permissions.STARTS_TRANSFERS)
    person = await readable_person(viewer, person_id, session=session)
    archive.refuse_archived(person)
    values = {"kind": "intra_province", "effective_on": vn_today().isoformat()}
    return await move_form(request, session, viewer, person, values)


@router.post("/people/{person_id}/transfers/new", dependencies=[Depends(check_csrf)])
async def start_move(person_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep,
                     state: StateDep, client: TemporalDep):
    values = _values(await request.form(), MOVE_FIELDS)
    try:
        req = transfers.TransferRequest(
            kind=values["kind"] if values["kind"] in MOVE_KINDS else "intra_province", person_id=person_id,
            to_unit_id=_unit(values["to_unit_id"]), reason=values["reason"], decision_no=values["decision_no"],
            effective_on=_date(values["effective_on"], "Ngày văn bản có hiệu lực"),
            paper_file_on=_optional_date(values["paper_file_on"], "Ngày có hồ sơ giấy hợp lệ"))
        return await _start(request, session, state, client, viewer, req)
    except DomainError as err:
        await session.rollback()
        person = await readable_person(viewer, person_id, session=session)
        return await move_form(request, session, viewer, person, values, status_code=err.status, error=err.message,
                               existing_id=err.extra.get("transfer_id"))


# ---- a person's leaving -----------------------------------------------------------------------

async def leaving_form(request: Request, session, viewer: Viewer, person: Person, values: dict, *,
                       status_code: int = 200, error: str | None = None, existing_id: int | None = None):
    return await render(
        request, "transfers/leaving.html", status_code=status_code, viewer=viewer, person=person, values=values,
        unit=(await org.unit_names(session=session)).get(person.unit_id, ""), reasons=LEAVING_REASONS,
        error=error, existing_id=existing_id)


@router.get("/people/{person_id}/leaving/new")
async def new_leaving(person_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep):
    permissions.require(viewer, permissions.STARTS_TRANSFERS)
    person = await readable_person(viewer, person_id, session=session)
    archive.refuse_archived(person)
    return await leaving_form(request, session, viewer, person, {"effective_on": vn_today().isoformat()})


@router.post("/people/{person_id}/leaving/new", dependencies=[Depends(check_csrf)])
async def start_leaving(person_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep,
                        state: StateDep, client: TemporalDep):
    values = _values(await request.form(), LEAVING_FIELDS)
    try:
        if not values["reason"]:
            raise Invalid("Chọn lý do nghỉ.", "bad_reason")
        req = transfers.TransferRequest(
            kind="leaving", person_id=person_id, to_unit_id=None, reason=values["reason"],
            decision_no=values["decision_no"], effective_on=_date(values["effective_on"], "Ngày văn bản có hiệu lực"))
        return await _start(request, session, state, client, viewer, req)
    except DomainError as err:
        await session.rollback()
        person = await readable_person(viewer, person_id, session=session)
        return await leaving_form(request, session, viewer, person, values, status_code=err.status,
                                  error=err.message, existing_id=err.extra.get("transfer_id"))


# ---- an arrival -------------------------------------------------------------------------------

async def arrival_form(request: Request, session, viewer: Viewer, state, values: dict, *, status_code: int = 200,
                       error: str | None = None, existing_id: int | None = None):
    today = vn_today()
    units = open_units(await org.units_in(None if viewer.has("sonoivu_admin") else viewer.unit_scope,
                                          session=session), today)
    return await render(
        request, "transfers/arrival.html", status_code=status_code, viewer=viewer, values=values, units=units,
        kinds=PERSON_KINDS, sexes=cv.SEX, paper_file=transfer_info.counts_from_paper_file(state.settings.profile, today),
        error=error, existing_id=existing_id)


@router.get("/transfers/arrival/new")
async def new_arrival(request: Request, viewer: CurrentUser, session: SessionDep, state: StateDep):
    permissions.require(viewer, permissions.STARTS_TRANSFERS)
    values = {"person_kind": "cong_chuc", "effective_on": vn_today().isoformat(),
              "to_unit_id": str(viewer.unit_id or "") if viewer.has("unit_hr") else ""}
    return await arrival_form(request, session, viewer, state, values)


@router.post("/transfers/arrival/new", dependencies=[Depends(check_csrf)])
async def start_arrival(request: Request, viewer: CurrentUser, session: SessionDep, state: StateDep,
                        client: TemporalDep):
    values = _values(await request.form(), ARRIVAL_FIELDS)
    try:
        arriving = transfers.ArrivingPerson(
            full_name=values["full_name"], sex=values["sex"],
            date_of_birth=_date(values["date_of_birth"], "Ngày sinh"), citizen_id=values["citizen_id"],
            kind=values["person_kind"], email=values["email"] or None)
        req = transfers.TransferRequest(
            kind="arrival", person_id=None, to_unit_id=_unit(values["to_unit_id"]), reason=values["reason"],
            decision_no=values["decision_no"], effective_on=_date(values["effective_on"], "Ngày tiếp nhận"),
            paper_file_on=_optional_date(values["paper_file_on"], "Ngày có hồ sơ giấy hợp lệ"), person=arriving)
        return await _start(request, session, state, client, viewer, req)
    except DomainError as err:
        await session.rollback()  # the arriving person's row goes with the refusal
        return await arrival_form(request, session, viewer, state, values, status_code=err.status,
                                  error=err.message, existing_id=err.extra.get("person_id"))


# ---- transfers in progress and one transfer ---------------------------------------------------

@router.get("/transfers")
async def transfers_page(request: Request, viewer: CurrentUser, session: SessionDep, status: str = "open"):
    if status not in LIST_STATUSES:
        status = "open"
    return await render(request, "transfers/index.html", viewer=viewer, status=status, statuses=LIST_STATUSES,
                        rows=await transfer_info.listed(viewer, status, session=session),
                        may_start=may_start(viewer))


async def transfer_page(request: Request, session, viewer: Viewer, transfer_id: int, *, status_code: int = 200,
                        error: str | None = None, values: dict | None = None):
    info = await transfer_info.one(viewer, transfer_id, session=session)
    steps = await transfer_info.steps(info.transfer, session=session)
    names = await tasks.assignee_names([t.id for t in steps], session=session)
    return await render(
        request, "transfers/detail.html", status_code=status_code, viewer=viewer, info=info, t=info.transfer,
        steps=[(task, names.get(task.id, [])) for task in steps], statuses=TRANSFER_STATUSES,
        may_cancel=may_cancel(viewer, info.transfer), error=error, values=values or {})


@router.get("/transfers/{transfer_id}")
async def show_transfer(transfer_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep):
    return await transfer_page(request, session, viewer, transfer_id)


@router.post("/transfers/{transfer_id}/cancel", dependencies=[Depends(check_csrf)])
async def cancel_transfer(transfer_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep,
                          client: TemporalDep):
    values = _values(await request.form(), ("cancel_reason",))
    try:
        await transfers.cancel(client, session, viewer, transfer_id, values["cancel_reason"])
    except DomainError as err:
        await session.rollback()
        return await transfer_page(request, session, viewer, transfer_id, status_code=err.status, error=err.message,
                                   values=values)
    flash(request, f"Đã hủy điều chuyển số {transfer_id}; hồ sơ giữ nguyên ở đơn vị hiện tại.")
    return redirect(f"/transfers/{transfer_id}")

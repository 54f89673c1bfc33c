"""The pages of unit mergers: the list with Sở Nội vụ's form (old unit, successor, date, decision) and the progress
of one merger, which reloads itself (a meta refresh, no JavaScript) while people are being moved."""
from datetime import UTC, date, datetime

from fastapi import APIRouter, Depends, Request

from api.deps import CurrentUser, SessionDep, StateDep, TemporalDep
from api.params import IdPath, id_of
from models.org import UNIT_KINDS
from models.transfers import MERGER_STATUSES
from rules.clock import local_date
from services import mergers, org, permissions
from services.errors import DomainError, Invalid
from services.scope import Viewer
from ui.web import check_csrf, flash, redirect, render

router = APIRouter(include_in_schema=False)
FIELDS = ("from_unit_id", "to_unit_id", "effective_on", "decision_no")
REFRESH_SECONDS = 3
WAITING_REFRESH_SECONDS = 60  # before the effective date nothing moves


def _unit_id(value: str, label: str) -> int:
    """An id chosen in the form: ASCII digits (api/params.id_of), within PostgreSQL's integer."""
    value = (value or "").strip()
    if not value:
        raise Invalid(f"Chọn {label}.", "missing_unit")
    unit_id = id_of(value)
    if unit_id is None:
        raise Invalid(f"{label.capitalize()} không hợp lệ.", "bad_id")
    return unit_id


def _day(value: str) -> date:
    """dd/mm/yyyy as typed, or yyyy-mm-dd from a date field."""
    value = (value or "").strip()
    if not value:
        raise Invalid("Nhập ngày quyết định có hiệu lực.", "missing_effective_on")
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise Invalid("Ngày quyết định có hiệu lực không hợp lệ (nhập ngày/tháng/năm).", "bad_effective_on")


async def list_page(request: Request, session, viewer: Viewer, *, status_code: int = 200, error: str | None = None,
                    values: dict | None = None):
    return await render(
        request, "mergers/index.html", status_code=status_code, viewer=viewer, active="mergers",
        mergers=await mergers.list_mergers(viewer, session=session), names=await org.unit_names(session=session),
        statuses=MERGER_STATUSES, tree=await mergers.units_for_choice(session=session), kinds=UNIT_KINDS,
        closed=mergers.closed, may_start=permissions.may(viewer, permissions.ADMINISTERS), error=error,
        values=values or {}, today=local_date(datetime.now(UTC)))


@router.get("/mergers")
async def index(request: Request, viewer: CurrentUser, session: SessionDep):
    return await list_page(request, session, viewer)


@router.post("/mergers", dependencies=[Depends(check_csrf)])
async def start(request: Request, viewer: CurrentUser, session: SessionDep, state: StateDep, client: TemporalDep):
    permissions.require(viewer, permissions.ADMINISTERS)
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in FIELDS}
    try:
        merger = await mergers.start(client, state.task_queue, viewer, mergers.MergerRequest(
            from_unit_id=_unit_id(values["from_unit_id"], "đơn vị bị sáp nhập"),
            to_unit_id=_unit_id(values["to_unit_id"], "đơn vị tiếp nhận"),
            effective_on=_day(values["effective_on"]), decision_no=values["decision_no"]),
            session=session, today=local_date(datetime.now(UTC)))
    except DomainError as err:
        await session.rollback()
        return await list_page(request, session, viewer, status_code=err.status, error=err.message, values=values)
    names = await org.unit_names(session=session)
    flash(request, f"Đã bắt đầu sáp nhập «{names.get(merger.from_unit_id, '')}» vào «{names.get(merger.to_unit_id, '')}» "
                   f"(đợt số {merger.id}, {merger.total} người).")
    return redirect(f"/mergers/{merger.id}")


@router.get("/mergers/{merger_id}")
async def progress(merger_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep):
    merger = await mergers.readable_merger(viewer, merger_id, session=session)
    waiting = merger.status == "running" and merger.effective_on > local_date(datetime.now(UTC))
    return await render(
        request, "mergers/detail.html", viewer=viewer, active="mergers", merger=merger,
        names=await org.unit_names(session=session), statuses=MERGER_STATUSES,
        units=await mergers.affected_units(merger, session=session), kinds=UNIT_KINDS,
        waiting=waiting, refresh=None if merger.status != "running" else
        WAITING_REFRESH_SECONDS if waiting else REFRESH_SECONDS)

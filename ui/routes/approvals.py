"""The month's approvals per unit, the signed batches, delegations to sign, and the national-database outbox."""
import re
from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.deps import CurrentUser, SessionDep, TemporalDep
from api.params import IdPath, id_of
from models.approvals import APPROVAL_STATUSES
from services import approvals, auth, delegations, national_sync, org, permissions
from services.errors import DomainError, Invalid, NotFound
from services.scope import Viewer
from ui.views import APPROVAL_STATES
from ui.formats import vn_today
from ui.web import check_csrf, flash, redirect, render

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)
MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")  # ASCII digits (\d takes «٢»)


def previous_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


# ---- the month's approvals --------------------------------------------------------------------

@router.get("/approvals")
async def approvals_page(request: Request, viewer: CurrentUser, session: SessionDep, month: str = ""):
    permissions.require(viewer, permissions.SEES_APPROVALS)
    month = month if MONTH.match(month or "") else approvals.month_of(vn_today())
    rows = await approvals.month_overview(viewer, month, session=session)
    found = [row["approval"] for row in rows if row["approval"]]
    signers = await auth.full_names({a.signed_by_id for a in found if a.signed_by_id}, session=session)
    open_tasks = await approvals.signing_tasks([a.workflow_id for a in found], session=session)
    counts = {a.id: len(await approvals.items_view(a.id, session=session)) for a in found}
    summary = {state: sum(1 for row in rows if row["state"] == state) for state in APPROVAL_STATES}
    return await render(request, "approvals/index.html", viewer=viewer, active="approvals", month=month,
                        month_label=f"{month[5:]}/{month[:4]}", rows=rows, states=APPROVAL_STATES,
                        statuses=APPROVAL_STATUSES, signers=signers, tasks=open_tasks, counts=counts,
                        summary=summary, prev_month=previous_month(month),
                        next_month=approvals.next_month(month))


@router.get("/approvals/{approval_id}/signed.pdf")
async def signed_pdf(approval_id: IdPath, viewer: CurrentUser, session: SessionDep):
    approval = await approvals.readable_approval(viewer, approval_id, signed=True, session=session)
    return Response(approval.signed_pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="phe-duyet-{approval.month}-{approval.unit_id}.pdf"'})


# ---- delegations ------------------------------------------------------------------------------

async def delegation_units(session, viewer: Viewer):
    """The units whose delegations this viewer records: those they head, or all for Sở Nội vụ."""
    if viewer.has("sonoivu_admin"):
        return await org.units_in(None, session=session)
    headed = {unit for role, unit in viewer.unit_grants if role == "unit_head"}
    return [unit for unit in await org.units_in(viewer.unit_scope, session=session) if unit.id in headed]


async def delegations_page(request: Request, session, viewer: Viewer, unit_id: int | None, *, values=None,
                           status_code: int = 200, error: str | None = None):
    units = await delegation_units(session, viewer)
    if not units:
        raise NotFound("Bạn không phụ trách đơn vị nào để ghi nhận ủy quyền.", "no_unit")
    unit = next((u for u in units if u.id == unit_id), units[0] if unit_id is None else None)
    if unit is None:
        raise NotFound("Đơn vị nằm ngoài phạm vi của bạn.", "unit_out_of_scope")
    rows = await delegations.of_unit(unit.id, session=session)
    users = await auth.users_by_id({d.delegate_id for d in rows} | {d.delegator_id for d in rows}, session=session)
    today = vn_today()

    def state(d) -> tuple[str, str]:
        if d.revoked_at is not None:
            return "Đã thu hồi", "revoked"
        if d.valid_to < today:
            return "Hết hiệu lực", "expired"
        if d.valid_from > today:
            return "Chưa đến ngày hiệu lực", "future"
        return "Còn hiệu lực", "valid"

    values = values or {"valid_from": today.isoformat()}
    return await render(request, "approvals/delegations.html", status_code=status_code, viewer=viewer,
                        active="delegations", units=units, unit=unit,
                        rows=[(d, users.get(d.delegate_id), users.get(d.delegator_id), *state(d)) for d in rows],
                        values=values, error=error, today=today.isoformat())


def _may_delegate(viewer: Viewer) -> None:
    permissions.require(viewer, permissions.RECORDS_DELEGATIONS)


@router.get("/delegations")
async def list_delegations(request: Request, viewer: CurrentUser, session: SessionDep, unit_id: str = ""):
    _may_delegate(viewer)
    return await delegations_page(request, session, viewer, id_of(unit_id))


@router.post("/delegations", dependencies=[Csrf])
async def create_delegation(request: Request, viewer: CurrentUser, session: SessionDep, client: TemporalDep):
    _may_delegate(viewer)
    form = await request.form()
    values = {name: str(form.get(name) or "").strip()
              for name in ("unit_id", "delegate", "document_no", "valid_from", "valid_to")}
    unit_id = id_of(values["unit_id"])
    try:
        if unit_id is None or not viewer.sees_unit(unit_id):
            raise Invalid("Đơn vị nằm ngoài phạm vi của bạn.", "unit_out_of_scope")
        try:
            valid_from, valid_to = date.fromisoformat(values["valid_from"]), date.fromisoformat(values["valid_to"])
        except ValueError:
            raise Invalid("Ngày hiệu lực không hợp lệ (nhập ngày/tháng/năm).", "bad_validity") from None
        delegation = await delegations.create(viewer, unit_id=unit_id,
                                              delegate_username=values["delegate"].lower(),
                                              document_no=values["document_no"], valid_from=valid_from,
                                              valid_to=valid_to, client=client, session=session)
    except DomainError as err:
        await session.rollback()
        return await delegations_page(request, session, viewer, unit_id, values=values, status_code=err.status,
                                      error=err.message)
    flash(request, f"Đã ghi nhận văn bản ủy quyền số {delegation.document_no}.")
    return redirect(f"/delegations?unit_id={unit_id}")


@router.post("/delegations/{delegation_id}/revoke", dependencies=[Csrf])
async def revoke_delegation(delegation_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep,
                            client: TemporalDep):
    _may_delegate(viewer)
    delegation = await delegations.revoke(viewer, delegation_id, client=client, session=session)
    unit_id = delegation.unit_id
    flash(request, f"Đã thu hồi văn bản ủy quyền số {delegation.document_no}.")
    return redirect(f"/delegations?unit_id={unit_id}")


# ---- the national-database outbox -------------------------------------------------------------

@router.get("/sync")
async def sync_page(request: Request, viewer: CurrentUser, session: SessionDep, status: str = ""):
    permissions.require(viewer, permissions.SEES_OUTBOX)
    status = status if status in national_sync.OUTBOX_STATUSES else ""
    rows = await national_sync.rows(status or None, session=session)
    people, numbers = await national_sync.labels(rows, session=session)
    return await render(request, "approvals/sync.html", viewer=viewer, active="sync", status=status,
                        statuses=national_sync.OUTBOX_STATUSES, summary=await national_sync.summary(session=session),
                        rows=rows, people=people, numbers=numbers)

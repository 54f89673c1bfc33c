"""Sở Nội vụ's page of the audit log: the hash chain's state, the last daily checks, and the export of a
period (a PDF sealed by Sở Nội vụ, or xlsx)."""
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import CurrentUser, SessionDep, StateDep
from services import audit_export
from services.errors import Invalid
from ui.formats import vn_today
from ui.web import render

router = APIRouter(include_in_schema=False)


def _day(value: str, label: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"{label} không hợp lệ (chọn ngày/tháng/năm).", "bad_date") from None


@router.get("/audit")
async def audit_page(request: Request, viewer: CurrentUser, session: SessionDep):
    found = await audit_export.verification(viewer, session=session)
    start, end = audit_export.default_period(vn_today())
    return await render(request, "audit/index.html", viewer=viewer, active="audit", found=found,
                        broken=audit_export.describe(found.first_broken) if found.first_broken else None,
                        checks=await audit_export.past_checks(viewer, session=session),
                        start=start.isoformat(), end=end.isoformat(), max_days=audit_export.MAX_DAYS,
                        max_rows=audit_export.MAX_ROWS)


@router.get("/audit/export")
async def export(viewer: CurrentUser, session: SessionDep, state: StateDep, request: Request):
    query = request.query_params
    fmt = query.get("format", "pdf")
    if fmt not in ("pdf", "xlsx"):
        raise Invalid("Định dạng xuất phải là PDF hoặc Excel (xlsx).", "bad_format")
    start, end = _day(query.get("from", ""), "Ngày bắt đầu"), _day(query.get("to", ""), "Ngày kết thúc")
    made = await audit_export.export(state.settings, viewer, start, end, fmt, session=session)
    return Response(made.content, media_type=made.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{made.filename}"'})

"""Periodic reports (services/reports.py): the rounds, each unit's report with its figures, the xlsx and the signed
PDF, and Sở Nội vụ's province-wide total. Scope as for the units: Sở Nội vụ sees every unit, HR and heads their own."""
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import CurrentUser, SessionDep
from api.params import IdPath
from api.schemas import PDF, ReportDetail, ReportFigures, ReportRound, ReportTotal, ReportView, errors
from models.reports import REPORT_STATUSES
from rules.clock import local_date
from services import org, reports

router = APIRouter(prefix="/api", tags=["oversight"], responses=errors(401, 403, 404, 422))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_RESPONSE = {200: {"description": "An xlsx workbook",
                       "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}
DUTY_PATTERN, PERIOD_PATTERN = r"^[a-z_]{1,16}$", r"^[0-9]{4}(-(H[12]|Q[1-4]))?$"
DUTY = Query(pattern=DUTY_PATTERN, description="The duty's key, e.g. yearly, half_yearly, quarterly")
PERIOD = Query(pattern=PERIOD_PATTERN, description='"2026", "2026-H1" or "2026-Q3"')
ANY_DUTY = Query(None, pattern=DUTY_PATTERN, description="The duty's key; all duties when omitted")
ANY_PERIOD = Query(None, pattern=PERIOD_PATTERN, description="The period; all periods when omitted")


def report_view(report, unit) -> dict[str, Any]:
    return {**{name: getattr(report, name) for name in ReportView.model_fields if hasattr(report, name)},
            "unit_code": unit.code if unit else "", "unit_name": unit.name if unit else "",
            "status_label": REPORT_STATUSES.get(report.status, report.status)}


def figures_view(shown: dict[str, Any]) -> ReportFigures:
    return ReportFigures(as_of=shown.get("as_of"), headcount=shown.get("headcount", 0),
                         onboarding=shown.get("onboarding", 0),
                         sections=[{"key": s["key"], "title": s["title"],
                                    "rows": [{"label": label, "count": n} for label, n in s["rows"]]}
                                   for s in reports.sections_view(shown)])


def _xlsx(content: bytes, filename: str) -> Response:
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/reports")
async def list_reports(viewer: CurrentUser, session: SessionDep, duty: str | None = ANY_DUTY,
                       period: str | None = ANY_PERIOD) -> list[ReportView]:
    rows = await reports.list_reports(viewer, duty=duty, period=period, session=session)
    return [ReportView(**report_view(report, unit)) for report, unit in rows]


@router.get("/reports/rounds")
async def list_rounds(viewer: CurrentUser, session: SessionDep) -> list[ReportRound]:
    return [ReportRound(**row) for row in await reports.rounds(viewer, session=session)]


@router.get("/reports/total")
async def province_total(viewer: CurrentUser, session: SessionDep, duty: str = DUTY,
                         period: str = PERIOD) -> ReportTotal:
    summary = await reports.province_total(viewer, duty, period, session=session)
    by_unit = [{"unit_code": code, "unit_name": name, "headcount": n} for code, name, n in summary["by_unit"]]
    return ReportTotal(**{**summary, "figures": figures_view(summary["figures"]), "by_unit": by_unit})


@router.get("/reports/total.xlsx", response_class=Response, responses=XLSX_RESPONSE)
async def province_total_xlsx(viewer: CurrentUser, session: SessionDep, duty: str = DUTY,
                              period: str = PERIOD) -> Response:
    summary = await reports.province_total(viewer, duty, period, session=session)
    return _xlsx(reports.total_to_xlsx(summary), f"bao-cao-{duty}-{period}-toan-tinh.xlsx")


@router.get("/reports/{report_id}.xlsx", response_class=Response, responses=XLSX_RESPONSE)
async def report_xlsx(report_id: IdPath, viewer: CurrentUser, session: SessionDep) -> Response:
    report = await reports.readable_report(viewer, report_id, session=session)
    unit = await org.get_unit(report.unit_id, session=session)
    shown = await reports.current_figures(report, session=session, today=local_date(datetime.now(UTC)))
    return _xlsx(reports.to_xlsx(report, unit.name, shown), f"bao-cao-{report.duty}-{report.period}-{unit.code}.xlsx")


@router.get("/reports/{report_id}")
async def get_report(report_id: IdPath, viewer: CurrentUser, session: SessionDep) -> ReportDetail:
    report = await reports.readable_report(viewer, report_id, session=session)
    unit = await org.get_unit(report.unit_id, session=session)
    shown = await reports.current_figures(report, session=session, today=local_date(datetime.now(UTC)))
    return ReportDetail(**report_view(report, unit), figures=figures_view(shown), notes=dict(report.notes or {}))


@router.get("/reports/{report_id}/signed.pdf", response_class=Response, responses=PDF)
async def report_pdf(report_id: IdPath, viewer: CurrentUser, session: SessionDep) -> Response:
    report = await reports.readable_report(viewer, report_id, session=session, signed=True)
    return Response(report.signed_pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="bao-cao-{report.duty}-{report.period}-{report.unit_id}.pdf"'})

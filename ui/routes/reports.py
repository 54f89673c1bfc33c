"""The periodic reports' pages: the rounds, one round's units (who has submitted) with the province-wide total for
Sở Nội vụ, and one report; the xlsx downloads and the signed PDF."""
import re
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import CurrentUser, SessionDep
from api.params import IdPath
from models.reports import REPORT_STATUSES
from rules.clock import local_date
from services import org, reports
from services.errors import Invalid
from ui.web import render

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DUTY = re.compile(r"[a-z_]{1,16}")
PERIOD = re.compile(r"[0-9]{4}(-(H[12]|Q[1-4]))?")


def _round(duty: str | None, period: str | None) -> tuple[str, str] | None:
    if not duty and not period:
        return None
    if not (duty and DUTY.fullmatch(duty) and period and PERIOD.fullmatch(period)):
        raise Invalid("Kỳ báo cáo không hợp lệ.", "bad_report_period")
    return duty, period


def _xlsx(content: bytes, filename: str) -> Response:
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/reports")
async def reports_page(request: Request, viewer: CurrentUser, session: SessionDep, duty: str | None = None,
                       period: str | None = None):
    chosen = _round(duty, period)
    rounds = await reports.rounds(viewer, session=session)
    rows, summary = [], None
    if chosen:
        rows = await reports.list_reports(viewer, duty=chosen[0], period=chosen[1], session=session)
        if viewer.province_wide and rows:
            summary = await reports.province_total(viewer, *chosen, session=session)
    return await render(request, "reports/index.html", viewer=viewer, rounds=rounds, chosen=chosen, rows=rows,
                        summary=summary, sections=reports.sections_view(summary["figures"]) if summary else [],
                        statuses=REPORT_STATUSES)


@router.get("/reports/total.xlsx")
async def total_xlsx(viewer: CurrentUser, session: SessionDep, duty: str | None = None, period: str | None = None):
    chosen = _round(duty, period)
    if chosen is None:
        raise Invalid("Chọn kỳ báo cáo.", "bad_report_period")
    summary = await reports.province_total(viewer, *chosen, session=session)
    return _xlsx(reports.total_to_xlsx(summary), f"bao-cao-{chosen[0]}-{chosen[1]}-toan-tinh.xlsx")


@router.get("/reports/{report_id}.xlsx")
async def report_xlsx(report_id: IdPath, viewer: CurrentUser, session: SessionDep):
    report = await reports.readable_report(viewer, report_id, session=session)
    unit = await org.get_unit(report.unit_id, session=session)
    shown = await reports.current_figures(report, session=session, today=local_date(datetime.now(UTC)))
    return _xlsx(reports.to_xlsx(report, unit.name, shown), f"bao-cao-{report.duty}-{report.period}-{unit.code}.xlsx")


@router.get("/reports/{report_id}/signed.pdf")
async def report_pdf(report_id: IdPath, viewer: CurrentUser, session: SessionDep):
    report = await reports.readable_report(viewer, report_id, session=session, signed=True)
    return Response(report.signed_pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="bao-cao-{report.duty}-{report.period}-{report.unit_id}.pdf"'})


@router.get("/reports/{report_id}")
async def report_page(report_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep):
    report = await reports.readable_report(viewer, report_id, session=session)
    unit = await org.get_unit(report.unit_id, session=session)
    shown = await reports.current_figures(report, session=session, today=local_date(datetime.now(UTC)))
    return await render(request, "reports/detail.html", viewer=viewer, report=report, report_unit=unit.name,
                        report_status=REPORT_STATUSES.get(report.status, report.status), report_figures=shown,
                        report_sections=reports.sections_view(shown), note_fields=reports.NOTE_FIELDS)

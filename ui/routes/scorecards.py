"""The scorecard pages: the month's table per unit with a 12-month chart each, one unit's detail."""
import re
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import CurrentUser, SessionDep
from api.params import IdPath
from rules.clock import local_date
from services import scorecards
from services.errors import NotFound
from ui.web import render

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def chosen_month(month: str | None) -> str:
    if month and re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", month):
        return month
    return f"{local_date(datetime.now(UTC)):%Y-%m}"


async def _history(viewer, month: str, session) -> tuple[list[str], dict[str, list[scorecards.Score]]]:
    months = scorecards.previous_months(month, scorecards.CHART_MONTHS)
    return months, await scorecards.for_months(viewer, months, session=session)


@router.get("/scorecards")
async def scorecards_page(request: Request, viewer: CurrentUser, session: SessionDep, month: str | None = None):
    month = chosen_month(month)
    months, by_month = await _history(viewer, month, session)
    rows = by_month[month]
    charts = {score.unit_id: scorecards.chart_points([next(s for s in by_month[m] if s.unit_id == score.unit_id)
                                                      for m in months]) for score in rows}
    return await render(request, "scorecards/index.html", viewer=viewer, month=month, rows=rows, charts=charts,
                        total=scorecards.totals(rows, month), months=months)


@router.get("/scorecards/units/{unit_id}")
async def unit_scorecard(unit_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep,
                         month: str | None = None):
    month = chosen_month(month)
    months, by_month = await _history(viewer, month, session)
    history = [s for m in months for s in by_month[m] if s.unit_id == unit_id]
    if not history:
        raise NotFound("Không tìm thấy đơn vị hoặc đơn vị nằm ngoài phạm vi của bạn.", "unit_not_found")
    return await render(request, "scorecards/unit.html", viewer=viewer, month=month, history=history,
                        unit=history[-1], chart=scorecards.chart_points(history))


@router.get("/scorecards.xlsx")
async def scorecards_xlsx(viewer: CurrentUser, session: SessionDep, month: str | None = None):
    month = chosen_month(month)
    rows = await scorecards.month(viewer, month, session=session)
    return Response(scorecards.to_xlsx(rows, month), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="bang-diem-{month}.xlsx"'})

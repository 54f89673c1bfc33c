"""Compliance scorecards per unit and month (services/scorecards.py), as JSON and as xlsx."""
from datetime import UTC, datetime

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import CurrentUser, SessionDep
from api.schemas import ScorecardRow, errors
from services import scorecards

router = APIRouter(prefix="/api", tags=["oversight"], responses=errors(401, 403, 422))
MONTH = Query(..., pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/scorecards")
async def month_scorecards(viewer: CurrentUser, session: SessionDep, month: str = MONTH) -> list[ScorecardRow]:
    rows = await scorecards.month(viewer, month, session=session, now=datetime.now(UTC))
    return [ScorecardRow(**{**row.__dict__, "on_time_rate": row.on_time_rate}) for row in rows]


@router.get("/scorecards.xlsx", response_class=Response, responses={200: {
    "description": "The month as xlsx", "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
async def month_scorecards_xlsx(viewer: CurrentUser, session: SessionDep, month: str = MONTH) -> Response:
    rows = await scorecards.month(viewer, month, session=session)
    return Response(scorecards.to_xlsx(rows, month), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="bang-diem-{month}.xlsx"'})

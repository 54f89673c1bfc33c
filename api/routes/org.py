from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from api.deps import CurrentUser, SessionDep, require
from api.views import unit_view
from models import CalendarOverride, RoleGrant, User
from services import audit, org

router = APIRouter(prefix="/api", tags=["org"])


@router.get("/units")
async def units(viewer: CurrentUser, session: SessionDep) -> list[dict]:
    scope = viewer.unit_scope
    if scope is not None and not scope and viewer.unit_id:
        scope = frozenset({viewer.unit_id})  # a person sees their own unit
    return [unit_view(u) for u in await org.units_in(session, None if scope is None else set(scope))]


@router.get("/admin/users")
async def users(viewer: CurrentUser, session: SessionDep) -> list[dict]:
    require(viewer, "sonoivu_admin", "auditor")
    rows = (await session.execute(select(User).order_by(User.username))).scalars().all()
    grants = (await session.execute(select(RoleGrant))).scalars().all()
    roles: dict[int, set[str]] = {}
    for grant in grants:
        roles.setdefault(grant.user_id, set()).add(grant.role)
    for user in rows:
        if user.person_id is not None:
            roles.setdefault(user.id, set()).add("person")
    return [{"username": u.username, "full_name": u.full_name, "roles": sorted(roles.get(u.id, ())),
             "unit_id": u.unit_id} for u in rows]


class OverrideBody(BaseModel):
    day: date
    working: bool
    source: str
    note: str = ""


@router.get("/admin/calendar")
async def calendar_overrides(viewer: CurrentUser, session: SessionDep) -> list[dict]:
    require(viewer, "sonoivu_admin", "auditor")
    rows = (await session.execute(select(CalendarOverride).order_by(CalendarOverride.day))).scalars()
    return [{"day": r.day.isoformat(), "working": r.working, "source": r.source, "note": r.note} for r in rows]


@router.post("/admin/calendar", status_code=201)
async def add_override(body: OverrideBody, viewer: CurrentUser, session: SessionDep) -> dict:
    """A day the government adds off or declares worked; applies to deadlines computed from now on."""
    require(viewer, "sonoivu_admin")
    from services.errors import Invalid
    if len(body.source.strip()) < 5:
        raise Invalid("Ghi rõ văn bản làm căn cứ (số, ngày).", "missing_source")
    row = await session.get(CalendarOverride, body.day)
    if row is None:
        row = CalendarOverride(day=body.day, working=body.working, source=body.source.strip(), note=body.note,
                               created_by=viewer.username)
        session.add(row)
    else:
        row.working, row.source, row.note = body.working, body.source.strip(), body.note
    await audit.record(session, actor=viewer.username, action="calendar.override", subject=f"day:{body.day}",
                       working=body.working, source=body.source)
    return {"day": body.day.isoformat(), "working": body.working, "source": row.source}

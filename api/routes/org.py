from fastapi import APIRouter

from api.deps import CurrentUser, SessionDep
from api.schemas import OverrideSaved, OverrideView, UnitView, UserView, errors
from api.views import user_view
from services import directory, org, permissions

router = APIRouter(prefix="/api", tags=["org"], responses=errors(401, 403, 404, 422))


@router.get("/units")
async def units(viewer: CurrentUser, session: SessionDep) -> list[UnitView]:
    scope = viewer.unit_scope
    if scope is not None and not scope and viewer.unit_id:
        scope = frozenset({viewer.unit_id})  # a person sees their own unit
    return [UnitView.model_validate(u) for u in await org.units_in(None if scope is None else set(scope), session=session)]


@router.get("/admin/users")
async def users(viewer: CurrentUser, session: SessionDep) -> list[UserView]:
    permissions.require(viewer, permissions.READS_ADMINISTRATION)
    return [user_view(user, roles) for user, roles in await directory.users_with_roles(session=session)]


@router.get("/admin/calendar")
async def calendar_overrides(viewer: CurrentUser, session: SessionDep) -> list[OverrideView]:
    permissions.require(viewer, permissions.READS_ADMINISTRATION)
    return [OverrideView.model_validate(row) for row in await directory.calendar_overrides(session=session)]


@router.post("/admin/calendar", status_code=201)
async def add_override(body: directory.OverrideInput, viewer: CurrentUser, session: SessionDep) -> OverrideSaved:
    """A day the government adds off or declares worked; applies to deadlines computed from now on."""
    permissions.require(viewer, permissions.ADMINISTERS)
    row = await directory.save_override(session=session, override=body, actor=viewer.username)
    return OverrideSaved.model_validate(row)

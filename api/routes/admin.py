"""Administration by Sở Nội vụ: units (create, rename, validity, successor, import from a file) and officials'
accounts (one-time activation code, roles per unit, deactivation, password reset). Only `sonoivu_admin`
writes; the auditor reads. The list of usernames with their roles stays GET /api/admin/users (api/routes/org.py).

The bodies and views of these routes are declared here, next to them, as api/schemas.py's View."""
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentUser, SessionDep, StateDep
from api.params import MAX_ID, IdField, IdPath
from api.schemas import View, errors
from services import admin, permissions

router = APIRouter(prefix="/api/admin", tags=["admin"], responses=errors(401, 403, 404, 409, 422))
Id = IdPath
UnitRef = IdField | None


# ---- bodies and views ---------------------------------------------------------------------------

class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewUnitBody(Body):
    code: str = Field(max_length=64)
    name: str = Field(max_length=1000)
    kind: str = Field(max_length=32, description="ubnd_tinh, so, chi_cuc, phong, dvsn, xa, phuong")
    parent_id: UnitRef = None
    valid_from: date | None = None
    valid_to: date | None = None


class UnitPatch(Body):
    """Only the fields sent change; null clears a date or the successor."""
    name: str | None = Field(default=None, max_length=1000)
    valid_from: date | None = None
    valid_to: date | None = None
    successor_id: UnitRef = None


class NewAccountBody(Body):
    username: str = Field(max_length=64)
    full_name: str = Field(max_length=1000)
    roles: list[str] = Field(max_length=10, description="unit_hr and unit_head are granted at unit_id; "
                                                        "sonoivu_admin, sonoivu_director, auditor province-wide")
    unit_id: UnitRef = None
    email: str | None = Field(default=None, max_length=255)


class RoleBody(Body):
    role: str = Field(max_length=32)
    unit_id: UnitRef = Field(default=None, description="Required for unit_hr and unit_head")


class AdminUnitView(View):
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    valid_from: date | None
    valid_to: date | None
    successor_id: int | None


class GrantView(View):
    role: str
    unit_id: int | None = Field(description="null for a province role")


class AccountView(View):
    id: int
    username: str
    full_name: str
    email: str | None
    unit_id: int | None
    is_active: bool
    activated: bool = Field(description="A password is set (false until the activation code is used)")
    grants: list[GrantView]


class AccountCreated(View):
    id: int
    username: str
    activation_code: str = Field(description="The one-time activation code, shown once and never stored")


class ActivationCode(View):
    username: str
    activation_code: str = Field(description="The new one-time activation code; the old password no longer works")


class ImportedRowView(View):
    row: int
    code: str
    status: str = Field(description="created, renamed, updated (parent or kind), unchanged")


class ImportReportView(View):
    summary: dict[str, int] = Field(description="Rows by status, every status present")
    rows: list[ImportedRowView]


def account_view(held: admin.Account) -> AccountView:
    user = held.user
    return AccountView(id=user.id, username=user.username, full_name=user.full_name, email=user.email,
                       unit_id=user.unit_id, is_active=user.is_active, activated=held.activated,
                       grants=[GrantView(role=g.role, unit_id=g.unit_id) for g in held.grants])


def report_view(report: admin.ImportReport) -> ImportReportView:
    return ImportReportView(summary=report.summary,
                            rows=[ImportedRowView(row=r.row, code=r.code, status=r.status) for r in report.rows])


# ---- units --------------------------------------------------------------------------------------

@router.get("/units")
async def units(viewer: CurrentUser, session: SessionDep) -> list[AdminUnitView]:
    """Every unit of the province with its validity and successor."""
    permissions.require(viewer, permissions.READS_ADMINISTRATION)
    return [AdminUnitView.model_validate(u) for u in await admin.all_units(session=session)]


@router.post("/units", status_code=201)
async def create_unit(body: NewUnitBody, viewer: CurrentUser, session: SessionDep) -> AdminUnitView:
    permissions.require(viewer, permissions.ADMINISTERS)
    row = await admin.create_unit(session=session, actor=viewer.username, new=admin.NewUnit(**body.model_dump()))
    return AdminUnitView.model_validate(row)


@router.patch("/units/{unit_id}")
async def update_unit(unit_id: Id, body: UnitPatch, viewer: CurrentUser, session: SessionDep) -> AdminUnitView:
    """Rename, set the validity dates or the successor (the unit that takes over after a merger)."""
    permissions.require(viewer, permissions.ADMINISTERS)
    row = await admin.update_unit(session=session, actor=viewer.username, unit_id=unit_id,
                                  changes=body.model_dump(exclude_unset=True))
    return AdminUnitView.model_validate(row)


@router.post("/units/import")
async def import_units(viewer: CurrentUser, session: SessionDep,
                       file: UploadFile = File(description="CSV (UTF-8) or xlsx: code,name,parent_code,kind")
                       ) -> ImportReportView:
    """Upsert by code, parents in any order; a second import of the same file changes nothing. When any
    row is bad, nothing is stored and the 422 lists every bad row in `problems`
    (`row`, `unit_code`, `problem`, `reason`)."""
    permissions.require(viewer, permissions.ADMINISTERS)
    content = await file.read(admin.UNIT_FILE_MAX_BYTES + 1)
    report = await admin.import_unit_file(session=session, actor=viewer.username, filename=file.filename or "",
                                          content=content)
    return report_view(report)


# ---- accounts -----------------------------------------------------------------------------------

@router.get("/accounts")
async def accounts(viewer: CurrentUser, session: SessionDep) -> list[AccountView]:
    """Every account with its id, state and roles per unit."""
    permissions.require(viewer, permissions.READS_ADMINISTRATION)
    return [account_view(held) for held in await admin.accounts(session=session)]


@router.post("/users", status_code=201)
async def create_user(body: NewAccountBody, viewer: CurrentUser, session: SessionDep,
                      state: StateDep) -> AccountCreated:
    """An official's account; hand the activation code over in person, it is shown only in this answer."""
    permissions.require(viewer, permissions.ADMINISTERS)
    user, code = await admin.create_account(session=session, actor=viewer.username,
                                            new=admin.NewAccount(**body.model_dump()),
                                            valid_days=state.settings.activation_valid_days)
    return AccountCreated(id=user.id, username=user.username, activation_code=code)


@router.get("/users/{user_id}")
async def user(user_id: Id, viewer: CurrentUser, session: SessionDep) -> AccountView:
    permissions.require(viewer, permissions.READS_ADMINISTRATION)
    return account_view(await admin.account(session=session, user_id=user_id))


@router.post("/users/{user_id}/deactivate")
async def deactivate(user_id: Id, viewer: CurrentUser, session: SessionDep) -> AccountView:
    """No more logins; the account's open sessions end at their next request."""
    permissions.require(viewer, permissions.ADMINISTERS)
    return account_view(await admin.set_active(session=session, actor=viewer.username, user_id=user_id,
                                               active=False, actor_id=viewer.user_id))


@router.post("/users/{user_id}/activate")
async def reactivate(user_id: Id, viewer: CurrentUser, session: SessionDep) -> AccountView:
    permissions.require(viewer, permissions.ADMINISTERS)
    return account_view(await admin.set_active(session=session, actor=viewer.username, user_id=user_id,
                                               active=True, actor_id=viewer.user_id))


@router.post("/users/{user_id}/reset")
async def reset(user_id: Id, viewer: CurrentUser, session: SessionDep, state: StateDep) -> ActivationCode:
    """A new one-time activation code; the old password stops working."""
    permissions.require(viewer, permissions.ADMINISTERS)
    user, code = await admin.reset_password(session=session, actor=viewer.username, user_id=user_id,
                                            valid_days=state.settings.activation_valid_days)
    return ActivationCode(username=user.username, activation_code=code)


@router.post("/users/{user_id}/roles", status_code=201)
async def grant_role(user_id: Id, body: RoleBody, viewer: CurrentUser, session: SessionDep) -> AccountView:
    permissions.require(viewer, permissions.ADMINISTERS)
    return account_view(await admin.grant_role(session=session, actor=viewer.username, user_id=user_id,
                                               role=body.role, unit_id=body.unit_id))


@router.delete("/users/{user_id}/roles")
async def revoke_role(user_id: Id, viewer: CurrentUser, session: SessionDep,
                      role: Annotated[str, Query(max_length=32)],
                      unit_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> AccountView:
    """`?role=unit_hr&unit_id=3`; a province role without unit_id."""
    permissions.require(viewer, permissions.ADMINISTERS)
    return account_view(await admin.revoke_role(session=session, actor=viewer.username, user_id=user_id,
                                                role=role, unit_id=unit_id))

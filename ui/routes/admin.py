"""Administration pages of Sở Nội vụ: the units (create, rename, validity, successor, import from a file with
its per-row report) and the officials' accounts (create with a one-time code shown once, roles per unit,
deactivate, reset the password). Only `sonoivu_admin` changes anything; the auditor reads."""
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from starlette.datastructures import UploadFile

from api.deps import CurrentUser, SessionDep, StateDep
from models.accounts import PROVINCE_ROLES, ROLES, UNIT_ROLES
from models.org import UNIT_KINDS
from services import admin, permissions
from services.errors import DomainError, Invalid
from services.scope import Viewer
from ui.web import check_csrf, flash, redirect, render

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)
UNIT_FIELDS = ("code", "name", "kind", "parent_id", "valid_from", "valid_to")
ACCOUNT_FIELDS = ("username", "full_name", "email", "unit_id")
MAX_ID = 2_147_483_647  # the ids are PostgreSQL integers
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def _reads(viewer: Viewer) -> None:
    permissions.require(viewer, permissions.READS_ADMINISTRATION)


def _writes(viewer: Viewer) -> None:
    permissions.require(viewer, permissions.ADMINISTERS)


def _id(value: str, label: str) -> int | None:
    """An id from a form: ASCII digits only (no «²»), empty for none."""
    value = (value or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_ID:
        raise Invalid(f"{label} không hợp lệ.", "bad_id")
    return int(value)


def _day(value: str, label: str) -> date | None:
    """A date typed dd/mm/yyyy or sent by a date field (yyyy-mm-dd); empty for none."""
    value = (value or "").strip()
    if not value:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise Invalid(f"{label} không hợp lệ (nhập ngày/tháng/năm).", "bad_date")


async def _values(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    form = await request.form()
    return {name: str(form.get(name) or "").strip() for name in names}


# ---- units --------------------------------------------------------------------------------------

async def units_page(request: Request, session, viewer: Viewer, *, status_code: int = 200, error: str | None = None,
                     values: dict | None = None, report: admin.ImportReport | None = None,
                     problems: list | None = None, import_error: str | None = None, filename: str = ""):
    tree = await admin.unit_tree(session=session)
    names = {u.id: u.name for u, _ in tree}
    codes = {u.id: u.code for u, _ in tree}
    return await render(request, "admin/units.html", status_code=status_code, viewer=viewer, active="admin",
                        tab="units", tree=tree, names=names, codes=codes, kinds=UNIT_KINDS, error=error,
                        values=values or {"kind": "so"}, report=report, problems=problems or [],
                        import_error=import_error, filename=filename, statuses=admin.IMPORT_STATUSES,
                        may_write=permissions.may(viewer, permissions.ADMINISTERS))


@router.get("/admin")
async def admin_home(viewer: CurrentUser):
    _reads(viewer)
    return redirect("/admin/units")


@router.get("/admin/units")
async def list_units(request: Request, viewer: CurrentUser, session: SessionDep):
    _reads(viewer)
    return await units_page(request, session, viewer)


@router.post("/admin/units", dependencies=[Csrf])
async def create_unit(request: Request, viewer: CurrentUser, session: SessionDep):
    _writes(viewer)
    values = await _values(request, UNIT_FIELDS)
    try:
        new = admin.NewUnit(code=values["code"], name=values["name"], kind=values["kind"],
                            parent_id=_id(values["parent_id"], "Đơn vị cấp trên"),
                            valid_from=_day(values["valid_from"], "Ngày bắt đầu hiệu lực"),
                            valid_to=_day(values["valid_to"], "Ngày hết hiệu lực"))
        row = await admin.create_unit(session=session, actor=viewer.username, new=new)
    except DomainError as err:
        await session.rollback()
        return await units_page(request, session, viewer, status_code=err.status, error=err.message, values=values)
    flash(request, f"Đã tạo đơn vị {row.name} ({row.code}).")
    return redirect("/admin/units")


@router.post("/admin/units/import", dependencies=[Csrf])
async def import_units(request: Request, viewer: CurrentUser, session: SessionDep):
    _writes(viewer)
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not (upload.filename or "").strip():
        return await units_page(request, session, viewer, status_code=422,
                                import_error="Chọn tệp CSV hoặc Excel (.xlsx) để nhập.")
    content = await upload.read(admin.UNIT_FILE_MAX_BYTES + 1)
    try:
        report = await admin.import_unit_file(session=session, actor=viewer.username, filename=upload.filename,
                                              content=content)
    except admin.UnitFileRefused as refused:
        await session.rollback()
        return await units_page(request, session, viewer, status_code=refused.status, import_error=refused.message,
                                problems=refused.problems, filename=upload.filename)
    except DomainError as err:
        await session.rollback()
        return await units_page(request, session, viewer, status_code=err.status, import_error=err.message,
                                filename=upload.filename)
    return await units_page(request, session, viewer, report=report, filename=upload.filename)


async def unit_page(request: Request, session, viewer: Viewer, unit_id: int, *, status_code: int = 200,
                    error: str | None = None):
    row = await admin.unit(session=session, unit_id=unit_id)
    tree = await admin.unit_tree(session=session)
    names = {u.id: u.name for u, _ in tree}
    return await render(request, "admin/unit.html", status_code=status_code, viewer=viewer, active="admin",
                        tab="units", unit=row, tree=tree, names=names, kinds=UNIT_KINDS, error=error,
                        may_write=permissions.may(viewer, permissions.ADMINISTERS))


@router.get("/admin/units/{unit_id}")
async def show_unit(unit_id: Id, request: Request, viewer: CurrentUser, session: SessionDep):
    _reads(viewer)
    return await unit_page(request, session, viewer, unit_id)


async def _change_unit(request: Request, session, viewer: Viewer, unit_id: int, change) -> object:
    _writes(viewer)
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in ("name", "valid_from", "valid_to", "successor_id")}
    try:
        message = await change(values)
    except DomainError as err:
        await session.rollback()
        return await unit_page(request, session, viewer, unit_id, status_code=err.status, error=err.message)
    flash(request, message)
    return redirect(f"/admin/units/{unit_id}")


@router.post("/admin/units/{unit_id}/rename", dependencies=[Csrf])
async def rename_unit(unit_id: Id, request: Request, viewer: CurrentUser, session: SessionDep):
    async def change(values):
        row = await admin.rename_unit(session=session, actor=viewer.username, unit_id=unit_id, name=values["name"])
        return f"Đã đổi tên đơn vị thành «{row.name}»."
    return await _change_unit(request, session, viewer, unit_id, change)


@router.post("/admin/units/{unit_id}/validity", dependencies=[Csrf])
async def unit_validity(unit_id: Id, request: Request, viewer: CurrentUser, session: SessionDep):
    async def change(values):
        await admin.set_validity(session=session, actor=viewer.username, unit_id=unit_id,
                                 valid_from=_day(values["valid_from"], "Ngày bắt đầu hiệu lực"),
                                 valid_to=_day(values["valid_to"], "Ngày hết hiệu lực"))
        return "Đã cập nhật thời gian hiệu lực của đơn vị."
    return await _change_unit(request, session, viewer, unit_id, change)


@router.post("/admin/units/{unit_id}/successor", dependencies=[Csrf])
async def unit_successor(unit_id: Id, request: Request, viewer: CurrentUser, session: SessionDep):
    async def change(values):
        row = await admin.set_successor(session=session, actor=viewer.username, unit_id=unit_id,
                                        successor_id=_id(values["successor_id"], "Đơn vị kế thừa"))
        return "Đã ghi nhận đơn vị kế thừa." if row.successor_id else "Đã bỏ đơn vị kế thừa."
    return await _change_unit(request, session, viewer, unit_id, change)


# ---- accounts -----------------------------------------------------------------------------------

async def users_page(request: Request, session, viewer: Viewer, *, status_code: int = 200,
                     error: str | None = None, values: dict | None = None, roles: list[str] | None = None):
    tree = await admin.unit_tree(session=session)
    return await render(request, "admin/users.html", status_code=status_code, viewer=viewer, active="admin",
                        tab="users", accounts=await admin.accounts(session=session), tree=tree,
                        names={u.id: u.name for u, _ in tree}, roles=admin.ASSIGNABLE_ROLES,
                        unit_roles=UNIT_ROLES, province_roles=PROVINCE_ROLES, ROLE_NAMES=ROLES, error=error,
                        values=values or {}, chosen=roles or [],
                        may_write=permissions.may(viewer, permissions.ADMINISTERS))


async def activation_page(request: Request, viewer: Viewer, username: str, full_name: str, code: str, *,
                          reset: bool):
    """The one-time code, on this response only: never stored in clear, never in a redirect or a flash."""
    page = await render(request, "admin/activation.html", viewer=viewer, active="admin", tab="users",
                        username=username, full_name=full_name, code=code, reset=reset)
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/admin/users")
async def list_users(request: Request, viewer: CurrentUser, session: SessionDep):
    _reads(viewer)
    return await users_page(request, session, viewer)


@router.post("/admin/users", dependencies=[Csrf])
async def create_user(request: Request, viewer: CurrentUser, session: SessionDep, state: StateDep):
    _writes(viewer)
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in ACCOUNT_FIELDS}
    roles = [str(role) for role in form.getlist("roles")]
    try:
        new = admin.NewAccount(username=values["username"], full_name=values["full_name"], roles=roles,
                               unit_id=_id(values["unit_id"], "Đơn vị"), email=values["email"] or None)
        user, code = await admin.create_account(session=session, actor=viewer.username, new=new,
                                                valid_days=state.settings.activation_valid_days)
    except DomainError as err:
        await session.rollback()
        return await users_page(request, session, viewer, status_code=err.status, error=err.message, values=values,
                                roles=roles)
    return await activation_page(request, viewer, user.username, user.full_name, code, reset=False)


async def user_page(request: Request, session, viewer: Viewer, user_id: int, *, status_code: int = 200,
                    error: str | None = None):
    held = await admin.account(session=session, user_id=user_id)
    tree = await admin.unit_tree(session=session)
    return await render(request, "admin/user.html", status_code=status_code, viewer=viewer, active="admin",
                        tab="users", held=held, tree=tree, names={u.id: u.name for u, _ in tree},
                        roles=admin.ASSIGNABLE_ROLES, unit_roles=UNIT_ROLES, ROLE_NAMES=ROLES, error=error,
                        may_write=permissions.may(viewer, permissions.ADMINISTERS))


@router.get("/admin/users/{user_id}")
async def show_user(user_id: Id, request: Request, viewer: CurrentUser, session: SessionDep):
    _reads(viewer)
    return await user_page(request, session, viewer, user_id)


async def _change_user(request: Request, session, viewer: Viewer, user_id: int, change):
    _writes(viewer)
    form = await request.form()
    try:
        message = await change(form)
    except DomainError as err:
        await session.rollback()
        return await user_page(request, session, viewer, user_id, status_code=err.status, error=err.message)
    flash(request, message)
    return redirect(f"/admin/users/{user_id}")


@router.post("/admin/users/{user_id}/roles", dependencies=[Csrf])
async def grant_role(user_id: Id, request: Request, viewer: CurrentUser, session: SessionDep):
    async def change(form):
        role = str(form.get("role") or "")
        await admin.grant_role(session=session, actor=viewer.username, user_id=user_id, role=role,
                               unit_id=_id(str(form.get("unit_id") or ""), "Đơn vị"))
        return f"Đã giao vai trò «{ROLES.get(role, role)}»."
    return await _change_user(request, session, viewer, user_id, change)


@router.post("/admin/users/{user_id}/roles/revoke", dependencies=[Csrf])
async def revoke_role(user_id: Id, request: Request, viewer: CurrentUser, session: SessionDep):
    async def change(form):
        role = str(form.get("role") or "")
        await admin.revoke_role(session=session, actor=viewer.username, user_id=user_id, role=role,
                                unit_id=_id(str(form.get("unit_id") or ""), "Đơn vị"))
        return f"Đã thu hồi vai trò «{ROLES.get(role, role)}»."
    return await _change_user(request, session, viewer, user_id, change)


@router.post("/admin/users/{user_id}/deactivate", dependencies=[Csrf])
async def deactivate_user(user_id: Id, request: Request, viewer: CurrentUser, session: SessionDep):
    async def change(form):
        held = await admin.set_active(session=session, actor=viewer.username, user_id=user_id, active=False,
                                      actor_id=viewer.user_id)
        return f"Đã vô hiệu hóa tài khoản {held.user.username}: không đăng nhập được nữa."
    return await _change_user(request, session, viewer, user_id, change)


@router.post("/admin/users/{user_id}/activate", dependencies=[Csrf])
async def reactivate_user(user_id: Id, request: Request, viewer: CurrentUser, session: SessionDep):
    async def change(form):
        held = await admin.set_active(session=session, actor=viewer.username, user_id=user_id, active=True,
                                      actor_id=viewer.user_id)
        return f"Đã mở lại tài khoản {held.user.username}."
    return await _change_user(request, session, viewer, user_id, change)


@router.post("/admin/users/{user_id}/reset", dependencies=[Csrf])
async def reset_user(user_id: Id, request: Request, viewer: CurrentUser, session: SessionDep, state: StateDep):
    _writes(viewer)
    try:
        user, code = await admin.reset_password(session=session, actor=viewer.username, user_id=user_id,
                                                valid_days=state.settings.activation_valid_days)
    except DomainError as err:
        await session.rollback()
        return await user_page(request, session, viewer, user_id, status_code=err.status, error=err.message)
    return await activation_page(request, viewer, user.username, user.full_name, code, reset=True)

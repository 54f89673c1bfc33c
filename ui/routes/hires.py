"""Registering a hire (tuyển dụng / tiếp nhận), which starts its onboarding workflow."""
from datetime import date

from fastapi import APIRouter, Depends, Request

from api.deps import CurrentUser, SessionDep, StateDep, TemporalDep
from api.params import id_of
from models.people import PERSON_KINDS
from services import cv, onboarding, org, people, permissions
from services.errors import DomainError, Invalid
from ui.formats import vn_today
from ui.web import check_csrf, flash, redirect, render

router = APIRouter(include_in_schema=False)
HIRE_FIELDS = ("full_name", "sex", "date_of_birth", "citizen_id", "unit_id", "hired_on", "kind", "email")


async def hire_form(request: Request, session, viewer, values: dict, *, status_code: int = 200,
                    error: str | None = None, existing_id: int | None = None):
    units = await org.units_in(viewer.unit_scope, session=session)
    return await render(request, "hires/new.html", status_code=status_code, viewer=viewer, values=values,
                        units=units, kinds=PERSON_KINDS, sexes=cv.SEX, error=error, existing_id=existing_id,
                        today=vn_today().isoformat())


def _date(value: str, label: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{label} không hợp lệ (nhập ngày/tháng/năm).", "bad_date") from None


def parse_hire(values: dict) -> people.HireInput:
    unit_id = id_of(values["unit_id"])
    if unit_id is None:
        raise Invalid("Chọn đơn vị tuyển dụng.", "unknown_unit")
    return people.HireInput(
        full_name=values["full_name"], sex=values["sex"], citizen_id=values["citizen_id"],
        date_of_birth=_date(values["date_of_birth"], "Ngày sinh"), unit_id=unit_id,
        hired_on=_date(values["hired_on"], "Ngày tuyển dụng / tiếp nhận"), kind=values["kind"],
        email=values["email"] or None)


@router.get("/hires/new")
async def new_hire(request: Request, viewer: CurrentUser, session: SessionDep):
    permissions.require(viewer, permissions.REGISTERS_HIRES)
    units = await org.units_in(viewer.unit_scope, session=session)
    default_unit = viewer.unit_id if any(u.id == viewer.unit_id for u in units) else ""
    values = {"sex": "", "kind": "cong_chuc", "unit_id": str(default_unit or ""), "hired_on": vn_today().isoformat()}
    return await hire_form(request, session, viewer, values)


@router.post("/hires/new", dependencies=[Depends(check_csrf)])
async def register_hire(request: Request, viewer: CurrentUser, session: SessionDep, state: StateDep,
                        client: TemporalDep):
    permissions.require(viewer, permissions.REGISTERS_HIRES)
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in HIRE_FIELDS}
    try:
        person = await onboarding.hire(client, state.task_queue, session, viewer, parse_hire(values),
                                       profile_name=state.settings.profile, today=vn_today())
    except DomainError as err:
        await session.rollback()  # nothing half-saved: the person row goes with the refusal
        return await hire_form(request, session, viewer, values, status_code=err.status, error=err.message,
                               existing_id=err.extra.get("person_id"))
    flash(request, "Đã đăng ký; quy trình tiếp nhận đã bắt đầu.")
    return redirect(f"/people/{person.id}")

"""A person's record and timeline, the CV form, and the search."""
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import CurrentUser, SessionDep, TemporalDep
from api.params import IdPath
from models.people import PERSON_KINDS, PERSON_STATUSES, REVISION_STATUSES
from services import catalogs, cv, exports, org, people, permissions, retirement, task_actions, tasks
from services.errors import DomainError, Forbidden
from services.scope import Viewer, readable_person
from services import archive  # the archive is read-only (services/archive.py)
from ui.routes.transfers import person_box  # the transfer block of the page
from services import unit_history
from ui.views import REVISION_KINDS
from ui.web import check_csrf, flash, redirect, render

router = APIRouter(include_in_schema=False)
BLANK_HISTORY_ROWS = 3
SEARCH_STATUSES = {"active": "Đang công tác", "archived": "Đã lưu trữ", "all": "Tất cả"}


def step_state(step: people.TimelineStep) -> tuple[str, str]:
    """(label, css class) of a timeline step."""
    if step.status == "cancelled":  # a cancelled transfer's step
        return "Đã hủy", "cancelled"
    if step.done_at is not None:
        return ("Đúng hạn", "ok") if step.on_time else ("Trễ hạn", "late")
    if step.on_time is False:
        return "Quá hạn", "overdue"
    return "Đang mở", "open"


@router.get("/people/{person_id}")
async def person_page(person_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep):
    person = await readable_person(viewer, person_id, session=session)
    revision = await people.working_revision(person.id, session=session)
    current = await people.current_revision(person, session=session)
    pending = revision if current is not None and revision is not None and revision.id != current.id else None
    steps = await people.timeline(viewer, person.id, session=session)
    return await render(
        request, "people/detail.html", viewer=viewer, person=person,
        unit=(await org.unit_names(session=session)).get(person.unit_id, ""), kinds=PERSON_KINDS, statuses=PERSON_STATUSES,
        sexes=cv.SEX, revision=revision, revision_status=REVISION_STATUSES.get(revision.status, "") if revision else "",
        current=current, pending=pending, revisions=await people.revisions(person.id, session=session),
        current_cv=permissions.shown_cv(viewer, person, current.data) if current else {},
        revision_cv=permissions.shown_cv(viewer, person, revision.data) if revision else {},
        revision_statuses=REVISION_STATUSES, revision_kinds=REVISION_KINDS,
        steps=[(s, *step_state(s)) for s in steps],
        retirement=retirement.facts(person) if person.status != "archived" else {},
        unit_history=await unit_history.of(viewer, person.id, session=session),  # services/unit_history.py
        **await person_box(viewer, person, session=session),  # ui/routes/transfers.py
        may_edit=permissions.edits_record(viewer, person) and current is None and not archive.is_archived(person),
        may_update_self=current is not None and viewer.person_id == person.id and not archive.is_archived(person),
        may_update_decision=(current is not None and permissions.is_hr_of(viewer, person.unit_id)
                             and not archive.is_archived(person)))


@router.get("/people/{person_id}/export.pdf")
async def export_pdf(person_id: IdPath, viewer: CurrentUser, session: SessionDep):
    """The approved CV with the head's and the agency's signatures (services.exports, as the JSON twin)."""
    filename, pdf = await exports.signed_cv(viewer, person_id, session=session)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# ---- the CV form ------------------------------------------------------------------------------

def parse_cv_form(form) -> dict[str, Any]:
    """The typed values, as typed (trimmed): a draft keeps everything, valid or not."""
    data: dict[str, Any] = {}
    for name in cv.FIELDS:
        if name != "work_history":
            data[name] = str(form.get(name) or "").strip()
    if re.fullmatch(r"[0-9]{1,3}", data["salary_step"]):  # ASCII digits: «²».isdigit() is true too
        data["salary_step"] = int(data["salary_step"])
    if not data["grade_name"] and data["grade_code"] in catalogs.GRADES:
        data["grade_name"] = catalogs.GRADES[data["grade_code"]][0]
    rows = sorted({int(key.rsplit("_", 1)[1]) for key in form.keys()
                   if key.startswith("wh_") and re.fullmatch(r"[0-9]{1,3}", key.rsplit("_", 1)[1])})
    history = []
    for number in rows:
        period = {part: str(form.get(f"wh_{part}_{number}") or "").strip() for part in ("from", "to", "description")}
        if any(period.values()):
            history.append(period)
    data["work_history"] = history
    return data


async def cv_form_page(request: Request, session, viewer: Viewer, person, data: dict, *, status_code: int = 200,
                       error: str | None = None, errors: dict | None = None):
    revision = await people.working_revision(person.id, session=session)
    history = list(data.get("work_history") or []) + [{} for _ in range(BLANK_HISTORY_ROWS)]
    return await render(
        request, "people/cv_form.html", status_code=status_code, viewer=viewer, person=person, data=data,
        history=history, fields=cv.FIELDS, sexes=cv.SEX,
        education_options=[(level, level) for level in catalogs.EDUCATION_LEVELS],
        theory_options=[(level, level) for level in catalogs.POLITICAL_THEORY],
        grade_options=[(code, f"{code} — {name}") for code, (name, _) in catalogs.GRADES.items()],
        grades_json=catalogs.GRADES, groups_json=catalogs.SALARY_GROUPS, revision=revision,
        revision_status=REVISION_STATUSES.get(revision.status, "") if revision else "",
        self_entry=await tasks.open_task_for(viewer, person.id, "self_entry", session=session) is not None,
        error=error, errors=errors or {})


@router.get("/people/{person_id}/cv")
async def cv_form(person_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep):
    person = await readable_person(viewer, person_id, session=session)
    if not permissions.edits_record(viewer, person):
        raise Forbidden("Chỉ cá nhân hoặc cán bộ tổ chức được sửa sơ yếu lý lịch.", "forbidden")
    archive.refuse_archived(person)
    revision = await people.working_revision(person.id, session=session)
    data = dict(revision.data) if revision else people.initial_cv(person)
    return await cv_form_page(request, session, viewer, person, data)


@router.post("/people/{person_id}/cv", dependencies=[Depends(check_csrf)])
async def save_cv(person_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep, client: TemporalDep):
    form = await request.form()
    await people.save_draft(viewer, person_id, parse_cv_form(form), session=session)
    if form.get("action") == "submit":
        # The draft is committed with this response; the browser posts the same form to the submission.
        return RedirectResponse(f"/people/{person_id}/cv/submit", status_code=307)
    flash(request, "Đã lưu nháp.")
    return redirect(f"/people/{person_id}/cv")


@router.post("/people/{person_id}/cv/submit", dependencies=[Depends(check_csrf)])
async def submit_cv(person_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep, client: TemporalDep):
    """«Lưu và nộp», after the save: completes the open self-entry task with the saved draft."""
    data = parse_cv_form(await request.form())
    person = await readable_person(viewer, person_id, session=session)
    task = await tasks.open_task_for(viewer, person_id, "self_entry", session=session)
    if task is None:
        return await cv_form_page(request, session, viewer, person, data, status_code=409, error=(
            "Đã lưu nháp, nhưng chưa nộp được: bạn không có nhiệm vụ «Tự nhập sơ yếu lý lịch» đang mở."))
    try:
        await task_actions.complete(client, session, viewer, task.id, "submit", {})
    except DomainError as err:
        await session.rollback()  # (task_actions ends its read transaction too: reload what the page shows)
        person = await readable_person(viewer, person_id, session=session)
        errors = dict(err.extra.get("errors") or {})
        if err.code == "citizen_id_mismatch":
            errors["citizen_id"] = err.message
        return await cv_form_page(request, session, viewer, person, data, status_code=err.status, errors=errors,
                                  error="Đã lưu nháp, nhưng chưa nộp được. " + (
                                      "Vui lòng sửa các mục được đánh dấu bên dưới." if errors else err.message))
    flash(request, "Đã nộp sơ yếu lý lịch; cán bộ tổ chức sẽ kiểm tra.")
    return redirect(f"/people/{person_id}")


# ---- search -----------------------------------------------------------------------------------

@router.get("/search")
async def search(request: Request, viewer: CurrentUser, session: SessionDep, q: str = "",
                 status: Annotated[str, Query()] = "active"):
    if status not in SEARCH_STATUSES:
        status = "active"
    found = await people.search(viewer, q, status, session=session)
    return await render(request, "search.html", viewer=viewer, q=q, status=status, statuses=SEARCH_STATUSES,
                        found=found, units=await org.unit_names(session=session), kinds=PERSON_KINDS,
                        person_statuses=PERSON_STATUSES)

"""One task: its deadline and legal basis, and the form of its kind for whoever may complete it.

Everything kind-specific (partial, extra context, form fields, messages) comes from the step's
module in services/steps; this page never names a kind.
"""
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.deps import CurrentUser, SessionDep, StateDep, TemporalDep
from api.params import IdPath
from models.people import REVISION_STATUSES
from services import auth, cv, org, people, permissions, steps, task_actions, tasks
from services.errors import DomainError
from ui.views import REVISION_KINDS, deadline_state, escalation_label
from ui.web import check_csrf, flash, redirect, render

router = APIRouter(include_in_schema=False)


async def task_page(request, session, viewer, task_id: int, *, status_code: int = 200, error: str | None = None,
                    errors: dict | None = None, form: dict | None = None):
    task, can_complete = await tasks.readable_task_and_candidacy(viewer, task_id, session=session)
    kind = steps.get(task.kind)
    person = await people.get(task.subject_person_id, session=session) if task.subject_person_id else None
    revision = await people.working_revision(person.id, session=session) if person else None
    extra = await kind.page_context(session, viewer, task, person) if kind.page_context else {}
    form = {**extra.pop("form_defaults", {}), **(form or {})}
    unit = await org.get_unit(task.unit_id, session=session)
    return await render(
        request, "tasks/detail.html", status_code=status_code, viewer=viewer, task=task, step=kind, person=person,
        unit=unit.name if unit else "", kind_label=kind.title, outcome_label=kind.outcome_label(task.outcome),
        state=deadline_state(task), escalation=escalation_label(task),
        candidates=await tasks.candidates_view(task.id, session=session),
        completed_by=await auth.get_user(task.completed_by_id, session=session) if task.completed_by_id else None,
        can_complete=can_complete,
        revision=revision, revision_status=REVISION_STATUSES.get(revision.status, "") if revision else "",
        revision_cv=permissions.shown_cv(viewer, person, revision.data) if revision else {},
        fields=cv.FIELDS, sexes=cv.SEX, error=error, errors=errors or {}, form=form,
        revision_kinds=REVISION_KINDS, **extra)


@router.get("/tasks/{task_id}")
async def show_task(task_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep):
    return await task_page(request, session, viewer, task_id)


@router.post("/tasks/{task_id}/complete", dependencies=[Depends(check_csrf)])
async def complete_task(task_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep,
                        client: TemporalDep):
    form = await request.form()
    outcome = str(form.get("outcome") or "")
    kind = steps.get((await tasks.readable_task(viewer, task_id, session=session)).kind)
    data, kept = kind.form_data(form)
    try:
        done = await task_actions.complete(client, session, viewer, task_id, outcome, data)
    except DomainError as err:
        await session.rollback()
        return await task_page(request, session, viewer, task_id, status_code=err.status, error=err.message,
                               errors=err.extra.get("errors") or {}, form=kept)
    if done.activation_code:
        # Shown once, on this response only: never stored, never put in a redirect or a flash.
        task = await tasks.readable_task(viewer, task_id, session=session)
        person = await people.get(task.subject_person_id, session=session)
        page = await render(request, "tasks/activation.html", viewer=viewer, task=task, person=person,
                            username=done.result.result.get("username"), code=done.activation_code)
        page.headers["Cache-Control"] = "no-store"
        return page
    flash(request, f"Đã hoàn thành nhiệm vụ: {kind.done_message(kind, done.result)}.")
    return redirect(f"/tasks/{task_id}")


@router.post("/tasks/{task_id}/preview", dependencies=[Depends(check_csrf)])
async def preview_document(task_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep,
                           state: StateDep):
    """The PDF the viewer would sign with the choices on the form, byte for byte what is then signed."""
    form = await request.form()
    kind = steps.get((await tasks.readable_task(viewer, task_id, session=session)).kind)
    data, kept = kind.form_data(form)
    try:
        pdf = await tasks.preview_document(state.settings, viewer, task_id, str(form.get("outcome") or ""), data,
                                           session=session, now=datetime.now(UTC))
    except DomainError as err:
        await session.rollback()
        return await task_page(request, session, viewer, task_id, status_code=err.status, error=err.message,
                               errors=err.extra.get("errors") or {}, form=kept)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="xem-truoc-nhiem-vu-{task_id}.pdf"', "Cache-Control": "no-store"})

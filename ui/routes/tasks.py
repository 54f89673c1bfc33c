"""One task: its deadline and legal basis, and the form of its kind for whoever may complete it."""
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select

from api.deps import CurrentUser, SessionDep, TemporalDep
from models import Person, TaskCandidate, User
from models.people import REVISION_STATUSES
from models.tasks import TASK_KINDS
from services import cv, people, task_actions, tasks
from services.errors import DomainError
from services.tasks import OUTCOMES
from ui.views import deadline_state, escalation_label, suggest_username, unit_names
from ui.web import check_csrf, flash, redirect, render

router = APIRouter(include_in_schema=False)


async def task_page(request, session, viewer, task_id: int, *, status_code: int = 200, error: str | None = None,
                    errors: dict | None = None, form: dict | None = None):
    task = await tasks.readable_task(session, viewer, task_id)
    person = await session.get(Person, task.subject_person_id) if task.subject_person_id else None
    candidates = (await session.execute(
        select(User.username, User.full_name, TaskCandidate.reason, TaskCandidate.can_complete)
        .join(User, User.id == TaskCandidate.user_id).where(TaskCandidate.task_id == task.id)
        .order_by(TaskCandidate.can_complete.desc(), User.username))).all()
    completed_by = await session.get(User, task.completed_by_id) if task.completed_by_id else None
    revision = await people.working_revision(session, person.id) if person else None
    form = form or {}
    if task.kind == "create_account" and person and "username" not in form:
        form["username"] = suggest_username(person.full_name)
    return await render(
        request, "tasks/detail.html", status_code=status_code, viewer=viewer, task=task, person=person,
        unit=(await unit_names(session)).get(task.unit_id, ""), kind_label=TASK_KINDS.get(task.kind, task.kind),
        outcome_label=OUTCOMES.get(task.kind, {}).get(task.outcome or "", task.outcome),
        state=deadline_state(task), escalation=escalation_label(task), candidates=candidates,
        completed_by=completed_by, can_complete=await tasks.can_complete(session, viewer, task),
        revision=revision, revision_status=REVISION_STATUSES.get(revision.status, "") if revision else "",
        fields=cv.FIELDS, sexes=cv.SEX, error=error, errors=errors or {}, form=form)


@router.get("/tasks/{task_id}")
async def show_task(task_id: int, request: Request, viewer: CurrentUser, session: SessionDep):
    return await task_page(request, session, viewer, task_id)


@router.post("/tasks/{task_id}/complete", dependencies=[Depends(check_csrf)])
async def complete_task(task_id: int, request: Request, viewer: CurrentUser, session: SessionDep,
                        client: TemporalDep, outcome: Annotated[str, Form()] = "",
                        username: Annotated[str, Form()] = "", comment: Annotated[str, Form()] = ""):
    data = {"username": username} if username else {}
    if comment:
        data["comment"] = comment
    try:
        done = await task_actions.complete(client, session, viewer, task_id, outcome, data)
    except DomainError as err:
        await session.rollback()
        return await task_page(request, session, viewer, task_id, status_code=err.status, error=err.message,
                               errors=err.extra.get("errors") or {}, form={"username": username, "comment": comment})
    if done.activation_code:
        # Shown once, on this response only: never stored, never put in a redirect or a flash.
        task = await tasks.readable_task(session, viewer, task_id)
        person = await session.get(Person, task.subject_person_id)
        page = await render(request, "tasks/activation.html", viewer=viewer, task=task, person=person,
                            username=done.result.result.get("username"), code=done.activation_code)
        page.headers["Cache-Control"] = "no-store"
        return page
    label = next((labels[outcome] for labels in OUTCOMES.values() if outcome in labels), outcome)
    flash(request, f"Đã hoàn thành nhiệm vụ: {label}.")
    return redirect(f"/tasks/{task_id}")

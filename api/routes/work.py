from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import Field

from api.deps import CurrentUser, SessionDep, StateDep, TemporalDep
from api.params import MAX_ID, IdPath
from api.schemas import (Activation, Body, CompletedTask, CvData, DraftSaved, Hired, PersonRecord, PersonView,
                         StepView, TaskData, TaskDetail, TaskView, cv_data, errors)
from api.views import completed_view, person_record, person_view, step_view, task_detail, task_view
from rules.clock import local_date
from services import onboarding, people, permissions, revisions, task_actions, tasks
from services.scope import readable_person
from api.schemas import UnitPeriodView  # the unit history (services/unit_history.py)
from services import unit_history

router = APIRouter(prefix="/api", tags=["work"], responses=errors(401, 403, 404, 409, 422, 503))


class CompleteBody(Body):
    outcome: str = Field(max_length=32)
    data: TaskData = TaskData()


@router.post("/hires", status_code=201)
async def register_hire(body: people.HireInput, viewer: CurrentUser, session: SessionDep, state: StateDep,
                        client: TemporalDep) -> Hired:
    person = await onboarding.hire(client, state.task_queue, session, viewer, body,
                                   profile_name=state.settings.profile, today=local_date(datetime.now(UTC)))
    return Hired(person_id=person.id, workflow_id=f"onboarding/{person.id}")


TOTAL_COUNT = {"X-Total-Count": {"description": "How many tasks all the pages hold",
                                  "schema": {"type": "integer"}}}


@router.get("/tasks", responses={200: {"headers": TOTAL_COUNT}})
async def list_tasks(viewer: CurrentUser, session: SessionDep, response: Response,
                     scope: Literal["mine", "unit"] = "mine", status: Literal["open", "done", "all"] = "open",
                     overdue: bool = False, due_soon: bool = False,
                     limit: Annotated[int, Query(ge=1, le=tasks.MAX_PAGE_SIZE)] = tasks.PAGE_SIZE,
                     offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> list[TaskView]:
    """One page of the inbox, by due date (none last), then id: `limit` tasks from the `offset`-th."""
    page = await tasks.inbox(viewer, scope=scope, status=status, overdue=overdue, due_soon=due_soon,
                             limit=limit, offset=offset, session=session)
    response.headers["X-Total-Count"] = str(page.total)
    return [task_view(row, row.assignees) for row in page.rows]


@router.get("/tasks/{task_id}")
async def get_task(task_id: IdPath, viewer: CurrentUser, session: SessionDep) -> TaskDetail:
    task = await tasks.readable_task(viewer, task_id, session=session)
    names = await tasks.assignee_names([task.id], session=session)
    return task_detail(task, names.get(task.id, []))


@router.post("/tasks/{task_id}/complete")
async def complete_task(task_id: IdPath, body: CompleteBody, viewer: CurrentUser, session: SessionDep,
                        client: TemporalDep) -> CompletedTask:
    done = await task_actions.complete(client, session, viewer, task_id, body.outcome,
                                       body.data.model_dump(exclude_none=True))
    task = await tasks.readable_task(viewer, task_id, session=session)
    names = await tasks.assignee_names([task.id], session=session)
    activation = (Activation(username=done.result.result.get("username"), code=done.activation_code)
                  if done.activation_code else None)
    return completed_view(task, names.get(task.id, []), activation)


@router.get("/people/{person_id}")
async def get_person(person_id: IdPath, viewer: CurrentUser, session: SessionDep) -> PersonRecord:
    """`cv` is the approved version everyone sees; `working` is the newest revision, shown to the
    person and to HR while it waits for review or approval."""
    person = await readable_person(viewer, person_id, session=session)
    current = await people.current_revision(person, session=session)
    revision = await people.working_revision(person.id, session=session)
    sees_work = permissions.sees_work_in_progress(viewer, person)
    record = person_record(viewer, person, current, revision if sees_work and revision is not current else None)
    record.units = [UnitPeriodView.model_validate(p) for p in await unit_history.of(viewer, person.id, session=session)]
    return record


@router.get("/people/{person_id}/timeline")
async def person_timeline(person_id: IdPath, viewer: CurrentUser, session: SessionDep) -> list[StepView]:
    return [step_view(step) for step in await people.timeline(viewer, person_id, session=session)]


@router.put("/people/{person_id}/cv")
async def save_cv_draft(person_id: IdPath, body: CvData, viewer: CurrentUser, session: SessionDep) -> DraftSaved:
    """Save the CV as a draft; any time, valid or not. Submitting is completing the self-entry task."""
    revision = await people.save_draft(viewer, person_id, cv_data(body), session=session)
    return DraftSaved(revision_id=revision.id, number=revision.number, status=revision.status,
                      data=await revisions.shown_data(viewer, revision, session=session))


@router.get("/search")
async def search(viewer: CurrentUser, session: SessionDep, q: Annotated[str, Query(max_length=200)] = "",
                 status: Literal["active", "archived", "all"] = "active") -> list[PersonView]:
    return [person_view(p) for p in await people.search(viewer, q, status, session=session)]

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import CurrentUser, SessionDep, StateDep, TemporalDep
from api.views import person_view, step_view, task_detail, task_view
from rules.clock import local_date
from services import onboarding, people, task_actions, tasks
from models import ProfileRevision
from services.scope import readable_person

router = APIRouter(prefix="/api", tags=["work"])


class HireBody(BaseModel):
    full_name: str
    sex: str
    date_of_birth: date
    citizen_id: str
    unit_id: int
    hired_on: date
    kind: str
    email: str | None = None


class CompleteBody(BaseModel):
    outcome: str
    data: dict[str, Any] = {}


@router.post("/hires", status_code=201)
async def register_hire(body: HireBody, viewer: CurrentUser, session: SessionDep, state: StateDep,
                        client: TemporalDep) -> dict:
    person = await onboarding.hire(client, state.task_queue, session, viewer, people.HireInput(**body.model_dump()),
                                   profile_name=state.settings.profile, today=local_date(datetime.now(UTC)))
    return {"person_id": person.id, "workflow_id": f"onboarding/{person.id}"}


@router.get("/tasks")
async def list_tasks(viewer: CurrentUser, session: SessionDep, scope: str = Query("mine", pattern="^(mine|unit)$"),
                     status: str = Query("open", pattern="^(open|done|all)$"), overdue: bool = False,
                     due_soon: bool = False) -> list[dict]:
    rows = await tasks.list_tasks(session, viewer, scope=scope, status=status, overdue=overdue, due_soon=due_soon)
    names = await tasks.assignee_names(session, [t.id for t in rows])
    return [task_view(t, names.get(t.id, [])) for t in rows]


@router.get("/tasks/{task_id}")
async def get_task(task_id: int, viewer: CurrentUser, session: SessionDep) -> dict:
    task = await tasks.readable_task(session, viewer, task_id)
    names = await tasks.assignee_names(session, [task.id])
    return task_detail(task, names.get(task.id, []))


@router.post("/tasks/{task_id}/complete")
async def complete_task(task_id: int, body: CompleteBody, viewer: CurrentUser, session: SessionDep,
                        client: TemporalDep) -> dict:
    done = await task_actions.complete(client, session, viewer, task_id, body.outcome, body.data)
    task = await tasks.readable_task(session, viewer, task_id)
    names = await tasks.assignee_names(session, [task.id])
    view = task_detail(task, names.get(task.id, []))
    if done.activation_code:
        view["activation"] = {"username": done.result.result.get("username"), "code": done.activation_code}
    return view


@router.get("/people/{person_id}")
async def get_person(person_id: int, viewer: CurrentUser, session: SessionDep) -> dict:
    """`cv` is the approved version everyone sees; `working` is the newest revision, shown to the
    person and to HR while it waits for review or approval."""
    person = await readable_person(session, viewer, person_id)
    view = person_view(person)
    current = await session.get(ProfileRevision, person.current_revision_id) if person.current_revision_id else None
    view["cv"] = _revision(current)
    revision = await people.working_revision(session, person.id)
    sees_work = viewer.person_id == person.id or viewer.has("unit_hr") or viewer.province_wide
    view["working"] = _revision(revision) if sees_work and revision and revision is not current else None
    return view


def _revision(revision) -> dict | None:
    if revision is None:
        return None
    return {"id": revision.id, "number": revision.number, "status": revision.status, "kind": revision.kind,
            "data": revision.data, "review_comment": revision.review_comment}


@router.get("/people/{person_id}/timeline")
async def person_timeline(person_id: int, viewer: CurrentUser, session: SessionDep) -> list[dict]:
    return [step_view(step) for step in await people.timeline(session, viewer, person_id)]


@router.put("/people/{person_id}/cv")
async def save_cv_draft(person_id: int, body: dict[str, Any], viewer: CurrentUser, session: SessionDep) -> dict:
    """Save the CV as a draft; any time, valid or not. Submitting is completing the self-entry task."""
    revision = await people.save_draft(session, viewer, person_id, body)
    return {"revision_id": revision.id, "number": revision.number, "status": revision.status, "data": revision.data}


@router.get("/search")
async def search(viewer: CurrentUser, session: SessionDep, q: str = "",
                 status: str = Query("active", pattern="^(active|archived|all)$")) -> list[dict]:
    return [person_view(p) for p in await people.search(session, viewer, q, status)]

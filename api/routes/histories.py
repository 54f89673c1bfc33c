"""Sở Nội vụ's audit of how each process ran: the workflows about a person and a run's history,
read from Temporal (services/histories.py)."""
from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import CurrentUser, SessionDep, TemporalDep
from api.params import IdPath
from api.schemas import WorkflowHistoryView, WorkflowRunView, errors
from services import histories

router = APIRouter(prefix="/api/audit", tags=["audit"], responses=errors(401, 404, 422, 503))
WorkflowId = Annotated[str, Path(max_length=128, description="A workflow's business id, e.g. onboarding/12")]


@router.get("/people/{person_id}/workflows")
async def person_workflows(person_id: IdPath, viewer: CurrentUser, session: SessionDep,
                           client: TemporalDep) -> list[WorkflowRunView]:
    runs = await histories.person_workflows(viewer, person_id, session=session, client=client)
    return [WorkflowRunView.model_validate(run) for run in runs]


@router.get("/workflows/{workflow_id:path}/history")
async def workflow_history(workflow_id: WorkflowId, viewer: CurrentUser, session: SessionDep,
                           client: TemporalDep) -> WorkflowHistoryView:
    found = await histories.history(viewer, workflow_id, session=session, client=client)
    return WorkflowHistoryView.model_validate(found)

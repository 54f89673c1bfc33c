"""Pages of the audit of how a process ran: a person's workflows, one run's history (services/histories.py)."""
from fastapi import APIRouter, Request

from api.deps import CurrentUser, SessionDep, TemporalDep
from api.params import IdPath
from services import histories
from services.scope import readable_person
from ui.web import render

router = APIRouter(include_in_schema=False)


@router.get("/people/{person_id}/workflows")
async def person_workflows(person_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep,
                           client: TemporalDep):
    person = await readable_person(viewer, person_id, session=session)
    runs = await histories.person_workflows(viewer, person.id, session=session, client=client)
    return await render(request, "histories/list.html", viewer=viewer, person=person, runs=runs)


@router.get("/audit/workflows/{workflow_id:path}")
async def workflow_history(workflow_id: str, request: Request, viewer: CurrentUser, session: SessionDep,
                           client: TemporalDep):
    found = await histories.history(viewer, workflow_id[:200], session=session, client=client)
    return await render(request, "histories/detail.html", viewer=viewer, history=found,
                        shown=[e for e in found.events if e.reading])

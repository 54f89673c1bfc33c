"""Unit mergers and dissolutions (the 2025 reorganisation): Sở Nội vụ's administrator names the old unit, the
successor, the date and the decision; the workflow `merger/{id}` moves everyone of the old unit and its sub-units
to the successor and closes them. The progress (`moved` of `total`) is read here while it runs.

The bodies and views of these routes are declared here, next to them, as api/schemas.py's View."""
from datetime import UTC, date, datetime

from fastapi import APIRouter
from pydantic import Field

from api.deps import CurrentUser, SessionDep, StateDep, TemporalDep
from api.params import IdField, IdPath
from api.schemas import Body, View, VnTime, errors
from models import Merger
from models.transfers import MERGER_STATUSES
from rules.clock import local_date
from services import mergers, org, permissions

router = APIRouter(prefix="/api/mergers", tags=["mergers"], responses=errors(401, 403, 404, 409, 422, 503))


class MergerBody(Body):
    from_unit_id: IdField = Field(description="The unit merged or dissolved (its sub-units go with it)")
    to_unit_id: IdField = Field(description="The successor, which receives everyone")
    effective_on: date = Field(description="People move on this day; the old unit ends the day before")
    decision_no: str = Field(max_length=1000, description="The decision's number, at most 64 characters")


class MergerStarted(View):
    merger_id: int
    workflow_id: str


class MergerView(View):
    id: int
    from_unit_id: int
    from_unit_name: str
    to_unit_id: int
    to_unit_name: str
    effective_on: date
    decision_no: str
    status: str = Field(description="running, done")
    status_label: str
    workflow_id: str | None
    total: int = Field(description="People to move: those moved plus those still in the old unit or below")
    moved: int
    created_at: VnTime
    finished_at: VnTime | None


def merger_view(merger: Merger, names: dict[int, str]) -> MergerView:
    return MergerView(
        id=merger.id, from_unit_id=merger.from_unit_id, from_unit_name=names.get(merger.from_unit_id, ""),
        to_unit_id=merger.to_unit_id, to_unit_name=names.get(merger.to_unit_id, ""), effective_on=merger.effective_on,
        decision_no=merger.decision_no, status=merger.status,
        status_label=MERGER_STATUSES.get(merger.status, merger.status), workflow_id=merger.workflow_id,
        total=merger.total, moved=merger.moved, created_at=merger.created_at, finished_at=merger.finished_at)


@router.post("", status_code=201)
async def start_merger(body: MergerBody, viewer: CurrentUser, session: SessionDep, state: StateDep,
                       client: TemporalDep) -> MergerStarted:
    """Only Sở Nội vụ's administrator. Refused (nothing stored): the successor is the old unit, below it or
    closed (422); the old unit is closed or already being merged (409); the date is more than two years back or
    one year ahead (422)."""
    permissions.require(viewer, permissions.ADMINISTERS)
    merger = await mergers.start(client, state.task_queue, viewer, mergers.MergerRequest(**body.model_dump()),
                                 session=session, today=local_date(datetime.now(UTC)))
    return MergerStarted(merger_id=merger.id, workflow_id=merger.workflow_id)


@router.get("")
async def list_mergers(viewer: CurrentUser, session: SessionDep) -> list[MergerView]:
    """Newest first: every merger for the province roles; for a unit's HR and head, those from or to their units."""
    names = await org.unit_names(session=session)
    return [merger_view(m, names) for m in await mergers.list_mergers(viewer, session=session)]


@router.get("/{merger_id}")
async def get_merger(merger_id: IdPath, viewer: CurrentUser, session: SessionDep) -> MergerView:
    merger = await mergers.readable_merger(viewer, merger_id, session=session)
    return merger_view(merger, await org.unit_names(session=session))

from datetime import UTC, date, datetime
from typing import Literal

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import Field

from api.deps import CurrentUser, SessionDep, StateDep, TemporalDep
from api.params import IdField, IdPath, IdQuery
from api.schemas import (PDF, ApprovalView, AttachmentView, DelegationCreated, DelegationRevoked, DelegationView,
                         DiffView, MonthApproval, Outbox, OutboxRow, RevisionView, UnitMonthState, UpdateStarted,
                         Body, CvData, TaskData, cv_data, errors)
from api.views import approval_view, no_approval, revision_view
from services import (approvals, delegations, documents, exports, national_sync, people, permissions, revisions, tasks,
                      updates)
from services.errors import Invalid, NotFound
from services.scope import readable_person
from rules.clock import local_date

router = APIRouter(prefix="/api", tags=["records"], responses=errors(401, 403, 404, 409, 422, 503))

MONTH = Query(..., pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")


class UpdateBody(Body):
    kind: Literal["update_personal", "update_state_decision"]
    change_date: date
    reason: str = Field(max_length=2000)
    decision_no: str | None = Field(default=None, max_length=64)
    data: CvData = CvData()


class DelegationBody(Body):
    unit_id: IdField
    delegate: str = Field(max_length=64)
    document_no: str = Field(max_length=64)
    valid_from: date
    valid_to: date


def _pdf(content: bytes, filename: str) -> Response:
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.post("/people/{person_id}/updates", status_code=201)
async def start_update(person_id: IdPath, body: UpdateBody, viewer: CurrentUser, session: SessionDep, state: StateDep,
                       client: TemporalDep) -> UpdateStarted:
    revision = await updates.start(client, state.task_queue, session, viewer, person_id, kind=body.kind,
                                   change_date=body.change_date, reason=body.reason, data=cv_data(body.data),
                                   decision_no=body.decision_no, today=local_date(datetime.now(UTC)))
    return UpdateStarted(revision_id=revision.id, workflow_id=revision.workflow_id)


@router.get("/people/{person_id}/revisions")
async def list_revisions(person_id: IdPath, viewer: CurrentUser, session: SessionDep) -> list[RevisionView]:
    person = await readable_person(viewer, person_id, session=session)
    return [revision_view(r, data=permissions.shown_cv(viewer, person, r.data))
            for r in await people.revisions(person.id, session=session)]


@router.get("/revisions/{revision_id}")
async def get_revision(revision_id: IdPath, viewer: CurrentUser, session: SessionDep) -> RevisionView:
    revision = await revisions.readable_revision(viewer, revision_id, session=session)
    return revision_view(revision, await documents.of_revision(revision.id, session=session),
                         data=await revisions.shown_data(viewer, revision, session=session))


@router.put("/revisions/{revision_id}")
async def edit_revision(revision_id: IdPath, body: CvData, viewer: CurrentUser,
                        session: SessionDep) -> RevisionView:
    """The author edits a draft; HR corrects a submitted one before approval (recorded per field)."""
    revision = await revisions.readable_revision(viewer, revision_id, session=session)
    if revision.status in ("submitted", "ready"):  # HR's correction (refused once ready)
        revision = await revisions.correct(viewer, revision_id, cv_data(body), session=session)
    else:
        revision = await people.save_draft(viewer, revision.person_id, cv_data(body), session=session)
    return revision_view(revision, await documents.of_revision(revision.id, session=session),
                         data=await revisions.shown_data(viewer, revision, session=session))


@router.post("/revisions/{revision_id}/attachments", status_code=201)
async def upload(revision_id: IdPath, viewer: CurrentUser, session: SessionDep, state: StateDep,
                 file: UploadFile = File(...)) -> AttachmentView:
    content = await file.read(state.settings.attachment_max_bytes + 1)
    attachment = await documents.attach(viewer, revision_id, file.filename or "", content,
                                        max_bytes=state.settings.attachment_max_bytes, session=session)
    return AttachmentView.model_validate(attachment)


@router.get("/revisions/{revision_id}/diff")
async def revision_diff(revision_id: IdPath, viewer: CurrentUser, session: SessionDep) -> list[DiffView]:
    return [DiffView.model_validate(d) for d in await revisions.diff(viewer, revision_id, session=session)]


@router.get("/approvals")
async def get_approval(viewer: CurrentUser, session: SessionDep, unit_id: IdQuery,
                       month: str = MONTH) -> ApprovalView | MonthApproval:
    """The unit's approval of the month; `status` "none" (and fewer fields) when it has none."""
    approval = await approvals.find(viewer, unit_id, month, session=session)
    if approval is None:
        return no_approval(unit_id, month)
    return approval_view(approval, await approvals.items_view(approval.id, session=session))


@router.get("/approvals/overview")
async def approvals_overview(viewer: CurrentUser, session: SessionDep, month: str = MONTH) -> list[UnitMonthState]:
    permissions.require(viewer, permissions.SEES_APPROVALS)
    return [UnitMonthState(unit_id=row["unit"].id, unit=row["unit"].name, state=row["state"],
                           approval_id=row["approval"].id if row["approval"] else None)
            for row in await approvals.month_overview(viewer, month, session=session)]


@router.get("/approvals/{approval_id}/signed.pdf", response_class=Response, responses=PDF)
async def signed_pdf(approval_id: IdPath, viewer: CurrentUser, session: SessionDep) -> Response:
    approval = await approvals.readable_approval(viewer, approval_id, signed=True, session=session)
    return _pdf(approval.signed_pdf, f"phe-duyet-{approval.month}-{approval.unit_id}.pdf")


class PreviewBody(Body):
    outcome: str = Field(max_length=32)
    data: TaskData = TaskData()


@router.post("/tasks/{task_id}/preview", response_class=Response, responses=PDF)
async def preview_task_document(task_id: IdPath, body: PreviewBody, viewer: CurrentUser, session: SessionDep,
                                state: StateDep) -> Response:
    """The PDF the viewer would sign by completing the task with this outcome and data (the monthly batch: its
    decisions and reasons), byte for byte what the signature covers while the batch stays as it is."""
    pdf = await tasks.preview_document(state.settings, viewer, task_id, body.outcome,
                                       body.data.model_dump(exclude_none=True), session=session, now=datetime.now(UTC))
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="xem-truoc-nhiem-vu-{task_id}.pdf"'})


@router.get("/people/{person_id}/export.pdf", response_class=Response, responses=PDF)
async def export_pdf(person_id: IdPath, viewer: CurrentUser, session: SessionDep) -> Response:
    filename, pdf = await exports.signed_cv(viewer, person_id, session=session)
    return _pdf(pdf, filename)


@router.post("/delegations", status_code=201)
async def create_delegation(body: DelegationBody, viewer: CurrentUser, session: SessionDep,
                            client: TemporalDep) -> DelegationCreated:
    if not viewer.sees_unit(body.unit_id):
        raise Invalid("Đơn vị nằm ngoài phạm vi của bạn.", "unit_out_of_scope")
    delegation = await delegations.create(viewer, unit_id=body.unit_id, delegate_username=body.delegate,
                                          document_no=body.document_no, valid_from=body.valid_from,
                                          valid_to=body.valid_to, client=client, session=session)
    return DelegationCreated.model_validate(delegation)


@router.post("/delegations/{delegation_id}/revoke")
async def revoke_delegation(delegation_id: IdPath, viewer: CurrentUser, session: SessionDep,
                            client: TemporalDep) -> DelegationRevoked:
    return DelegationRevoked.model_validate(await delegations.revoke(viewer, delegation_id, client=client, session=session))


@router.get("/delegations")
async def list_delegations(unit_id: IdQuery, viewer: CurrentUser, session: SessionDep) -> list[DelegationView]:
    if not viewer.sees_unit(unit_id):
        raise NotFound("Đơn vị nằm ngoài phạm vi của bạn.", "unit_out_of_scope")
    return [DelegationView.model_validate(d) for d in await delegations.of_unit(unit_id, session=session)]


@router.get("/sync/outbox")
async def outbox(viewer: CurrentUser, session: SessionDep,
                 status: Literal["pending", "sent", "failed"] | None = None) -> Outbox:
    permissions.require(viewer, permissions.SEES_OUTBOX)
    return Outbox(summary=await national_sync.summary(session=session),
                  rows=[OutboxRow.model_validate(r) for r in await national_sync.rows(status, session=session)])

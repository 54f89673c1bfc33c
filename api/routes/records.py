from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select

from api.deps import CurrentUser, SessionDep, StateDep, TemporalDep, require
from api.views import iso
from models import Approval, ProfileRevision
from services import approvals, delegations, documents, exports, national_sync, revisions, updates
from services.errors import Invalid, NotFound
from services.scope import readable_person
from rules.clock import local_date

router = APIRouter(prefix="/api", tags=["records"])


class UpdateBody(BaseModel):
    kind: str
    change_date: date
    reason: str
    decision_no: str | None = None
    data: dict[str, Any] = {}


class DelegationBody(BaseModel):
    unit_id: int
    delegate: str
    document_no: str
    valid_from: date
    valid_to: date


def revision_view(revision: ProfileRevision, files=()) -> dict:
    return {"id": revision.id, "person_id": revision.person_id, "number": revision.number, "kind": revision.kind,
            "status": revision.status, "change_date": iso(revision.change_date), "change_reason": revision.change_reason,
            "decision_no": revision.decision_no, "workflow_id": revision.workflow_id, "data": revision.data,
            "review_comment": revision.review_comment, "submitted_at": iso(revision.submitted_at),
            "approved_at": iso(revision.approved_at),
            "attachments": [{"id": f.id, "filename": f.filename, "content_type": f.content_type, "size": f.size,
                             "sha256": f.sha256} for f in files]}


@router.post("/people/{person_id}/updates", status_code=201)
async def start_update(person_id: int, body: UpdateBody, viewer: CurrentUser, session: SessionDep, state: StateDep,
                       client: TemporalDep) -> dict:
    revision = await updates.start(client, state.task_queue, session, viewer, person_id, kind=body.kind,
                                   change_date=body.change_date, reason=body.reason, data=body.data,
                                   decision_no=body.decision_no, today=local_date(datetime.now(UTC)))
    return {"revision_id": revision.id, "workflow_id": revision.workflow_id}


@router.get("/people/{person_id}/revisions")
async def list_revisions(person_id: int, viewer: CurrentUser, session: SessionDep) -> list[dict]:
    person = await readable_person(session, viewer, person_id)
    rows = (await session.execute(select(ProfileRevision).where(ProfileRevision.person_id == person.id)
                                  .order_by(ProfileRevision.number))).scalars()
    return [revision_view(r) for r in rows]


@router.get("/revisions/{revision_id}")
async def get_revision(revision_id: int, viewer: CurrentUser, session: SessionDep) -> dict:
    revision = await revisions.readable_revision(session, viewer, revision_id)
    return revision_view(revision, await documents.of_revision(session, revision.id))


@router.put("/revisions/{revision_id}")
async def edit_revision(revision_id: int, body: dict[str, Any], viewer: CurrentUser, session: SessionDep) -> dict:
    """The author edits a draft; HR corrects a submitted one before approval (recorded per field)."""
    revision = await revisions.readable_revision(session, viewer, revision_id)
    if revision.status in ("submitted", "ready"):  # HR's correction (refused once ready)
        revision = await revisions.correct(session, viewer, revision_id, body)
    else:
        from services import people
        revision = await people.save_draft(session, viewer, revision.person_id, body)
    return revision_view(revision, await documents.of_revision(session, revision.id))


@router.post("/revisions/{revision_id}/attachments", status_code=201)
async def upload(revision_id: int, viewer: CurrentUser, session: SessionDep, state: StateDep,
                 file: UploadFile = File(...)) -> dict:
    content = await file.read(state.settings.attachment_max_bytes + 1)
    attachment = await documents.attach(session, viewer, revision_id, file.filename or "", content,
                                        max_bytes=state.settings.attachment_max_bytes)
    return {"id": attachment.id, "filename": attachment.filename, "content_type": attachment.content_type,
            "size": attachment.size, "sha256": attachment.sha256}


@router.get("/revisions/{revision_id}/diff")
async def revision_diff(revision_id: int, viewer: CurrentUser, session: SessionDep) -> list[dict]:
    return [{"field": d.field, "label": d.label, "old": d.old, "new": d.new, "changed_by": d.changed_by}
            for d in await revisions.diff(session, viewer, revision_id)]


@router.get("/approvals")
async def get_approval(viewer: CurrentUser, session: SessionDep, unit_id: int,
                       month: str = Query(..., pattern=r"^\d{4}-(0[1-9]|1[0-2])$")) -> dict:
    approval = await approvals.find(session, viewer, unit_id, month)
    if approval is None:
        return {"unit_id": unit_id, "month": month, "status": "none", "due_at": None, "revisions": [],
                "signed_pdf_url": None, "late": False}
    return approval_view(approval, await approvals.items_view(session, approval.id))


def approval_view(approval: Approval, items: list[dict]) -> dict:
    return {"id": approval.id, "unit_id": approval.unit_id, "month": approval.month, "status": approval.status,
            "opens_on": iso(approval.opens_on), "due_on": iso(approval.due_on), "due_at": iso(approval.due_at),
            "legal_basis": approval.legal_basis, "late": approval.late, "signed_at": iso(approval.signed_at),
            "signed_as": approval.signed_as, "revisions": items, "workflow_id": approval.workflow_id,
            "signed_pdf_sha256": approval.signed_pdf_sha256,
            "signed_pdf_url": f"/api/approvals/{approval.id}/signed.pdf" if approval.signed_pdf else None}


@router.get("/approvals/overview")
async def approvals_overview(viewer: CurrentUser, session: SessionDep,
                             month: str = Query(..., pattern=r"^\d{4}-(0[1-9]|1[0-2])$")) -> list[dict]:
    require(viewer, "sonoivu_admin", "sonoivu_director", "auditor", "unit_head", "unit_hr")
    return [{"unit_id": row["unit"].id, "unit": row["unit"].name, "state": row["state"],
             "approval_id": row["approval"].id if row["approval"] else None}
            for row in await approvals.month_overview(session, viewer, month)]


@router.get("/approvals/{approval_id}/signed.pdf")
async def signed_pdf(approval_id: int, viewer: CurrentUser, session: SessionDep) -> Response:
    approval = await session.get(Approval, approval_id)
    if approval is None or not viewer.sees_unit(approval.unit_id) or not approval.signed_pdf:
        raise NotFound("Không tìm thấy bản phê duyệt đã ký.", "approval_not_found")
    return Response(approval.signed_pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="phe-duyet-{approval.month}-{approval.unit_id}.pdf"'})


@router.get("/people/{person_id}/export.pdf")
async def export_pdf(person_id: int, viewer: CurrentUser, session: SessionDep, state: StateDep) -> Response:
    filename, pdf = await exports.signed_cv(session, state.settings, viewer, person_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.post("/delegations", status_code=201)
async def create_delegation(body: DelegationBody, viewer: CurrentUser, session: SessionDep,
                            client: TemporalDep) -> dict:
    if not viewer.sees_unit(body.unit_id):
        raise Invalid("Đơn vị nằm ngoài phạm vi của bạn.", "unit_out_of_scope")
    delegation = await delegations.create(session, viewer, unit_id=body.unit_id, delegate_username=body.delegate,
                                          document_no=body.document_no, valid_from=body.valid_from,
                                          valid_to=body.valid_to, client=client)
    return {"id": delegation.id, "document_no": delegation.document_no}


@router.post("/delegations/{delegation_id}/revoke")
async def revoke_delegation(delegation_id: int, viewer: CurrentUser, session: SessionDep,
                            client: TemporalDep) -> dict:
    delegation = await delegations.revoke(session, viewer, delegation_id, client=client)
    return {"id": delegation.id, "revoked_at": iso(delegation.revoked_at)}


@router.get("/delegations")
async def list_delegations(unit_id: int, viewer: CurrentUser, session: SessionDep) -> list[dict]:
    if not viewer.sees_unit(unit_id):
        raise NotFound("Đơn vị nằm ngoài phạm vi của bạn.", "unit_out_of_scope")
    return [{"id": d.id, "delegate_id": d.delegate_id, "document_no": d.document_no, "valid_from": iso(d.valid_from),
             "valid_to": iso(d.valid_to), "revoked_at": iso(d.revoked_at)}
            for d in await delegations.of_unit(session, unit_id)]


@router.get("/sync/outbox")
async def outbox(viewer: CurrentUser, session: SessionDep, status: str | None = None) -> dict:
    require(viewer, "sonoivu_admin", "auditor")
    return {"summary": await national_sync.summary(session),
            "rows": [{"id": r.id, "revision_id": r.revision_id, "person_id": r.person_id, "status": r.status,
                      "attempts": r.attempts, "last_error": r.last_error, "sent_at": iso(r.sent_at),
                      "idempotency_key": r.idempotency_key}
                     for r in await national_sync.rows(session, status)]}

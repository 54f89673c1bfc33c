"""The audit log as Sở Nội vụ checks it: the hash chain's verification and the log of a period, sealed
(docs/data-protection.md#the-audit-chain). Readers: sonoivu_admin, sonoivu_director, auditor."""
from datetime import date
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import CurrentUser, SessionDep, StateDep
from api.schemas import AuditBroken, AuditVerification, errors
from services import audit, audit_export

router = APIRouter(prefix="/api/audit", tags=["audit"], responses=errors(401, 403, 422))

EXPORT = {200: {"description": "The log of the period: a PDF sealed by Sở Nội vụ (PAdES), or an xlsx workbook",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}},
                            audit_export.XLSX: {"schema": {"type": "string", "format": "binary"}}}}}


def verification_view(found: audit.Verification) -> AuditVerification:
    broken = found.first_broken
    return AuditVerification(
        ok=found.ok, checked=found.checked, last_seq=found.last_seq, last_hash=found.last_hash,
        checked_at=found.checked_at,
        first_broken=AuditBroken(reason=broken.reason, seq=broken.seq, id=broken.id, at=broken.at, count=broken.count,
                                 after_id=broken.after_id, before_id=broken.before_id, message=broken.message)
        if broken else None)


@router.get("/verify")
async def verify(viewer: CurrentUser, session: SessionDep) -> AuditVerification:
    """Recompute the chain; `first_broken` names the first row altered, inserted or deleted outside the app."""
    return verification_view(await audit_export.verification(viewer, session=session))


@router.get("/export", response_class=Response, responses=EXPORT)
async def export(viewer: CurrentUser, session: SessionDep, state: StateDep,
                 start: date = Query(alias="from", description="First day, YYYY-MM-DD (Vietnam time)"),
                 end: date = Query(alias="to", description="Last day, included"),
                 format: Literal["pdf", "xlsx"] = "pdf") -> Response:
    """The log of the days from..to (at most 366), with the chain's state at the time of the export."""
    made = await audit_export.export(state.settings, viewer, start, end, format, session=session)
    return Response(made.content, media_type=made.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{made.filename}"'})

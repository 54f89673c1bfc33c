"""The CV as a PDF carrying two signatures: the competent person's, then the agency's
(Nghị định 30/2020/NĐ-CP Điều 32), which gives it the value of the paper original
(Quảng Ngãi Đ8.4, Kon Tum Đ9.4, Hải Phòng Đ6.4)."""
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import ProfileRevision, Unit, User
from services import audit, org
from services.errors import Conflict
from services.pdf import render_cv
from services.scope import Viewer, readable_person
from services.signers import agency_signer, user_signer
from services.signing import async_export_signed_cv
from services.actors import actor_user_ids


async def signed_cv(session: AsyncSession, settings: Settings, viewer: Viewer, person_id: int) -> tuple[str, bytes]:
    person = await readable_person(session, viewer, person_id)
    if person.current_revision_id is None:
        raise Conflict("Hồ sơ chưa có phiên bản được phê duyệt để xuất.", "no_approved_version")
    revision = await session.get(ProfileRevision, person.current_revision_id)
    unit = await session.get(Unit, person.unit_id)
    root = await session.get(Unit, (await org.ancestors(session, unit.id))[-1])
    heads = await actor_user_ids(session, "unit_head", unit.id, None)
    if not heads:
        raise Conflict("Đơn vị chưa có thủ trưởng để ký bản xuất.", "no_competent_signer")
    head = await session.get(User, min(heads))
    pdf = render_cv(person_name=person.full_name, unit_name=unit.name, managing_body=root.name,
                    cv_data=revision.data, revision_number=revision.number, generated_at=datetime.now(UTC))
    signed = await async_export_signed_cv(
        pdf, competent=user_signer(settings, head.username, head.full_name, title="Thủ trưởng đơn vị", unit=unit.name),
        agency=agency_signer(settings, unit.code, unit.name))
    await audit.record(session, actor=viewer.username, action="person.exported", subject=f"person:{person.id}",
                       revision=revision.number, competent=head.username, agency=unit.code)
    return f"so-yeu-ly-lich-{person.id}-v{revision.number}.pdf", signed

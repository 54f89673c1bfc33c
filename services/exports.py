"""The CV as a PDF carrying two signatures: the competent person's, then the agency's
(Nghị định 30/2020/NĐ-CP Điều 32), which gives it the value of the paper original
(Quảng Ngãi Đ8.4, Kon Tum Đ9.4, Hải Phòng Đ6.4).

The export is made from the record's approved, signed state when its approval is signed, with
the key of whoever signed it (`exports.produce` activity); a download serves that file and uses
no key."""
import hashlib
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Person, ProfileRevision, SignedExport, Unit, User
from services import audit, org
from services.errors import Conflict
from services.pdf import render_cv
from services.scope import Viewer, readable_person
from services.signers import agency_signer, user_signer
from services.signing import FIELD_COMPETENT, ToSign

COMPETENT_REASON = "Người có thẩm quyền ký xác nhận hồ sơ"


async def export_to_sign(settings: Settings, revision_id: int, signer_id: int,
                         signed_as: str, *, session: AsyncSession) -> ToSign | None:
    """The approved revision's CV, to be signed by the approval's signer and sealed; None if made."""
    if await session.get(SignedExport, revision_id) is not None:
        return None
    revision = await session.get(ProfileRevision, revision_id)
    person = await session.get(Person, revision.person_id)
    unit = await session.get(Unit, person.unit_id)
    root = await session.get(Unit, (await org.ancestors(unit.id, session=session))[-1])
    signer = await session.get(User, signer_id)
    pdf = render_cv(person_name=person.full_name, unit_name=unit.name, managing_body=root.name,
                    cv_data=revision.data, revision_number=revision.number, generated_at=datetime.now(UTC))
    return ToSign(pdf=pdf, signer=user_signer(settings, signer.username, signer.full_name, title=signed_as,
                                              unit=unit.name),
                  field_name=FIELD_COMPETENT, reason=COMPETENT_REASON, location=unit.name, signed_as=signed_as,
                  covers={"revision_id": revision_id, "signer_id": signer_id},
                  seal=agency_signer(settings, unit.code, unit.name))


async def store(to_sign: ToSign, pdf: bytes, *, session: AsyncSession) -> None:
    revision_id = to_sign.covers["revision_id"]
    if await session.get(SignedExport, revision_id) is None:
        session.add(SignedExport(revision_id=revision_id, signer_id=to_sign.covers["signer_id"],
                                 signed_as=to_sign.signed_as, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest()))
        await session.flush()


async def signed_cv(viewer: Viewer, person_id: int, *, session: AsyncSession) -> tuple[str, bytes]:
    """The signed export of the record's approved version, as it was signed."""
    person = await readable_person(viewer, person_id, session=session)
    if person.current_revision_id is None:
        raise Conflict("Hồ sơ chưa có phiên bản được phê duyệt để xuất.", "no_approved_version")
    revision = await session.get(ProfileRevision, person.current_revision_id)
    export = await session.get(SignedExport, revision.id)
    if export is None:
        raise Conflict("Bản xuất có chữ ký số của phiên bản vừa phê duyệt đang được tạo; vui lòng thử lại sau "
                       "ít phút.", "export_pending")
    await audit.record(actor=viewer.username, action="person.exported", subject=f"person:{person.id}",
                       revision=revision.number, sha256=export.sha256, session=session)
    return f"so-yeu-ly-lich-{person.id}-v{revision.number}.pdf", export.pdf

"""PAdES signing: one signature per call as an incremental update, and the two an exported CV needs."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError

from services.signing._sync import run_sync
from services.signing.signers import Signer, SigningError

FIELD_COMPETENT = "NguoiCoThamQuyen"
FIELD_AGENCY = "CoQuan"
REASON_COMPETENT = "Người có thẩm quyền ký xác nhận hồ sơ"
REASON_AGENCY = "Chữ ký số của cơ quan, tổ chức (Nghị định 30/2020/NĐ-CP, Điều 32)"


@contextlib.asynccontextmanager
async def _pyhanko(signer: Signer) -> AsyncIterator[signers.Signer]:
    session = getattr(signer, "session", None)
    if session is not None:
        async with session() as ph:
            yield ph
    else:
        yield signer.pyhanko_signer()


async def async_sign_pdf(pdf: bytes, signer: Signer, *, field_name: str, reason: str,
                         location: str = "Việt Nam", contact: str | None = None,
                         timestamp_url: str | None = None) -> bytes:
    """Async form of :func:`sign_pdf`."""
    if not pdf.startswith(b"%PDF-"):
        raise ValueError("not a PDF document")
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    existing = {name for name, _, _ in fields.enumerate_sig_fields(writer, filled_status=True)}
    if field_name in existing:
        raise SigningError(f"signature field {field_name!r} is already signed")
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        contact_info=contact,
        name=getattr(signer, "name", None) or None,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    timestamper = None
    if timestamp_url:
        from pyhanko.sign.timestamps import HTTPTimeStamper
        timestamper = HTTPTimeStamper(timestamp_url)
    out = BytesIO()
    try:
        async with _pyhanko(signer) as ph:
            pdf_signer = signers.PdfSigner(meta, signer=ph, timestamper=timestamper,
                                           new_field_spec=fields.SigFieldSpec(sig_field_name=field_name))
            await pdf_signer.async_sign_pdf(writer, output=out)
    except PyHankoSigningError as exc:
        cause = f" ({exc.__cause__})" if exc.__cause__ else ""
        raise SigningError(f"{signer!r}: {exc}{cause}") from exc
    return out.getvalue()


def sign_pdf(pdf: bytes, signer: Signer, *, field_name: str, reason: str, location: str = "Việt Nam",
             contact: str | None = None, timestamp_url: str | None = None) -> bytes:
    """Add one PAdES signature (SHA-256, invisible field ``field_name``) as an incremental update.

    Earlier signatures remain valid. The signer's certificate chain from its key store is
    embedded in the CMS. ``timestamp_url`` (an RFC 3161 TSA) makes it PAdES-B-T.
    """
    return run_sync(lambda: async_sign_pdf(pdf, signer, field_name=field_name, reason=reason,
                                           location=location, contact=contact, timestamp_url=timestamp_url))


async def async_export_signed_cv(cv_pdf: bytes, *, competent: Signer, agency: Signer) -> bytes:
    """Async form of :func:`export_signed_cv`."""
    signed = await async_sign_pdf(cv_pdf, competent, field_name=FIELD_COMPETENT, reason=REASON_COMPETENT)
    return await async_sign_pdf(signed, agency, field_name=FIELD_AGENCY, reason=REASON_AGENCY)


def export_signed_cv(cv_pdf: bytes, *, competent: Signer, agency: Signer) -> bytes:
    """The exported CV with both signatures, in the order of Nghị định 30/2020/NĐ-CP Điều 32:
    the competent person's (field NguoiCoThamQuyen) first, then the agency's (field CoQuan)."""
    return run_sync(lambda: async_export_signed_cv(cv_pdf, competent=competent, agency=agency))


@dataclass
class ToSign:
    """A document ready to be signed by a task's signer, and what the signature covers (for the
    completion that later applies it)."""
    pdf: bytes
    signer: Signer
    field_name: str
    reason: str
    location: str
    signed_as: str
    covers: dict[str, Any] = field(default_factory=dict)
    seal: Signer | None = None  # the agency's signature after the signer's (Nghị định 30/2020 Đ32)

    @property
    def in_process(self) -> bool:
        """Signed with a key held in this process (a key file), not through a token's or a remote service's
        session, so quick and local enough to sign inside a transaction."""
        return all(getattr(signer, "session", None) is None for signer in (self.signer, self.seal) if signer)

    async def sign(self) -> bytes:
        signed = await async_sign_pdf(self.pdf, self.signer, field_name=self.field_name, reason=self.reason,
                                      location=self.location)
        if self.seal is None:
            return signed
        return await async_sign_pdf(signed, self.seal, field_name=FIELD_AGENCY, reason=REASON_AGENCY,
                                    location=self.location)

"""PAdES signatures: pyHanko validation and poppler's pdfsig as the independent check.

pdfsig 22.x prints, per signature: "Signature Validation: Signature is Valid." (or "Digest
Mismatch." for a changed byte), "Total document signed" / "Not total document signed", and
for the development CA "Certificate Validation: Certificate issuer isn't Trusted.".
A missing pdfsig fails these tests with "apt-get install poppler-utils" (never skipped).
"""
import re

import pytest

from services import signing
from services.pdf import render_approval_batch
from services.signing import (
    FIELD_AGENCY, FIELD_COMPETENT, PdfsigMissing, SigningError, export_signed_cv, pdfsig_report,
    sign_pdf, validate_pdf, validation,
)
from tests.services.signing.conftest import pdf_text
from tests.services.signing.test_pdf import ITEMS, SHA


def pdfsig_blocks(pdf: bytes) -> list[str]:
    """pdfsig's output split per signature ("Signature #1:", "Signature #2:", ...)."""
    report = pdfsig_report(pdf)
    return re.split(r"^Signature #\d+:\s*$", report, flags=re.M)[1:]


def tamper_in_content(signed: bytes) -> bytes:
    """Flip one byte in the first page content stream: inside every signed range, outside /Contents."""
    first_range_end = int(re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)", signed).group(1))
    at = signed.index(b"stream\n") + len(b"stream\n") + 5
    assert at < first_range_end
    return signed[:at] + bytes([signed[at] ^ 0x01]) + signed[at + 1:]


def test_single_signature_valid_and_trusted(cv_pdf, competent, ca_cert):
    signed = sign_pdf(cv_pdf, competent, field_name="NguoiKy", reason="Ký thử", contact="tccb@example.vn")
    assert signed.startswith(cv_pdf)  # incremental update: the original bytes are untouched
    [report] = validate_pdf(signed, trust_roots=[ca_cert])
    assert report.field_name == "NguoiKy"
    assert report.signer_name == "Trần Thị Bình"
    assert report.intact and report.valid and report.trusted and report.ok
    assert report.covers_whole_document and report.modification_level == "NONE"
    assert report.signing_time is not None and report.reason == "Ký thử"
    [untrusted] = validate_pdf(signed)  # no trust roots → not trusted, still intact and valid
    assert untrusted.intact and untrusted.valid and not untrusted.trusted

    [block] = pdfsig_blocks(signed)
    assert "Signature Field Name: NguoiKy" in block
    assert "Signer Certificate Common Name: Trần Thị Bình" in block
    assert "Signature Type: ETSI.CAdES.detached" in block
    assert "Signing Hash Algorithm: SHA-256" in block
    assert "Signature is Valid" in block
    assert "Total document signed" in block and "Not total document signed" not in block
    assert "Certificate issuer isn't Trusted" in block  # the dev CA is trusted by nobody else


def test_export_signed_cv_two_signatures_in_order(cv_pdf, competent, agency, ca_cert):
    signed = export_signed_cv(cv_pdf, competent=competent, agency=agency)
    first, second = validate_pdf(signed, trust_roots=[ca_cert])
    assert (first.field_name, second.field_name) == (FIELD_COMPETENT, FIELD_AGENCY)
    assert (first.signer_name, second.signer_name) == ("Trần Thị Bình", "Sở Nội vụ tỉnh Quảng Ngãi")
    for report in (first, second):
        assert report.intact and report.valid and report.trusted and report.ok
    assert not first.covers_whole_document and first.modification_level == "FORM_FILLING"
    assert second.covers_whole_document and second.modification_level == "NONE"
    assert first.signing_time <= second.signing_time

    blocks = pdfsig_blocks(signed)
    assert len(blocks) == 2
    assert f"Signature Field Name: {FIELD_COMPETENT}" in blocks[0]
    assert f"Signature Field Name: {FIELD_AGENCY}" in blocks[1]
    assert all("Signature is Valid" in b for b in blocks)
    assert "Not total document signed" in blocks[0]
    assert "Total document signed" in blocks[1] and "Not total document signed" not in blocks[1]


def test_tampered_file_is_reported_not_raised(cv_pdf, competent, agency, ca_cert):
    signed = export_signed_cv(cv_pdf, competent=competent, agency=agency)
    tampered = tamper_in_content(signed)
    reports = validate_pdf(tampered, trust_roots=[ca_cert])
    assert [r.field_name for r in reports] == [FIELD_COMPETENT, FIELD_AGENCY]
    assert all(not r.intact and not r.ok and not r.trusted for r in reports)

    blocks = pdfsig_blocks(tampered)
    assert len(blocks) == 2
    assert all("Signature Validation: Digest Mismatch." in b for b in blocks)
    assert not any("Signature is Valid" in b for b in blocks)


def test_unreadable_file_gives_a_failed_report():
    [report] = validate_pdf(b"%PDF-1.7\nthis is not really a PDF")
    assert not report.intact and not report.valid and not report.ok and report.error


def test_signed_approval_batch(competent, ca_cert, tmp_path):
    pdf = render_approval_batch(unit_name="Sở Nội vụ tỉnh Quảng Ngãi", month="2025-03",
                                approver_name="Trần Thị Bình", approver_title="Giám đốc", items=ITEMS)
    signed = sign_pdf(pdf, competent, field_name="PheDuyet", reason="Phê duyệt dữ liệu tháng 03/2025")
    [report] = validate_pdf(signed, trust_roots=[ca_cert])
    assert report.intact and report.valid and report.trusted
    text = pdf_text(signed, tmp_path)
    assert "THÁNG 03/2025" in text and SHA in text
    [block] = pdfsig_blocks(signed)
    assert "Signature is Valid" in block and "Total document signed" in block


def test_field_cannot_be_signed_twice(cv_pdf, competent):
    signed = sign_pdf(cv_pdf, competent, field_name=FIELD_COMPETENT, reason="x")
    with pytest.raises(SigningError, match="already signed"):
        sign_pdf(signed, competent, field_name=FIELD_COMPETENT, reason="x")


async def test_sign_and_validate_inside_an_event_loop(cv_pdf, competent, ca_cert):
    """FastAPI handlers and Temporal activities call the sync API from a running loop."""
    signed = sign_pdf(cv_pdf, competent, field_name="TrongVongLap", reason="x")
    [report] = validate_pdf(signed, trust_roots=[ca_cert])
    assert report.intact and report.valid and report.trusted
    signed2 = await signing.async_sign_pdf(signed, competent, field_name="Lan2", reason="y")
    reports = await signing.async_validate_pdf(signed2, [ca_cert])
    assert [r.ok for r in reports] == [True, True]


def test_pdfsig_missing_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(validation.shutil, "which", lambda name: None)
    monkeypatch.setattr(validation, "PDFSIG_FALLBACK", tmp_path / "no-pdfsig")
    with pytest.raises(PdfsigMissing, match="apt-get install poppler-utils"):
        pdfsig_report(b"%PDF-1.7")

"""Checking the signatures in a PDF: pyHanko's report per signature, and poppler's pdfsig as an
independent check."""
from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from services.signing._sync import run_sync
from services.signing.signers import SigningError

PDFSIG_INSTALL_HINT = "pdfsig (poppler) is not installed: apt-get install poppler-utils"
PDFSIG_FALLBACK = Path("/usr/bin/pdfsig")


class PdfsigMissing(RuntimeError):
    """poppler's pdfsig is not on this machine."""


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    signer_name: str | None           # subject CN of the signing certificate
    signer_subject: str | None        # full subject, RFC 4514
    signing_time: datetime | None     # as claimed by the signer (no timestamp authority)
    intact: bool                      # the signed bytes' digest matches
    valid: bool                       # the cryptographic signature verifies
    trusted: bool                     # the certificate chains to one of the trust roots
    covers_whole_document: bool       # nothing was appended after this signature
    modification_level: str | None    # pyHanko ModificationLevel name: NONE, FORM_FILLING, ..., OTHER
    docmdp_ok: bool | None            # later changes allowed by the document's policy
    reason: str | None = None
    error: str | None = None          # why validation could not run, if it could not

    @property
    def ok(self) -> bool:
        """Intact, valid, and not followed by changes beyond adding signatures/form filling."""
        return self.intact and self.valid and self.docmdp_ok is not False and self.error is None


def _to_asn1(cert: Any) -> asn1_x509.Certificate:
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    if isinstance(cert, x509.Certificate):
        return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    if isinstance(cert, (bytes, bytearray)):
        data = bytes(cert)
        if data.lstrip().startswith(b"-----BEGIN"):
            return asn1_x509.Certificate.load(x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER))
        return asn1_x509.Certificate.load(data)
    raise TypeError(f"trust root must be a certificate, not {type(cert).__name__}")


def load_trust_roots(*paths: Path) -> list[x509.Certificate]:
    """Certificates from PEM/DER files or directories of them (``*.pem``, ``*.crt``, ``*.cer``, ``*.der``)."""
    found: list[x509.Certificate] = []
    for base in map(Path, paths):
        files = sorted(p for p in base.iterdir() if p.suffix.lower() in {".pem", ".crt", ".cer", ".der"}) \
            if base.is_dir() else [base]
        for file in files:
            data = file.read_bytes()
            if b"-----BEGIN CERTIFICATE-----" in data:
                found.extend(x509.load_pem_x509_certificates(data))
            else:
                found.append(x509.load_der_x509_certificate(data))
    return found


def _cn(cert: asn1_x509.Certificate | None) -> tuple[str | None, str | None]:
    if cert is None:
        return None, None
    parsed = x509.load_der_x509_certificate(cert.dump())
    cns = parsed.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return (str(cns[0].value) if cns else None), parsed.subject.rfc4514_string()


def _failed(field: str, error: str, cert: Any = None, reason: str | None = None) -> SignatureReport:
    name, subject = _cn(cert)
    return SignatureReport(field_name=field, signer_name=name, signer_subject=subject, signing_time=None,
                           intact=False, valid=False, trusted=False, covers_whole_document=False,
                           modification_level=None, docmdp_ok=None, reason=reason, error=error)


async def async_validate_pdf(pdf: bytes, trust_roots: list[Any] | None = None) -> list[SignatureReport]:
    """Async form of :func:`validate_pdf`."""
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:  # noqa: BLE001 - a damaged file is a result, not an error
        return [_failed("", f"cannot read the PDF: {exc}")]
    roots = [_to_asn1(c) for c in (trust_roots or [])]
    reports: list[SignatureReport] = []
    for sig in embedded:
        field = sig.field_name or ""
        reason = None
        with contextlib.suppress(Exception):
            reason = str(sig.sig_object.get("/Reason")) if "/Reason" in sig.sig_object else None
        cert = None
        with contextlib.suppress(Exception):
            cert = sig.signer_cert
        try:
            context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
            status = await async_validate_pdf_signature(sig, signer_validation_context=context)
        except Exception as exc:  # noqa: BLE001 - report, never raise, for a tampered file
            reports.append(_failed(field, f"{type(exc).__name__}: {exc}", cert, reason))
            continue
        name, subject = _cn(status.signing_cert)
        level = status.modification_level
        reports.append(SignatureReport(
            field_name=field, signer_name=name, signer_subject=subject,
            signing_time=status.signer_reported_dt,
            intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
            covers_whole_document=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
            modification_level=level.name if level is not None else None,
            docmdp_ok=status.docmdp_ok, reason=reason,
        ))
    return reports


def validate_pdf(pdf: bytes, trust_roots: list[Any] | None = None) -> list[SignatureReport]:
    """Validate every embedded signature, in signing order.

    ``trust_roots``: ``cryptography`` certificates (or asn1crypto ones, or PEM/DER bytes);
    ``trusted`` is False for every signature when none is given — the operating system's TLS
    roots are deliberately not used. Revocation is not fetched (offline; soft-fail). A damaged
    or tampered file gives reports with ``intact=False`` rather than an exception; a file that
    cannot be parsed at all gives a single failed report (field name ``""``).
    """
    return run_sync(lambda: async_validate_pdf(pdf, trust_roots))


def _pdfsig_binary() -> str:
    found = shutil.which("pdfsig") or (str(PDFSIG_FALLBACK) if PDFSIG_FALLBACK.exists() else None)
    if not found:
        raise PdfsigMissing(PDFSIG_INSTALL_HINT)
    return found


def pdfsig_report(pdf: bytes, *, nssdir: Path | None = None, timeout: float = 60) -> str:
    """Run poppler's ``pdfsig`` on the document and return its stdout.

    OCSP is not queried (``-no-ocsp``). Without ``nssdir`` (an NSS database holding the trust
    roots) pdfsig reports the certificate as untrusted for a private CA; the signature's own
    validity ("Signature is Valid") is independent of that.
    """
    binary = _pdfsig_binary()
    with tempfile.TemporaryDirectory(prefix="hoso-pdfsig-") as tmp:
        path = Path(tmp) / "document.pdf"
        path.write_bytes(pdf)
        command = [binary, "-no-ocsp"]
        if nssdir is not None:
            command += ["-nssdir", str(nssdir)]
        command.append(str(path))
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    stdout = done.stdout.decode("utf-8", "replace")
    if done.returncode != 0 and not stdout.strip():
        raise SigningError(f"pdfsig failed (exit {done.returncode}): {done.stderr.decode('utf-8', 'replace').strip()}")
    return stdout.replace(str(path), "document.pdf")

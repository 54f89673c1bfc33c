"""Digital signatures on PDFs (PAdES), with pyHanko; independent checks with poppler's pdfsig.

* ``sign_pdf`` adds one PAdES signature (``ETSI.CAdES.detached``, SHA-256) as an incremental
  update: earlier signatures stay valid, each later one covers everything before it.
* ``export_signed_cv`` applies the two signatures an exported record needs to have the legal
  value of the paper original (Quảng Ngãi Đ8.4, Kon Tum Đ9.4, Hải Phòng Đ6.4), in the order of
  Nghị định 30/2020/NĐ-CP Điều 32: the competent person first, the agency (văn thư) after.
* ``validate_pdf`` reports on every embedded signature and never raises for a damaged file.

Where the key lives is a ``Signer``: a PKCS#12 file (default; the development CA in
``services.signing.devca`` issues those), a PKCS#11 token, or a remote service speaking the
Cloud Signature Consortium API. See docs/signing.md.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

__all__ = [
    "Signer", "Pkcs12Signer", "Pkcs11Signer", "CscSigner", "SignatureReport",
    "SigningError", "SigningConfigError", "PdfsigMissing",
    "signer_from_config", "sign_pdf", "async_sign_pdf", "validate_pdf", "async_validate_pdf",
    "pdfsig_report", "export_signed_cv", "load_trust_roots",
    "FIELD_COMPETENT", "FIELD_AGENCY", "PDFSIG_INSTALL_HINT",
]

FIELD_COMPETENT = "NguoiCoThamQuyen"
FIELD_AGENCY = "CoQuan"
REASON_COMPETENT = "Người có thẩm quyền ký xác nhận hồ sơ"
REASON_AGENCY = "Chữ ký số của cơ quan, tổ chức (Nghị định 30/2020/NĐ-CP, Điều 32)"
PDFSIG_INSTALL_HINT = "pdfsig (poppler) is not installed: apt-get install poppler-utils"
PDFSIG_FALLBACK = Path("/usr/bin/pdfsig")

T = TypeVar("T")


class SigningError(RuntimeError):
    """Signing failed (key unreadable, token absent, remote service refused, ...)."""


class SigningConfigError(ValueError):
    """A signer configuration is incomplete or wrong."""


class PdfsigMissing(RuntimeError):
    """poppler's pdfsig is not on this machine."""


# --------------------------------------------------------------------------------------------
# Signers
# --------------------------------------------------------------------------------------------

@runtime_checkable
class Signer(Protocol):
    """Where a signing key lives.

    ``name`` goes into the signature's /Name and the audit trail. ``pyhanko_signer()`` returns a
    ready pyHanko signer. A signer that needs a session around the signing operation (a
    PKCS#11 token, a remote CSC service) also offers ``session()``, an async context manager
    yielding the pyHanko signer; ``sign_pdf`` prefers it when present.
    """

    name: str

    def pyhanko_signer(self) -> signers.Signer: ...


class Pkcs12Signer:
    """A PKCS#12 (.p12/.pfx) file and its passphrase: the default, and what the dev CA issues."""

    kind = "pkcs12"

    def __init__(self, path: Path, passphrase: bytes | None, name: str):
        self.path = Path(path)
        self.passphrase = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
        self.name = name
        self._signer: signers.SimpleSigner | None = None

    def __repr__(self) -> str:
        return f"Pkcs12Signer(path={str(self.path)!r}, name={self.name!r})"

    def pyhanko_signer(self) -> signers.Signer:
        if self._signer is None:
            if not self.path.is_file():
                raise SigningError(f"PKCS#12 file not found: {self.path}")
            loaded = signers.SimpleSigner.load_pkcs12(str(self.path), passphrase=self.passphrase or None)
            if loaded is None:  # pyHanko logs the reason and returns None
                raise SigningError(f"cannot open PKCS#12 file {self.path}: wrong passphrase or damaged file")
            self._signer = loaded
        return self._signer

    @property
    def certificate(self) -> x509.Certificate:
        cert = self.pyhanko_signer().signing_cert
        return x509.load_der_x509_certificate(cert.dump())


class Pkcs11Signer:
    """A key on a hardware token (USB token, HSM) through the vendor's PKCS#11 library.

    Nothing is loaded at construction; the token is opened for each signing operation (or by
    ``pyhanko_signer()``, which keeps the session open until ``close()``). Needs the
    ``python-pkcs11`` package (``pip install 'pyhanko[pkcs11]'``).
    """

    kind = "pkcs11"

    def __init__(self, lib: str | Path, token_label: str | None, key_label: str, pin: str | None,
                 name: str = "", *, cert_label: str | None = None, slot_no: int | None = None):
        if not lib:
            raise SigningConfigError("PKCS#11 signer: 'lib' (path to the vendor's PKCS#11 library) is required")
        if not key_label:
            raise SigningConfigError("PKCS#11 signer: 'key_label' (label of the signing key on the token) is required")
        if not token_label and slot_no is None:
            raise SigningConfigError("PKCS#11 signer: 'token_label' (or 'slot_no') is required")
        self.lib = str(lib)
        self.token_label = token_label
        self.key_label = key_label
        self.cert_label = cert_label or key_label
        self.pin = pin
        self.slot_no = slot_no
        self.name = name
        self._session: Any = None

    def __repr__(self) -> str:
        return f"Pkcs11Signer(lib={self.lib!r}, token_label={self.token_label!r}, key_label={self.key_label!r})"

    def _open(self) -> tuple[Any, signers.Signer]:
        try:
            from pyhanko.config.pkcs11 import TokenCriteria
            from pyhanko.sign import pkcs11 as p11
        except ImportError as exc:
            raise SigningError("PKCS#11 signing needs python-pkcs11: pip install 'pyhanko[pkcs11]'") from exc
        if not Path(self.lib).exists():
            raise SigningError(f"PKCS#11 library not found: {self.lib} (install the token vendor's driver)")
        criteria = TokenCriteria(label=self.token_label) if self.token_label else None
        try:
            session = p11.open_pkcs11_session(self.lib, slot_no=self.slot_no, token_criteria=criteria,
                                              user_pin=self.pin)
        except Exception as exc:  # noqa: BLE001 - PKCS#11 errors come in many types
            raise SigningError(f"cannot open PKCS#11 token {self.token_label or self.slot_no!r}: {exc}") from exc
        return session, p11.PKCS11Signer(session, cert_label=self.cert_label, key_label=self.key_label)

    def pyhanko_signer(self) -> signers.Signer:
        self.close()
        self._session, signer = self._open()
        return signer

    def close(self) -> None:
        if self._session is not None:
            with contextlib.suppress(Exception):
                self._session.close()
            self._session = None

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[signers.Signer]:
        session, signer = self._open()
        try:
            yield signer
        finally:
            with contextlib.suppress(Exception):
                session.close()


class CscSigner:
    """A remote signing service speaking the Cloud Signature Consortium API (v1).

    Config: the service URL (the part before ``/csc/v1/...``), the credential id, an OAuth
    bearer token; then either a pre-fetched SAD (signature activation data) or a PIN/OTP for
    ``credentials/authorize``. Nothing is contacted at construction. The HTTP session lives
    only for one signing operation, so this signer works through ``session()`` (which
    ``sign_pdf`` uses); ``pyhanko_signer()`` cannot be used on its own.
    """

    kind = "csc"

    def __init__(self, service_url: str, credential_id: str, auth_token: str | None, name: str = "", *,
                 pin: str | None = None, otp: str | None = None, sad: str | None = None,
                 api_ver: str = "v1", timeout: int = 30):
        if not service_url:
            raise SigningConfigError("CSC signer: 'service_url' is required")
        if not str(service_url).startswith(("https://", "http://")):
            raise SigningConfigError(f"CSC signer: 'service_url' must be an http(s) URL, not {service_url!r}")
        if not credential_id:
            raise SigningConfigError("CSC signer: 'credential_id' is required")
        if not auth_token:
            raise SigningConfigError("CSC signer: 'auth_token' (OAuth bearer token) is required")
        self.service_url = str(service_url).rstrip("/")
        self.credential_id = credential_id
        self.auth_token = auth_token
        self.pin, self.otp, self.sad = pin, otp, sad
        self.api_ver = api_ver
        self.timeout = timeout
        self.name = name

    def __repr__(self) -> str:
        return f"CscSigner(service_url={self.service_url!r}, credential_id={self.credential_id!r})"

    def pyhanko_signer(self) -> signers.Signer:
        raise SigningError("CscSigner needs an HTTP session for the signing operation: "
                           "use sign_pdf/async_sign_pdf (they call CscSigner.session())")

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[signers.Signer]:
        import aiohttp
        from pyhanko.sign.signers import csc_signer as csc

        info = csc.CSCServiceSessionInfo(self.service_url, self.credential_id,
                                         oauth_token=self.auth_token, api_ver=self.api_ver)
        async with aiohttp.ClientSession() as http:
            credential = await csc.fetch_certs_in_csc_credential(http, info, timeout=self.timeout)
            if self.sad:
                from datetime import timedelta, timezone
                auth_info = csc.CSCAuthorizationInfo(
                    sad=self.sad, expires_at=datetime.now(timezone.utc) + timedelta(minutes=5))
                manager: csc.CSCAuthorizationManager = csc.PrefetchedSADAuthorizationManager(
                    info, credential, auth_info)
            else:
                manager = _csc_pin_authorization_class()(info, credential, http, pin=self.pin,
                                                         otp=self.otp, timeout=self.timeout)
            yield csc.CSCSigner(http, manager)


def _csc_pin_authorization_class():
    from pyhanko.sign.signers import csc_signer as csc

    class CscPinAuthorization(csc.CSCAuthorizationManager):
        """Calls ``credentials/authorize`` with the PIN/OTP, pinning the hashes when required."""

        def __init__(self, info, credential, http, *, pin, otp, timeout):
            super().__init__(info, credential)
            self.http, self.pin, self.otp, self.timeout = http, pin, otp, timeout

        async def authorize_signature(self, hash_b64s):
            import aiohttp

            pin_hashes = hash_b64s if self.credential_info.hash_pinning_required else None
            body = self.format_csc_auth_request(num_signatures=len(hash_b64s), pin=self.pin, otp=self.otp,
                                                hash_b64s=pin_hashes)
            url = self.csc_session_info.endpoint_url("credentials/authorize")
            try:
                async with self.http.post(url, headers=self.auth_headers, json=body, raise_for_status=True,
                                          timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                    return self.parse_csc_auth_response(await response.json())
            except aiohttp.ClientError as exc:
                raise SigningError(f"CSC credentials/authorize failed: {exc}") from exc

    return CscPinAuthorization


def _secret(config: dict, key: str, kind: str) -> str | None:
    """A secret given inline (``key``) or, better, by environment variable (``key_env``)."""
    if config.get(f"{key}_env"):
        env = str(config[f"{key}_env"])
        if env not in os.environ:
            raise SigningConfigError(f"{kind} signer: environment variable {env} (from '{key}_env') is not set")
        return os.environ[env]
    value = config.get(key)
    return None if value is None else str(value) if not isinstance(value, bytes) else value.decode()


_SECRETS = {"passphrase", "pin", "auth_token", "sad"}


def _require(config: dict, kind: str, *keys: str) -> None:
    missing = [k for k in keys if not config.get(k) and not (k in _SECRETS and config.get(f"{k}_env"))]
    if missing:
        raise SigningConfigError(f"{kind} signer config is missing required key(s): {', '.join(missing)}")


SIGNER_KINDS = ("pkcs12", "pkcs11", "csc")


def signer_from_config(config: dict) -> Signer:
    """Build a signer from a config dict.

    * ``{"kind": "pkcs12", "path": ..., "passphrase" | "passphrase_env": ..., "name": ...}``
    * ``{"kind": "pkcs11", "lib": ..., "token_label": ..., "key_label": ..., "pin" | "pin_env": ...,
      "cert_label"?, "slot_no"?, "name"?}``
    * ``{"kind": "csc", "service_url": ..., "credential_id": ..., "auth_token" | "auth_token_env": ...,
      "pin"/"pin_env"?, "otp"?, "sad"/"sad_env"?, "api_ver"?, "name"?}``
    """
    if not isinstance(config, dict):
        raise SigningConfigError("signer config must be a mapping with a 'kind' key")
    kind = str(config.get("kind") or "").strip().lower()
    name = str(config.get("name") or "")
    if kind == "pkcs12":
        _require(config, kind, "path")
        passphrase = _secret(config, "passphrase", kind)
        path = Path(config["path"]).expanduser()
        return Pkcs12Signer(path, passphrase.encode("utf-8") if passphrase else None, name or path.stem)
    if kind == "pkcs11":
        _require(config, kind, "lib", "key_label")
        if not config.get("token_label") and config.get("slot_no") is None:
            raise SigningConfigError("pkcs11 signer config is missing required key(s): token_label (or slot_no)")
        slot = config.get("slot_no")
        return Pkcs11Signer(config["lib"], config.get("token_label"), config["key_label"],
                            _secret(config, "pin", kind), name, cert_label=config.get("cert_label"),
                            slot_no=int(slot) if slot is not None else None)
    if kind == "csc":
        _require(config, kind, "service_url", "credential_id", "auth_token")
        return CscSigner(config["service_url"], str(config["credential_id"]), _secret(config, "auth_token", kind),
                         name, pin=_secret(config, "pin", kind), otp=config.get("otp"),
                         sad=_secret(config, "sad", kind), api_ver=str(config.get("api_ver") or "v1"),
                         timeout=int(config.get("timeout") or 30))
    raise SigningConfigError(
        f"unknown signer kind {config.get('kind')!r}: expected one of {', '.join(SIGNER_KINDS)}")


# --------------------------------------------------------------------------------------------
# Running pyHanko's coroutines from sync code, also when called inside an event loop
# --------------------------------------------------------------------------------------------

def _run(factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await factory()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    # Called from async code (FastAPI handler, Temporal activity): run on a private loop.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="signing") as pool:
        return pool.submit(asyncio.run, main()).result()


@contextlib.asynccontextmanager
async def _pyhanko(signer: Signer) -> AsyncIterator[signers.Signer]:
    session = getattr(signer, "session", None)
    if session is not None:
        async with session() as ph:
            yield ph
    else:
        yield signer.pyhanko_signer()


# --------------------------------------------------------------------------------------------
# Signing
# --------------------------------------------------------------------------------------------

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
    return _run(lambda: async_sign_pdf(pdf, signer, field_name=field_name, reason=reason,
                                       location=location, contact=contact, timestamp_url=timestamp_url))


def export_signed_cv(cv_pdf: bytes, *, competent: Signer, agency: Signer) -> bytes:
    """The exported CV with both signatures, in the order of Nghị định 30/2020/NĐ-CP Điều 32:
    the competent person's (field NguoiCoThamQuyen) first, then the agency's (field CoQuan)."""
    signed = sign_pdf(cv_pdf, competent, field_name=FIELD_COMPETENT, reason=REASON_COMPETENT)
    return sign_pdf(signed, agency, field_name=FIELD_AGENCY, reason=REASON_AGENCY)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------

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
    return _run(lambda: async_validate_pdf(pdf, trust_roots))


# --------------------------------------------------------------------------------------------
# poppler's pdfsig: an independent check
# --------------------------------------------------------------------------------------------

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

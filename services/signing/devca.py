"""A DEVELOPMENT certificate authority. NOT FOR PRODUCTION.

``make run`` creates it under ``<data_dir>/signing/`` so a fresh checkout can sign and verify
PDFs end to end (monthly approvals, exported CVs) without a token or a paid certificate. Its
certificates are named "... KHÔNG dùng cho sản xuất" (not for production) and chain only to
this local root, which nobody outside the machine trusts: pdfsig says "Certificate issuer
isn't Trusted", as it should. A province replaces it with its government CA (docs/signing.md).

Layout under ``directory``::

    ca.pem, ca-key.pem            the root (key unencrypted, mode 0600: development only)
    users/<username>.p12          one person's signing credential (PKCS#12 with the chain)
    agencies/<code>.p12           an agency's seal credential (chữ ký số của cơ quan)
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from services.signing import Pkcs12Signer

__all__ = [
    "DEV_CA_NAME", "ensure_dev_ca", "ensure_user_credential", "ensure_agency_credential",
    "signer_for_user", "signer_for_agency", "user_credential_path", "agency_credential_path",
    "default_directory",
]

DEV_CA_NAME = "Hồ sơ — CA phát triển (KHÔNG dùng cho sản xuất)"
DEV_ORG = "Hồ sơ — môi trường phát triển"
NOT_FOR_PRODUCTION = "KHÔNG dùng cho sản xuất"
CA_YEARS = 10
CREDENTIAL_YEARS = 3
RENEW_BEFORE = dt.timedelta(days=30)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")

PrivateKey = rsa.RSAPrivateKey


def default_directory(data_dir: Path) -> Path:
    """Where the app keeps the development CA: ``<data_dir>/signing`` (Settings.data_dir)."""
    return Path(data_dir) / "signing"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _write_atomic(path: Path, data: bytes, *, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600 if private else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _locked(directory: Path):
    """Serialise creation between processes (API, worker) sharing the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, creation is still atomic per file
        yield
        return
    with open(directory / ".lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _new_key() -> PrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _safe(name: str, what: str) -> str:
    if not _SAFE_NAME.match(name or ""):
        raise ValueError(f"{what} {name!r} cannot be used as a file name (letters, digits, . _ @ + -)")
    return name


def ensure_dev_ca(directory: Path) -> tuple[x509.Certificate, PrivateKey]:
    """Create ``directory/ca.pem`` and ``ca-key.pem`` on first use; load them afterwards."""
    directory = Path(directory)
    with _locked(directory):
        return _ensure_dev_ca(directory)


def _ensure_dev_ca(directory: Path) -> tuple[x509.Certificate, PrivateKey]:
    cert_path, key_path = directory / "ca.pem", directory / "ca-key.pem"
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        return cert, key  # type: ignore[return-value]
    key = _new_key()
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEV_ORG),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, NOT_FOR_PRODUCTION),
        x509.NameAttribute(NameOID.COMMON_NAME, DEV_CA_NAME),
    ])
    now = _now()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_atomic(key_path, key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        private=True)
    _write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, Exception):  # noqa: BLE001 - any failure means "not this CA"
        return False
    return True


def _expiry(path: Path, ca: x509.Certificate, passphrase: bytes | None) -> dt.datetime | None:
    """When an existing credential that chains to the current CA expires (None: none such)."""
    if not path.exists():
        return None
    try:
        loaded = pkcs12.load_pkcs12(path.read_bytes(), passphrase or None)
    except ValueError as exc:
        raise ValueError(f"{path} exists but cannot be opened with the given passphrase: {exc}") from exc
    cert = loaded.cert.certificate if loaded.cert else None
    if cert is None or not _issued_by(cert, ca):
        return None
    return cert.not_valid_after_utc


# Credentials found to chain to the CA, per process: (the files as they were then, the passphrase) → expiry.
# Checking one opens the CA key and the PKCS#12 file, which costs as much as a signature.
_CHECKED: dict[tuple, dt.datetime] = {}


def _stamp(path: Path) -> tuple | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size


def _checked_key(directory: Path, path: Path, passphrase: bytes | None) -> tuple:
    return _stamp(path), _stamp(directory / "ca.pem"), hashlib.sha256(passphrase or b"").digest()


def _issue(directory: Path, path: Path, subject: x509.Name, friendly: str, passphrase: bytes | None) -> Path:
    """An existing credential is reused while it chains to the current CA and is not near expiry."""
    expiry = _CHECKED.get(_checked_key(directory, path, passphrase))
    if expiry is not None and expiry - RENEW_BEFORE > _now():
        return path
    with _locked(directory):
        ca_cert, ca_key = _ensure_dev_ca(directory)
        expiry = _expiry(path, ca_cert, passphrase)
        if expiry is None or expiry - RENEW_BEFORE <= _now():
            _write_credential(path, subject, friendly, passphrase, ca_cert, ca_key)
            expiry = _expiry(path, ca_cert, passphrase)
        _CHECKED[_checked_key(directory, path, passphrase)] = expiry
        return path


def _write_credential(path: Path, subject: x509.Name, friendly: str, passphrase: bytes | None,
                      ca_cert: x509.Certificate, ca_key: PrivateKey) -> Path:
    key = _new_key()
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + dt.timedelta(days=365 * CREDENTIAL_YEARS), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    blob = pkcs12.serialize_key_and_certificates(
        friendly.encode("utf-8"), key, cert, [ca_cert], encryption)
    _write_atomic(path, blob, private=True)
    return path


def _subject(common_name: str, *, organization: str = "", title: str = "",
             uid: str = "") -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, NOT_FOR_PRODUCTION))
    if title:
        attrs.append(x509.NameAttribute(NameOID.TITLE, title))
    if uid:
        attrs.append(x509.NameAttribute(NameOID.USER_ID, uid))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def user_credential_path(directory: Path, username: str) -> Path:
    return Path(directory) / "users" / f"{_safe(username, 'username')}.p12"


def agency_credential_path(directory: Path, code: str) -> Path:
    return Path(directory) / "agencies" / f"{_safe(code, 'agency code')}.p12"


def ensure_user_credential(directory: Path, username: str, full_name: str, *, title: str = "",
                           unit: str = "", passphrase: bytes = b"demo") -> Path:
    """Issue (once) a person's signing certificate (CN = full name, O = unit, title), valid 3 years,
    key usage digitalSignature + nonRepudiation; write ``users/<username>.p12``; return its path."""
    path = user_credential_path(directory, username)
    subject = _subject(full_name, organization=unit, title=title, uid=username)
    return _issue(Path(directory), path, subject, full_name, passphrase)


def ensure_agency_credential(directory: Path, agency_name: str, code: str,
                             passphrase: bytes = b"demo") -> Path:
    """Issue (once) the agency's seal certificate (chữ ký số của cơ quan): ``agencies/<code>.p12``."""
    path = agency_credential_path(directory, code)
    subject = _subject(agency_name, organization=agency_name, uid=code)
    return _issue(Path(directory), path, subject, agency_name, passphrase)


def _name_of(path: Path, passphrase: bytes | None) -> str:
    """The credential's common name (opened once per process: Pkcs12Signer keeps it)."""
    common_name = Pkcs12Signer(path, passphrase, "").pyhanko_signer().signing_cert.subject.native.get("common_name")
    return str(common_name) if common_name else path.stem


def signer_for_user(directory: Path, username: str, passphrase: bytes = b"demo") -> Pkcs12Signer:
    path = user_credential_path(directory, username)
    if not path.exists():
        raise FileNotFoundError(f"no development credential for user {username!r}: call ensure_user_credential first")
    return Pkcs12Signer(path, passphrase, _name_of(path, passphrase))


def signer_for_agency(directory: Path, code: str, passphrase: bytes = b"demo") -> Pkcs12Signer:
    path = agency_credential_path(directory, code)
    if not path.exists():
        raise FileNotFoundError(f"no development credential for agency {code!r}: call ensure_agency_credential first")
    return Pkcs12Signer(path, passphrase, _name_of(path, passphrase))

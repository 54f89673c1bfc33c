"""Which key signs for whom: PKCS#12 files per signer (the default), issued by the development CA
when `signing_dev_ca` is on (development and tests only; see docs/signing.md)."""
from core.config import Settings
from services.errors import DomainError
from services.signing import Pkcs12Signer, devca


class NoSigningKey(DomainError):
    status = 409


def user_signer(settings: Settings, username: str, full_name: str, *, title: str = "", unit: str = "") -> Pkcs12Signer:
    directory, passphrase = settings.signing_path, settings.signing_passphrase.encode()
    path = directory / "users" / f"{username}.p12"
    if settings.signing_dev_ca:
        devca.ensure_user_credential(directory, username, full_name, title=title, unit=unit, passphrase=passphrase)
    elif not path.exists():
        raise NoSigningKey(f"Chưa có chứng thư số của {full_name}; liên hệ Sở Nội vụ.", "no_signing_key")
    return devca.signer_for_user(directory, username, passphrase)


def agency_signer(settings: Settings, code: str, agency_name: str) -> Pkcs12Signer:
    directory, passphrase = settings.signing_path, settings.signing_passphrase.encode()
    path = directory / "agencies" / f"{code.lower()}.p12"
    if settings.signing_dev_ca:
        devca.ensure_agency_credential(directory, agency_name, code.lower(), passphrase=passphrase)
    elif not path.exists():
        raise NoSigningKey(f"Chưa có chứng thư số của cơ quan {agency_name}; liên hệ Sở Nội vụ.", "no_signing_key")
    return devca.signer_for_agency(directory, code.lower(), passphrase)

"""Where a signing key lives: a PKCS#12 file, a PKCS#11 token, or a remote CSC service."""
from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from cryptography import x509
from pyhanko.sign import signers


class SigningError(RuntimeError):
    """Signing failed (key unreadable, token absent, remote service refused, ...)."""


class SigningConfigError(ValueError):
    """A signer configuration is incomplete or wrong."""


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
            self._signer = _open_pkcs12(self.path, self.passphrase)
        return self._signer

    @property
    def certificate(self) -> x509.Certificate:
        cert = self.pyhanko_signer().signing_cert
        return x509.load_der_x509_certificate(cert.dump())


# Opened PKCS#12 files, per process: opening one (decrypting it, checking its RSA key) costs tens of
# milliseconds, as much as a signature. A file replaced on disk (a renewed key) has another stamp.
_OPENED: dict[tuple, signers.SimpleSigner] = {}


def _open_pkcs12(path: Path, passphrase: bytes | None) -> signers.SimpleSigner:
    try:
        stat = path.stat()
    except OSError:
        raise SigningError(f"PKCS#12 file not found: {path}") from None
    stamp = (str(path.resolve()), stat.st_ino, stat.st_mtime_ns, stat.st_size,
             hashlib.sha256(passphrase or b"").digest())
    opened = _OPENED.get(stamp)
    if opened is None:
        opened = signers.SimpleSigner.load_pkcs12(str(path), passphrase=passphrase or None)
        if opened is None:  # pyHanko logs the reason and returns None
            raise SigningError(f"cannot open PKCS#12 file {path}: wrong passphrase or damaged file")
        for older in [key for key in _OPENED if key[0] == stamp[0]]:
            del _OPENED[older]
        _OPENED[stamp] = opened
    return opened


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

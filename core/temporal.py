"""Temporal client connection: the payload codec that encrypts workflow history, and TLS.

The worker is assembled in `bootstrap.worker`; it uses its client's data converter, so web app
and worker encrypt and decrypt with the same key ring (core/crypto.py).
"""
import dataclasses
from collections.abc import Sequence

import temporalio.converter
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.service import TLSConfig

from core import crypto
from core.config import Settings, get_settings

ENCODING = b"binary/encrypted"  # metadata "encoding" of an encrypted payload
KEY_ID = "encryption-key-id"  # metadata: the master key id (core/crypto) it was encrypted under
PURPOSE = b"temporal-payload/v1"  # the HKDF purpose of the payload subkeys


class EncryptionCodec(temporalio.converter.PayloadCodec):
    """AES-256-GCM over each whole payload (metadata and data), with a key derived from the ring's current
    master key. Payloads without the encoding pass through (histories recorded before the codec)."""

    def __init__(self, ring: crypto.KeyRing | None = None):
        self._ring = ring

    @property
    def ring(self) -> crypto.KeyRing:
        return self._ring or crypto.keyring()

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        encoded = []
        for payload in payloads:
            key_id, data = self.ring.encrypt(payload.SerializeToString(), PURPOSE)
            encoded.append(Payload(metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=data))
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                decoded.append(payload)
                continue
            key_id = payload.metadata.get(KEY_ID, b"").decode()
            decoded.append(Payload.FromString(self.ring.decrypt(key_id, payload.data, PURPOSE)))
        return decoded


def data_converter(ring: crypto.KeyRing | None = None) -> temporalio.converter.DataConverter:
    """The default JSON converter, payloads encrypted; failure messages and stack traces (which may carry a
    national-database answer or a refusal's text) moved into an encrypted payload too."""
    return dataclasses.replace(
        temporalio.converter.DataConverter.default, payload_codec=EncryptionCodec(ring),
        failure_converter_class=temporalio.converter.DefaultFailureConverterWithEncodedAttributes)


def tls_config(settings: Settings) -> TLSConfig | None:
    """HOSO_TEMPORAL_TLS_* as a TLSConfig, or None (plain connection) when none is set."""
    ca, cert, key, name = (settings.temporal_tls_ca, settings.temporal_tls_cert, settings.temporal_tls_key,
                           settings.temporal_tls_server_name)
    if not any((ca, cert, key, name)):
        return None
    if bool(cert) != bool(key):
        raise ValueError("HOSO_TEMPORAL_TLS_CERT và HOSO_TEMPORAL_TLS_KEY phải được đặt cùng nhau (mTLS).")

    def read(path, variable: str) -> bytes | None:
        if path is None:
            return None
        try:
            return path.read_bytes()
        except OSError as err:
            raise ValueError(f"{variable}: không đọc được tệp {path}: {err.strerror}.") from err

    return TLSConfig(server_root_ca_cert=read(ca, "HOSO_TEMPORAL_TLS_CA"), domain=name,
                     client_cert=read(cert, "HOSO_TEMPORAL_TLS_CERT"),
                     client_private_key=read(key, "HOSO_TEMPORAL_TLS_KEY"))


async def connect(address: str, namespace: str = "default", *, settings: Settings | None = None) -> Client:
    """The app's client (web, worker, CLI): encrypted payloads, TLS when configured (default: the environment's
    settings)."""
    settings = settings or get_settings()
    return await Client.connect(address, namespace=namespace, tls=tls_config(settings) or False,
                                data_converter=data_converter(crypto.load_keys(settings)))

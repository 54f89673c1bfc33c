"""The data key ring (core/crypto.py): envelopes, rotation, where the keys come from, the production
refusal; the Temporal payload codec and TLS options (core/temporal.py). No database, no server."""
import asyncio
import base64
import json
import os
import stat

import pytest
import temporalio.converter
from temporalio.api.common.v1 import Payload

from core import crypto
from core.config import Settings
from core.temporal import ENCODING, KEY_ID, EncryptionCodec, data_converter, tls_config

GOOD_SECRET = "k3Jx9-real-production-secret-0123456789abcdef"
SENSITIVE = frozenset({"ethnicity", "religion"})


def ring(*ids: str) -> tuple[crypto.KeyRing, list[tuple[str, bytes]]]:
    keys = [crypto.parse_key(crypto.generate_key_line(i), "test") for i in ids]
    return crypto.KeyRing(keys), keys


def test_an_envelope_hides_the_value_and_opens_with_any_listed_key():
    old, old_keys = ring("k2025")
    envelope = old.seal({"ethnicity": "Ê Đê"})
    assert crypto.is_envelope(envelope) and envelope["kid"] == "k2025"
    assert "Ê Đê" not in json.dumps(envelope, ensure_ascii=False)
    new_ring = crypto.KeyRing(ring("k2026")[1] + old_keys)
    assert new_ring.current_id == "k2026"
    assert new_ring.open(envelope) == {"ethnicity": "Ê Đê"}
    with pytest.raises(crypto.KeyUnavailable, match="k2025"):
        ring("other")[0].open(envelope)


def test_rewrap_keeps_the_ciphertext_and_is_idempotent():
    old, old_keys = ring("a")
    new_only, new_keys = ring("b")
    new_ring = crypto.KeyRing(new_keys + old_keys)
    envelope = old.seal("Phật giáo")
    rewrapped = new_ring.rewrap(envelope)
    assert rewrapped["kid"] == "b" and rewrapped["ct"] == envelope["ct"] and rewrapped["dk"] != envelope["dk"]
    assert new_ring.rewrap(rewrapped) is rewrapped
    assert new_only.open(rewrapped) == "Phật giáo"  # the old key can be retired


def test_sensitive_keys_are_sealed_together_and_come_back():
    keys, _ = ring("a")
    data = {"full_name": "Nguyễn Văn An", "ethnicity": "Kinh", "religion": "Không"}
    sealed = crypto.seal_keys(keys, data, SENSITIVE)
    assert set(sealed) == {"full_name", crypto.SEALED_KEY} and data["ethnicity"] == "Kinh"  # the input is untouched
    assert crypto.open_keys(keys, sealed) == data
    legacy = {"full_name": "B", "religion": "Công giáo"}  # written before the encryption
    assert crypto.open_keys(keys, legacy) == legacy
    assert crypto.rewrap_keys(keys, sealed, SENSITIVE) == (sealed, False)
    sealed_legacy, changed = crypto.rewrap_keys(keys, legacy, SENSITIVE)
    assert changed and "religion" not in sealed_legacy and crypto.open_keys(keys, sealed_legacy) == legacy
    forged = {"full_name": "C", crypto.SEALED_KEY: {"enc": "A256GCM", "kid": "a", "dk": "AAAA", "ct": "AAAA"}}
    assert crypto.seal_keys(keys, forged, SENSITIVE) == {"full_name": "C"}  # a stray envelope is not stored


def test_key_sources(tmp_path):
    line_old, line_new = crypto.generate_key_line("old"), crypto.generate_key_line("new")
    assert crypto.load_keys(Settings(data_keys=f"{line_new},{line_old}")).ids == ["new", "old"]
    single = base64.b64encode(os.urandom(32)).decode()
    assert crypto.load_keys(Settings(data_key=single)).current_id.startswith("k")  # its fingerprint
    key_file = tmp_path / "data-keys"
    key_file.write_text(f"# the current key first\n{line_new}\n\n{line_old}  # retired after rotation\n")
    assert crypto.load_keys(Settings(data_key_file=key_file)).ids == ["new", "old"]
    with pytest.raises(crypto.DataKeyError, match="HOSO_DATA_KEYS không hợp lệ"):
        crypto.load_keys(Settings(data_keys="a:" + base64.b64encode(b"short").decode()))
    with pytest.raises(crypto.DataKeyError, match="Chỉ đặt một"):
        crypto.load_keys(Settings(data_keys=line_new, data_key=single))
    with pytest.raises(crypto.DataKeyError, match="HOSO_DATA_KEY_FILE"):
        crypto.load_keys(Settings(data_key_file=tmp_path / "missing"))


def test_development_generates_one_key_under_data_dir_and_production_refuses(tmp_path):
    dev = Settings(data_dir=tmp_path)
    first = crypto.load_keys(dev)
    path = tmp_path / crypto.DEV_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert crypto.load_keys(dev).ids == first.ids  # generated once
    prod = Settings(env="prod", data_dir=tmp_path / "prod", secret_key=GOOD_SECRET, signing_dev_ca=False,
                    database_url="postgresql://h@db/hoso", temporal_address="temporal:7233",
                    audit_key="Vq2-audit-chain-production-key-0123456789")
    with pytest.raises(crypto.DataKeyError, match="HOSO_DATA_KEYS"):
        crypto.load_keys(prod)
    assert not (tmp_path / "prod" / crypto.DEV_KEY_FILE).exists()
    assert [p.split()[0] for p in prod.production_problems()] == ["HOSO_DATA_KEYS"]
    assert prod.model_copy(update={"data_key_file": tmp_path / "k"}).production_problems() == []
    assert prod.model_copy(update={"data_keys": crypto.generate_key_line("a")}).production_problems() == []
    placeholder = prod.model_copy(update={"data_key": "CHANGE-ME-data-key"})
    assert [p.split()[0] for p in placeholder.production_problems()] == ["HOSO_DATA_KEY"]
    broken = prod.model_copy(update={"data_keys": "a:not-base64!"})
    assert [p.split()[0] for p in broken.production_problems()] == ["HOSO_DATA_KEYS"]


def test_the_codec_encrypts_whole_payloads_and_passes_plain_ones_through():
    keys, old_keys = ring("k1")
    payloads = temporalio.converter.default().payload_converter.to_payloads(
        [{"comment": "Thiếu bản sao quyết định tuyển dụng"}])
    encoded = asyncio.run(EncryptionCodec(keys).encode(payloads))
    assert encoded[0].metadata["encoding"] == ENCODING and encoded[0].metadata[KEY_ID] == b"k1"
    assert "quyết định".encode() not in encoded[0].data and b"json/plain" not in encoded[0].data
    rotated = crypto.KeyRing(ring("k2")[1] + old_keys)
    assert asyncio.run(EncryptionCodec(rotated).decode(encoded)) == payloads
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'"x"')
    assert asyncio.run(EncryptionCodec(keys).decode([plain])) == [plain]
    with pytest.raises(crypto.KeyUnavailable):
        asyncio.run(EncryptionCodec(ring("k3")[0]).decode(encoded))
    converter = data_converter(keys)
    assert isinstance(converter.payload_codec, EncryptionCodec)
    assert converter.failure_converter_class is temporalio.converter.DefaultFailureConverterWithEncodedAttributes


def test_tls_config_is_built_from_the_files(tmp_path):
    assert tls_config(Settings()) is None
    (tmp_path / "ca.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\nCA\n")
    (tmp_path / "client.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\nCLIENT\n")
    (tmp_path / "client.key").write_bytes(b"-----BEGIN PRIVATE KEY-----\nKEY\n")
    settings = Settings(temporal_tls_ca=tmp_path / "ca.pem", temporal_tls_cert=tmp_path / "client.pem",
                        temporal_tls_key=tmp_path / "client.key", temporal_tls_server_name="temporal.tinh.gov.vn")
    tls = tls_config(settings)
    assert tls.server_root_ca_cert == b"-----BEGIN CERTIFICATE-----\nCA\n"
    assert tls.client_cert == b"-----BEGIN CERTIFICATE-----\nCLIENT\n"
    assert tls.client_private_key == b"-----BEGIN PRIVATE KEY-----\nKEY\n"
    assert tls.domain == "temporal.tinh.gov.vn"
    ca_only = tls_config(Settings(temporal_tls_ca=tmp_path / "ca.pem"))
    assert ca_only.server_root_ca_cert and ca_only.client_cert is None and ca_only.domain is None
    with pytest.raises(ValueError, match="HOSO_TEMPORAL_TLS_KEY"):
        tls_config(Settings(temporal_tls_cert=tmp_path / "client.pem"))
    with pytest.raises(ValueError, match="HOSO_TEMPORAL_TLS_CA"):
        tls_config(Settings(temporal_tls_ca=tmp_path / "missing.pem"))


def test_environment_variables_reach_the_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("HOSO_DATA_KEY_FILE", str(tmp_path / "keys"))
    monkeypatch.setenv("HOSO_TEMPORAL_TLS_SERVER_NAME", "temporal.internal")
    monkeypatch.setenv("HOSO_TEMPORAL_UI_ORIGIN", "https://temporal.tinh.gov.vn")
    monkeypatch.setenv("HOSO_DATA_KEYS", "")  # blank is unset
    settings = Settings()
    assert settings.data_key_file == tmp_path / "keys" and settings.data_keys is None
    assert settings.temporal_tls_server_name == "temporal.internal"
    assert settings.temporal_ui_origin == "https://temporal.tinh.gov.vn"

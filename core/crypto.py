"""Encryption of sensitive personal data (Nghị định 13/2023/NĐ-CP Điều 2.4): AES-256-GCM envelopes.

Master keys come from the settings, each with a key id; the first is current. A sealed value has
its own random data key, wrapped (encrypted) under the current master key and stored beside the
ciphertext, so rotating the master key re-wraps 32-byte data keys and never touches the data:

    {"enc": "A256GCM", "kid": "<master key id>", "dk": "<b64 nonce+wrapped data key>", "ct": "<b64 nonce+ciphertext>"}

An envelope opens while any listed master key opens its data key (the one named by `kid` first).
Temporal payloads (core/temporal.py) are encrypted with a key derived from the same master keys
(HKDF, one purpose each), so one key ring serves the database and workflow history.

Sources, exactly one of: HOSO_DATA_KEYS (`id:base64,id:base64`), HOSO_DATA_KEY (one base64 key; its id is
its fingerprint) or HOSO_DATA_KEY_FILE (one key per line, `id:base64` or `base64`, `#` comments). None of
them in development: a key is generated once in `<data_dir>/data-keys`; in production that is refused.
"""
import base64
import binascii
import hashlib
import json
import os
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.config import PLACEHOLDER, Settings, get_settings

ENVELOPE = "A256GCM"  # the value of "enc" in a sealed value
KEY_BYTES = 32
NONCE_BYTES = 12
KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
DEV_KEY_FILE = "data-keys"
SEALED_KEY = "_sealed"  # in a dict whose sensitive keys are sealed: the envelope holding them
_DATA_AAD = b"hoso/data/v1"


class DataKeyError(RuntimeError):
    """The master keys are missing or malformed; the message (Vietnamese) names the variable."""


class KeyUnavailable(DataKeyError):
    """No listed master key opens this envelope or payload."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def fingerprint(secret: bytes) -> str:
    """The default id of a key given without one: a short hash, which says nothing about the key."""
    return "k" + hashlib.sha256(b"hoso/key-id/" + secret).hexdigest()[:10]


class KeyRing:
    """Master keys by id; the first one is current (it wraps new data keys and encrypts new payloads)."""

    def __init__(self, keys: Iterable[tuple[str, bytes]]):
        self._keys: dict[str, bytes] = {}
        for key_id, secret in keys:
            if key_id in self._keys:
                raise DataKeyError(f"Mã khóa «{key_id}» xuất hiện hai lần trong danh sách khóa dữ liệu.")
            if len(secret) != KEY_BYTES:
                raise DataKeyError(f"Khóa «{key_id}» phải dài đúng {KEY_BYTES} byte (AES-256).")
            self._keys[key_id] = secret
        if not self._keys:
            raise DataKeyError("Danh sách khóa dữ liệu trống.")
        self.current_id = next(iter(self._keys))
        self._derived: dict[tuple[str, bytes], bytes] = {}

    def __repr__(self) -> str:  # never the secrets
        return f"KeyRing(current={self.current_id!r}, ids={self.ids!r})"

    @property
    def ids(self) -> list[str]:
        return list(self._keys)

    def _candidates(self, key_id: str) -> list[tuple[str, bytes]]:
        """The named key first, then the others (a key listed under another id still opens its data)."""
        first = [(key_id, self._keys[key_id])] if key_id in self._keys else []
        return first + [(k, v) for k, v in self._keys.items() if k != key_id]

    # ---- envelopes (database) ----------------------------------------------------------------

    def seal(self, value: Any) -> dict[str, str]:
        """Any JSON value as an envelope, under a fresh data key wrapped by the current master key."""
        data_key = AESGCM.generate_key(bit_length=256)
        plaintext = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = nonce + AESGCM(data_key).encrypt(nonce, plaintext, _DATA_AAD)
        return {"enc": ENVELOPE, "kid": self.current_id, "dk": self._wrap(data_key), "ct": _b64(ciphertext)}

    def open(self, envelope: dict) -> Any:
        data_key = self._unwrap(envelope)
        raw = _unb64(envelope["ct"])
        try:
            plaintext = AESGCM(data_key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _DATA_AAD)
        except InvalidTag as err:
            raise KeyUnavailable("Dữ liệu mã hóa bị hỏng hoặc bị sửa (AES-GCM không xác thực được).") from err
        return json.loads(plaintext)

    def rewrap(self, envelope: dict) -> dict:
        """The same ciphertext with its data key wrapped by the current master key (itself if already so)."""
        if envelope.get("kid") == self.current_id:
            return envelope
        return {**envelope, "kid": self.current_id, "dk": self._wrap(self._unwrap(envelope))}

    def _wrap(self, data_key: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        aad = b"hoso/dk/" + self.current_id.encode()
        return _b64(nonce + AESGCM(self._keys[self.current_id]).encrypt(nonce, data_key, aad))

    def _unwrap(self, envelope: dict) -> bytes:
        key_id = str(envelope.get("kid", ""))
        raw = _unb64(envelope["dk"])
        aad = b"hoso/dk/" + key_id.encode()
        for _, secret in self._candidates(key_id):
            try:
                return AESGCM(secret).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
            except InvalidTag:
                continue
        raise KeyUnavailable(f"Không khóa nào trong danh sách mở được dữ liệu mã hóa bằng khóa «{key_id}»: "
                             "khóa cũ phải còn trong HOSO_DATA_KEYS / HOSO_DATA_KEY_FILE cho đến khi chạy "
                             "xong «hoso keys rotate».")

    # ---- raw encryption with a derived key (Temporal payloads) ----------------------------------

    def _derive(self, key_id: str, purpose: bytes) -> bytes:
        cached = self._derived.get((key_id, purpose))
        if cached is None:
            cached = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
                          info=b"hoso/" + purpose).derive(self._keys[key_id])
            self._derived[(key_id, purpose)] = cached
        return cached

    def encrypt(self, plaintext: bytes, purpose: bytes) -> tuple[str, bytes]:
        """(key id, nonce + ciphertext) under the current key's subkey for this purpose."""
        nonce = os.urandom(NONCE_BYTES)
        key_id = self.current_id
        sealed = AESGCM(self._derive(key_id, purpose)).encrypt(nonce, plaintext, key_id.encode())
        return key_id, nonce + sealed

    def decrypt(self, key_id: str, data: bytes, purpose: bytes) -> bytes:
        for candidate, _ in self._candidates(key_id):
            try:
                return AESGCM(self._derive(candidate, purpose)).decrypt(
                    data[:NONCE_BYTES], data[NONCE_BYTES:], key_id.encode())
            except InvalidTag:
                continue
        raise KeyUnavailable(f"Không khóa nào trong danh sách giải mã được dữ liệu của khóa «{key_id}».")


def is_envelope(value: Any) -> bool:
    return (isinstance(value, dict) and value.get("enc") == ENVELOPE and isinstance(value.get("dk"), str)
            and isinstance(value.get("ct"), str))


# ---- dicts whose sensitive keys are sealed together ------------------------------------------

def seal_keys(ring: KeyRing, data: Any, keys: frozenset[str]) -> Any:
    """A copy of the dict with the values of `keys` moved into one envelope under SEALED_KEY (one data
    key per record). A SEALED_KEY already in `data` did not come from a read (reads open it): dropped."""
    if not isinstance(data, dict):
        return data
    sensitive = {k: data[k] for k in keys if k in data}
    kept = {k: v for k, v in data.items() if k not in keys and k != SEALED_KEY}
    if sensitive:
        kept[SEALED_KEY] = ring.seal(sensitive)
    return kept


def open_keys(ring: KeyRing, data: Any) -> Any:
    """The dict with its sealed keys back in place; plaintext (older) rows are returned as they are."""
    if not isinstance(data, dict) or not is_envelope(data.get(SEALED_KEY)):
        return data
    opened = ring.open(data[SEALED_KEY])
    return {**{k: v for k, v in data.items() if k != SEALED_KEY}, **opened}


def rewrap_keys(ring: KeyRing, data: Any, keys: frozenset[str]) -> tuple[Any, bool]:
    """For `hoso keys rotate`: (new value, changed). Sealed under an older key → re-wrapped; sensitive
    keys still in clear → sealed; already current and nothing in clear → unchanged."""
    if not isinstance(data, dict):
        return data, False
    in_clear = any(k in data for k in keys)
    envelope = data.get(SEALED_KEY)
    if is_envelope(envelope) and not in_clear:
        rewrapped = ring.rewrap(envelope)
        return ({**data, SEALED_KEY: rewrapped}, True) if rewrapped is not envelope else (data, False)
    if not in_clear:
        return data, False
    return seal_keys(ring, open_keys(ring, data), keys), True


def rewrap_value(ring: KeyRing, value: Any, *, sensitive: bool) -> tuple[Any, bool]:
    """A whole value (revision_changes.old/new): re-wrap an envelope, seal a sensitive one still in clear."""
    if is_envelope(value):
        rewrapped = ring.rewrap(value)
        return rewrapped, rewrapped is not value
    if sensitive and value is not None:
        return ring.seal(value), True
    return value, False


# ---- the key ring from the settings ------------------------------------------------------------

def parse_key(text: str, source: str) -> tuple[str, bytes]:
    """`id:base64` or `base64` (its id is then its fingerprint)."""
    text = text.strip()
    key_id, sep, encoded = text.rpartition(":")
    if not sep:
        key_id, encoded = "", text
    try:
        secret = _unb64(encoded.strip())
    except (binascii.Error, ValueError) as err:
        raise DataKeyError(f"{source} không hợp lệ: khóa không phải base64.") from err
    if len(secret) != KEY_BYTES:
        raise DataKeyError(f"{source} không hợp lệ: khóa phải dài đúng {KEY_BYTES} byte sau khi giải base64 "
                           f"(đang là {len(secret)}). Tạo khóa mới bằng «hoso keys generate».")
    key_id = key_id.strip() or fingerprint(secret)
    if not KEY_ID.match(key_id):
        raise DataKeyError(f"{source} không hợp lệ: mã khóa «{key_id}» chỉ được gồm chữ, số, «.», «_», «-» "
                           "(tối đa 32 ký tự).")
    return key_id, secret


def parse_keys(lines: Iterable[str], source: str) -> list[tuple[str, bytes]]:
    keys = [parse_key(line, source) for raw in lines if (line := raw.split("#", 1)[0].strip())]
    if not keys:
        raise DataKeyError(f"{source} không có khóa nào.")
    return keys


def _sources(settings: Settings) -> list[str]:
    return [name for name, value in (("HOSO_DATA_KEYS", settings.data_keys), ("HOSO_DATA_KEY", settings.data_key),
                                     ("HOSO_DATA_KEY_FILE", settings.data_key_file)) if value]


def generate_key_line(key_id: str | None = None) -> str:
    secret = AESGCM.generate_key(bit_length=256)
    return f"{key_id or fingerprint(secret)}:{_b64(secret)}"


def _development_keys(settings: Settings) -> list[tuple[str, bytes]]:
    """`<data_dir>/data-keys`, created once (mode 0600; atomically, so web and worker starting together agree)."""
    path = settings.data_dir / DEV_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{DEV_KEY_FILE}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write("# Development data key of Hồ sơ, generated once. Never use it in production.\n")
            out.write(generate_key_line() + "\n")
        try:
            os.link(temp, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            temp.unlink()
    return parse_keys(path.read_text(encoding="utf-8").splitlines(), str(path))


def load_keys(settings: Settings) -> KeyRing:
    sources = _sources(settings)
    if len(sources) > 1:
        raise DataKeyError(f"Chỉ đặt một trong {', '.join(sources)} (khóa dữ liệu).")
    if settings.data_keys:
        return KeyRing(parse_keys(settings.data_keys.split(","), "HOSO_DATA_KEYS"))
    if settings.data_key:
        return KeyRing([parse_key(settings.data_key, "HOSO_DATA_KEY")])
    if settings.data_key_file:
        path = Path(settings.data_key_file)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise DataKeyError(f"HOSO_DATA_KEY_FILE không đọc được: tệp khóa {path}: {err.strerror}.") from err
        return KeyRing(parse_keys(text.splitlines(), f"HOSO_DATA_KEY_FILE ({path})"))
    if settings.is_prod:
        raise DataKeyError(missing_key_message())
    return KeyRing(_development_keys(settings))


def missing_key_message() -> str:
    return ("HOSO_DATA_KEYS (hoặc HOSO_DATA_KEY, HOSO_DATA_KEY_FILE) chưa đặt: dữ liệu cá nhân nhạy cảm "
            "(Nghị định 13/2023/NĐ-CP) cần khóa mã hóa riêng; khóa phát triển không dùng cho sản xuất. Tạo khóa "
            "bằng «hoso keys generate» và đặt HOSO_DATA_KEY_FILE trỏ tới tệp chứa khóa (docs/data-protection.md).")


def configuration_problem(settings: Settings) -> str | None:
    """For Settings.production_problems(): no key source, several, a placeholder, or a malformed inline key.
    A key file is read at start (load_keys), not here: its path is inside the container."""
    sources = _sources(settings)
    if not sources:
        return missing_key_message()
    if len(sources) > 1:
        return f"{sources[0]} và {', '.join(sources[1:])} cùng được đặt: chỉ đặt một nguồn khóa dữ liệu."
    inline = settings.data_keys or settings.data_key
    if inline is not None:
        if PLACEHOLDER in inline.lower():
            return f"{sources[0]} vẫn là giá trị mẫu CHANGE-ME: tạo khóa bằng «hoso keys generate»."
        try:
            load_keys(settings)
        except DataKeyError as err:
            return str(err) if str(err).startswith(sources[0]) else f"{sources[0]} không hợp lệ: {err}"
    return None


# ---- the process's key ring ---------------------------------------------------------------------

_ring: KeyRing | None = None
_lock = threading.Lock()


def keyring() -> KeyRing:
    """The ring installed by `configure` (web app, worker, CLI), else loaded once from the environment."""
    global _ring
    if _ring is None:
        with _lock:
            if _ring is None:
                _ring = load_keys(get_settings())
    return _ring


def configure(settings: Settings) -> KeyRing:
    """Load the ring of these settings and make it the process's (raises DataKeyError when unusable)."""
    ring = load_keys(settings)
    use(ring)
    return ring


def use(ring: KeyRing | None) -> KeyRing | None:
    """Install a ring (None: load again from the environment on next use); returns the previous one."""
    global _ring
    with _lock:
        previous, _ring = _ring, ring
    return previous

"""JSONB columns that hold CV data, with the sensitive items sealed at rest (core/crypto envelopes).

Writes seal, reads open, so the rest of the code sees plain dicts. Rows written before the
encryption stay readable (their values are plain) and are sealed on their next write or by
`hoso keys rotate`. Raw SQL (`text()`) bypasses these types: it sees the envelopes, and may copy one as it is
(the national outbox takes its revision's: services/national_sync.OUTBOX_INSERT).
"""
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import TypeDecorator

from core import crypto


def _at(value: Any, path: tuple[str, ...], change: Callable[[Any], Any]) -> Any:
    """`value` with `change` applied at `path` (copies along the way; never mutates the caller's dict)."""
    if not path:
        return change(value)
    if not isinstance(value, dict) or path[0] not in value:
        return value
    return {**value, path[0]: _at(value[path[0]], path[1:], change)}


class SealedJSONB(TypeDecorator):
    """JSONB holding a dict (at `path` inside the stored value) whose `fields` are sealed together, one data
    key per row (an outbox row holds a copy of its revision's envelope). With no fields it only opens: a whole value that is an envelope (see `seal_when`)."""

    impl = JSONB
    cache_ok = True

    def __init__(self, fields: frozenset[str] = frozenset(), path: tuple[str, ...] = ()):
        super().__init__()
        self.fields = frozenset(fields)
        self.path = tuple(path)

    def process_bind_param(self, value: Any, dialect) -> Any:
        if value is None or not self.fields:
            return value
        return _at(value, self.path, lambda data: crypto.seal_keys(crypto.keyring(), data, self.fields))

    def process_result_value(self, value: Any, dialect) -> Any:
        if value is None:
            return None
        if not self.fields:
            return crypto.keyring().open(value) if crypto.is_envelope(value) else value
        return _at(value, self.path, lambda data: crypto.open_keys(crypto.keyring(), data))


def seal_when(cls: type, attributes: tuple[str, ...], sensitive: Callable[[Any], bool]) -> None:
    """Seal these whole-value attributes of rows for which `sensitive(row)` holds (their column type must be
    `SealedJSONB()`, which opens them on read). The object keeps its plain values in memory.

    A plain value that happens to look like an envelope is sealed too, so that reading it gives it back."""

    def before(mapper, connection, target) -> None:
        plain = {}
        for name in attributes:
            value = getattr(target, name)
            if value is not None and (sensitive(target) or crypto.is_envelope(value)):
                plain[name] = value
                setattr(target, name, crypto.keyring().seal(value))
        inspect(target).info["sealed_plain"] = plain

    def after(mapper, connection, target) -> None:
        for name, value in inspect(target).info.pop("sealed_plain", {}).items():
            set_committed_value(target, name, value)

    for when in ("before_insert", "before_update"):
        event.listen(cls, when, before)
    for when in ("after_insert", "after_update"):
        event.listen(cls, when, after)

"""The sealed CV data at rest, row by row: key rotation and its report (`hoso keys rotate|status`).

Reads and writes the stored JSON as it is (plain JSONB, not the models' sealing types): an envelope's
data key is re-wrapped under the current master key, keeping its ciphertext; a sensitive value still in
clear (a row written before the encryption) is sealed. Rows already sealed under the current key are
left alone, so a second run changes nothing.
"""
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import column, select, table, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from services.cv import SENSITIVE_FIELDS


@dataclass(frozen=True)
class SealedTable:
    """Where CV data is stored: the table, its JSON columns, and how a row's sensitive values are sealed."""
    name: str
    columns: tuple[str, ...]
    rewrap: Callable[[crypto.KeyRing, dict], dict[str, Any]]  # row → the changed columns' new values
    envelopes: Callable[[dict], tuple[list[dict], bool]]  # row → (its envelopes, whether a value is in clear)


def _dict_rewrap(column_name: str, path: tuple[str, ...] = ()):
    def rewrap(ring: crypto.KeyRing, row: dict) -> dict[str, Any]:
        value = row[column_name]
        inner = _get(value, path)
        new_inner, changed = crypto.rewrap_keys(ring, inner, SENSITIVE_FIELDS)
        return {column_name: _set(value, path, new_inner)} if changed else {}
    return rewrap


def _dict_envelopes(column_name: str, path: tuple[str, ...] = ()):
    def envelopes(row: dict) -> tuple[list[dict], bool]:
        inner = _get(row[column_name], path)
        if not isinstance(inner, dict):
            return [], False
        sealed = inner.get(crypto.SEALED_KEY)
        return ([sealed] if crypto.is_envelope(sealed) else []), any(k in inner for k in SENSITIVE_FIELDS)
    return envelopes


def _get(value: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    return value


def _set(value: Any, path: tuple[str, ...], inner: Any) -> Any:
    if not path:
        return inner
    return {**value, path[0]: _set(value[path[0]], path[1:], inner)}


def _changes_rewrap(ring: crypto.KeyRing, row: dict) -> dict[str, Any]:
    new = {}
    for name in ("old", "new"):
        value, changed = crypto.rewrap_value(ring, row[name], sensitive=row["field"] in SENSITIVE_FIELDS)
        if changed:
            new[name] = value
    return new


def _changes_envelopes(row: dict) -> tuple[list[dict], bool]:
    values = [row["old"], row["new"]]
    in_clear = row["field"] in SENSITIVE_FIELDS and any(v is not None and not crypto.is_envelope(v) for v in values)
    return [v for v in values if crypto.is_envelope(v)], in_clear


SEALED_TABLES = (
    SealedTable("profile_revisions", ("data",), _dict_rewrap("data"), _dict_envelopes("data")),
    SealedTable("revision_changes", ("field", "old", "new"), _changes_rewrap, _changes_envelopes),
    SealedTable("sync_outbox", ("payload",), _dict_rewrap("payload", ("data",)), _dict_envelopes("payload", ("data",))),
)


def _table(spec: SealedTable):
    return table(spec.name, column("id"), *(column(c, JSONB) if c != "field" else column(c) for c in spec.columns))


async def rotate_batch(ring: crypto.KeyRing, spec: SealedTable, after_id: int,
                       limit: int = 200, *, session: AsyncSession) -> tuple[int | None, int]:
    """Re-wrap (or seal) the next `limit` rows after `after_id`, locked while this transaction lasts:
    (the last id seen, or None at the end; the number of rows changed)."""
    t = _table(spec)
    rows = (await session.execute(select(t).where(t.c.id > after_id).order_by(t.c.id).limit(limit)
                                  .with_for_update())).mappings().all()
    changed = 0
    for row in rows:
        new = spec.rewrap(ring, dict(row))
        if new:
            await session.execute(update(t).where(t.c.id == row["id"]).values(**new))
            changed += 1
    return (rows[-1]["id"] if rows else None), changed


@dataclass
class TableStatus:
    rows: int = 0
    by_key: Counter = field(default_factory=Counter)  # key id → envelopes sealed under it
    in_clear: int = 0  # rows with a sensitive value not yet sealed


async def status(spec: SealedTable, chunk: int = 1000, *, session: AsyncSession) -> TableStatus:
    t = _table(spec)
    report, after = TableStatus(), 0
    while True:
        rows = (await session.execute(select(t).where(t.c.id > after).order_by(t.c.id).limit(chunk))).mappings().all()
        if not rows:
            return report
        for row in rows:
            envelopes, in_clear = spec.envelopes(dict(row))
            report.rows += 1
            report.in_clear += in_clear
            report.by_key.update(str(e.get("kid")) for e in envelopes)
        after = rows[-1]["id"]

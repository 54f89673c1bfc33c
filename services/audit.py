"""The audit log as a tamper-evident hash chain (docs/data-protection.md#the-audit-chain).

`record` is the only writer. It keeps the event in the session until the unit of work commits; then, in
the same transaction and as its last step, the events are appended to one global chain:

* the chain's head (`audit_chain`, one row) is locked (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`),
  so concurrent commits append one after the other and the chain never forks. The lock is held only for
  the commit itself, not while the request or activity runs (a service may record, then call Temporal);
* each event gets the next `seq` and its id (drawn under the same lock, so ids grow with seq), the head's
  hash as `prev_hash`, and `hash = HMAC-SHA256(HOSO_AUDIT_KEY, canonical(row) + "\\n" + prev_hash)`;
* the head moves to the last event.

The key is not in the database: someone with SQL access alone can change, add or remove rows but cannot
compute the hashes that would make the change invisible. `verify_chain` recomputes the chain and names
the first row that was altered, inserted or deleted.

A row's `at` is when the service recorded it; `seq` is the order of the commits (a long transaction that
recorded first may commit second).
"""
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from core.config import get_settings
from core.db import SERIAL_COMMIT
from models.audit import AuditChainHead, AuditEvent

GENESIS = "0" * 64  # the prev_hash of the first row
FORMAT = "hoso-audit/1"  # the first item of every row's canonical form: a later format can be told apart
_PENDING = "hoso_audit_pending"  # session.info key: events waiting for the commit
BATCH = 2000  # rows read per query by verify_chain


def audit_key() -> bytes:
    """HOSO_AUDIT_KEY, as the HMAC key (the process's settings: web, worker and `hoso migrate` agree)."""
    return get_settings().audit_key.strip().encode("utf-8")


# ---- the canonical form and the hash ----------------------------------------------------------

def _canon(value: Any) -> Any:
    """The value as PostgreSQL's jsonb gives it back: an integral float is its integer (jsonb keeps 1e20 as
    100000000000000000000, read back as an int), keys are strings, tuples are lists."""
    if isinstance(value, dict):
        return {str(k): _canon(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canon(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(*, id: int, seq: int, at: datetime, actor: str, action: str, subject: str, detail: Any) -> bytes:
    """What a row's hash covers besides prev_hash: every column of the row, in a fixed order, as compact JSON
    with sorted keys (UTF-8)."""
    items = [FORMAT, id, seq, _utc(at), actor, action, subject, _canon(detail)]
    return json.dumps(items, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8", "surrogatepass")


def row_hash(key: bytes, content: bytes, prev_hash: str) -> str:
    return hmac.new(key, content + b"\n" + prev_hash.encode("ascii", "replace"), hashlib.sha256).hexdigest()


# ---- writing ----------------------------------------------------------------------------------

async def record(*, session: AsyncSession, actor: str, action: str, subject: str, at: datetime | None = None,
                 **detail: Any) -> None:
    """Log an action that happened `at` (default: now; an activity may pass its attempt's time). The row is
    written, chained, when the session's unit of work commits (and not at all if it rolls back, or if the
    savepoint it was recorded in does)."""
    plain = json.loads(json.dumps(detail, allow_nan=False))  # what jsonb will hold; refuses what it cannot
    sync = session.sync_session
    sync.info[SERIAL_COMMIT] = True
    sync.info.setdefault(_PENDING, []).append(
        (sync.get_nested_transaction(), dict(at=(at or datetime.now(UTC)).astimezone(UTC), actor=actor,
                                             action=action, subject=subject, detail=plain)))


HEAD_LOCK = text("""
    INSERT INTO audit_chain (id, seq, hash, updated_at)
    SELECT 1, coalesce(max(e.seq), 0),
           coalesce((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1), :genesis), now()
    FROM audit_events e
    ON CONFLICT (id) DO UPDATE SET id = 1
    RETURNING seq, hash,
              ARRAY(SELECT nextval(pg_get_serial_sequence('audit_events', 'id')) FROM generate_series(1, :n)) AS ids
""")  # a missing head (never written, or emptied) is rebuilt from the last row; the ids are drawn under the lock


APPEND = text("""
    WITH moved_head AS (UPDATE audit_chain SET seq = :seq, hash = :hash, updated_at = now() WHERE id = 1)
    INSERT INTO audit_events (id, seq, at, actor, action, subject, detail, prev_hash, hash)
    SELECT id, seq, at, actor, action, subject, detail, prev_hash, hash
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(id bigint, seq bigint, at timestamptz, actor text, action text,
                                                       subject text, detail jsonb, prev_hash text, hash text)
""")  # the events as one JSON parameter: a statement compiled once, where a multi-row VALUES was compiled at each commit


def _append(session: Session) -> None:
    """before_commit: append the session's pending events to the chain, under the head's row lock. Only
    the outermost commit appends: releasing a savepoint also fires before_commit.

    Every commit that records waits for the lock, so it is held for two statements and the COMMIT: the session's
    other changes are flushed before it is taken, and the events and the head's move are one statement."""
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()
    events = [values for _, values in pending]
    seq, prev, ids = session.execute(HEAD_LOCK, {"genesis": GENESIS, "n": len(events)}).one()
    key, rows = audit_key(), []
    for event_id, values in zip(sorted(ids), events):
        seq += 1
        digest = row_hash(key, canonical(id=event_id, seq=seq, **values), prev)
        rows.append({**values, "at": values["at"].isoformat(), "id": event_id, "seq": seq, "prev_hash": prev,
                     "hash": digest})
        prev = digest
    session.execute(APPEND, {"seq": seq, "hash": prev, "rows": json.dumps(rows, ensure_ascii=False, allow_nan=False)})


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _forget(session: Session, previous_transaction: SessionTransaction) -> None:
    """after_soft_rollback: a rolled-back savepoint takes its events with it; a rolled-back transaction all."""
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if previous_transaction.nested:
        session.info[_PENDING] = [item for item in pending if not _within(item[0], previous_transaction)]
    else:
        session.info.pop(_PENDING, None)


event.listen(Session, "before_commit", _append)
event.listen(Session, "after_soft_rollback", _forget)


# ---- verifying --------------------------------------------------------------------------------

Reason = Literal["altered", "inserted", "deleted", "forked", "head_altered"]
REASONS: dict[str, str] = {
    "altered": "Dòng nhật ký đã bị sửa ngoài ứng dụng (mã băm không khớp nội dung).",
    "inserted": "Dòng nhật ký được chèn thêm ngoài ứng dụng (không thuộc chuỗi băm).",
    "deleted": "Dòng nhật ký đã bị xóa ngoài ứng dụng (chuỗi băm bị đứt, thiếu số thứ tự).",
    "forked": "Chuỗi băm bị rẽ nhánh: dòng này không nối với dòng liền trước.",
    "head_altered": "Đầu chuỗi (bảng audit_chain) không khớp với dòng nhật ký cùng số thứ tự.",
}


@dataclass(frozen=True)
class Broken:
    """The first row where the chain breaks. For a deletion the row is gone: `seq` is the first missing
    number, `count` how many are missing, `id` None, `after_id`/`before_id` the rows around the gap."""
    reason: str
    seq: int | None
    id: int | None = None
    at: datetime | None = None
    count: int | None = None
    after_id: int | None = None
    before_id: int | None = None

    @property
    def message(self) -> str:
        return REASONS[self.reason]

    def as_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "seq": self.seq, "id": self.id,
                "at": self.at.isoformat() if self.at else None, "count": self.count, "after_id": self.after_id,
                "before_id": self.before_id, "message": self.message}


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int  # rows read and checked (up to the first break)
    first_broken: Broken | None
    last_seq: int  # the head when the check began (0: empty log)
    last_hash: str
    checked_at: datetime


@dataclass(frozen=True)
class _Row:
    id: int
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: Any
    prev_hash: str
    hash: str

    def content(self, *, seq: int | None = None) -> bytes:
        return canonical(id=self.id, seq=self.seq if seq is None else seq, at=self.at, actor=self.actor,
                         action=self.action, subject=self.subject, detail=self.detail)

    def authentic(self, key: bytes, *, seq: int | None = None) -> bool:
        return hmac.compare_digest(row_hash(key, self.content(seq=seq), self.prev_hash), self.hash)


async def _rows(session: AsyncSession) -> AsyncIterator[_Row]:
    """Every row in chain order, read in batches (keyset on seq)."""
    columns = (AuditEvent.id, AuditEvent.seq, AuditEvent.at, AuditEvent.actor, AuditEvent.action,
               AuditEvent.subject, AuditEvent.detail, AuditEvent.prev_hash, AuditEvent.hash)
    after = None
    while True:
        query = select(*columns).order_by(AuditEvent.seq).limit(BATCH)
        if after is not None:
            query = query.where(AuditEvent.seq > after)
        batch = (await session.execute(query)).all()
        for row in batch:
            yield _Row(*row)
        if len(batch) < BATCH:
            return
        after = batch[-1].seq


async def head(*, session: AsyncSession) -> tuple[int, str]:
    """(last seq, last hash) of the chain's head; (0, GENESIS) before the first row."""
    found = (await session.execute(select(AuditChainHead.seq, AuditChainHead.hash)
                                   .where(AuditChainHead.id == 1))).first()
    return (found[0], found[1]) if found else (0, GENESIS)


async def verify_chain(*, session: AsyncSession, key: bytes | None = None) -> Verification:
    """Recompute the chain from its first row and name the first row altered, inserted or deleted.

    The head is read first and the rows after it (READ COMMITTED): every row a commit appended up to the
    head is visible to the later reads, and rows appended meanwhile continue the chain; so a concurrent
    writer never makes the check fail."""
    key = audit_key() if key is None else key
    started = datetime.now(UTC)
    head_seq, head_hash = await head(session=session)
    checked, prev_seq, prev_hash, prev_id = 0, 0, GENESIS, None
    rows = aiter(_rows(session))
    row = await anext(rows, None)

    def done(broken: Broken | None) -> Verification:
        return Verification(ok=broken is None, checked=checked, first_broken=broken, last_seq=head_seq,
                            last_hash=head_hash, checked_at=started)

    while row is not None:
        following = await anext(rows, None)
        checked += 1
        if not row.authentic(key):
            if row.prev_hash != prev_hash and row.authentic(key, seq=row.seq + 1):  # renumbered to close a gap
                return done(Broken("deleted", prev_seq + 1, count=1, after_id=prev_id, before_id=row.id))
            return done(Broken(_forged(row, following, key, prev_hash, prev_seq, head_seq), row.seq, row.id,
                               row.at))
        if row.prev_hash != prev_hash:
            missing = row.seq - prev_seq - 1
            if missing > 0:
                return done(Broken("deleted", prev_seq + 1, count=missing, after_id=prev_id, before_id=row.id))
            return done(Broken("forked", row.seq, row.id, row.at))
        if row.seq == head_seq and row.hash != head_hash:
            return done(Broken("head_altered", row.seq, row.id, row.at))
        prev_seq, prev_hash, prev_id, row = row.seq, row.hash, row.id, following
    if prev_seq < head_seq:  # the last rows are gone (the head still names them)
        return done(Broken("deleted", prev_seq + 1, count=head_seq - prev_seq, after_id=prev_id))
    return done(None)


def _forged(row: _Row, following: _Row | None, key: bytes, prev_hash: str, prev_seq: int, head_seq: int) -> str:
    """A row whose hash does not match: inserted when the chain goes on without it (the next row links to
    the one before it, maybe renumbered to make room, or it lies beyond the head); else altered."""
    if following is not None and following.prev_hash == prev_hash and (
            following.authentic(key) or following.authentic(key, seq=following.seq - 1)):
        return "inserted"
    if following is None and row.seq > head_seq >= prev_seq:
        return "inserted"
    if row.seq <= prev_seq:  # a duplicate place in the chain
        return "inserted"
    return "altered"


# ---- reading a period -------------------------------------------------------------------------

async def events_between(start: datetime, end: datetime, *, session: AsyncSession,
                         limit: int | None = None) -> list[AuditEvent]:
    """The rows with start <= at <= end, in chain order."""
    query = (select(AuditEvent).where(AuditEvent.at >= start, AuditEvent.at <= end).order_by(AuditEvent.seq))
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).scalars())


async def last_event(action: str, subject: str, *, session: AsyncSession) -> AuditEvent | None:
    return (await session.execute(select(AuditEvent).where(AuditEvent.action == action, AuditEvent.subject == subject)
                                  .order_by(AuditEvent.seq.desc()).limit(1))).scalars().first()


async def latest(action: str, *, session: AsyncSession, limit: int = 10) -> list[AuditEvent]:
    """The newest rows of one action (e.g. the daily checks), newest first."""
    return list((await session.execute(select(AuditEvent).where(AuditEvent.action == action)
                                       .order_by(AuditEvent.seq.desc()).limit(limit))).scalars())

"""Sync of approved records to the national CBCCVC database, through an outbox.

Approved data goes to the national database through the national data-sharing platform only
after approval by digital signature (Quảng Ngãi Điều 11 khoản 3, Hải Phòng Điều 10 khoản 3). The
approval writes one ``sync_outbox`` row per approved revision *in the same transaction* (enqueue);
an activity then sends each row with its idempotency key until the national side acknowledges it.
A resend after a lost acknowledgement carries the same key, so the national side stores it once.
"""
import re
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import Text, cast, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from core.db import any_id
from models import Person, ProfileRevision, SyncOutbox
from models.people import SENSITIVE_CV_FIELDS
from services.errors import Invalid

OUTBOX_STATUSES = {
    "pending": "Chờ gửi",
    "sent": "Đã gửi lên CSDL quốc gia",
    "failed": "Gửi lỗi, đang thử lại",
}
RECORDS_PATH = "/api/v1/records"
MAX_ERROR_CHARS = 2000


# ---------------------------------------------------------------- outbox


async def enqueue(revision: ProfileRevision, person: Person, *, session: AsyncSession) -> SyncOutbox:
    """The revision's outbox row, created once: call it in the approval's own transaction, after the revision
    is flushed as approved."""
    if revision.status != "approved":
        raise Invalid("Chỉ hồ sơ đã được phê duyệt (ký số) mới được đồng bộ lên CSDL quốc gia.",
                      "sync_not_approved", revision_id=revision.id, revision_status=revision.status)
    if revision.person_id != person.id:
        raise Invalid("Bản hồ sơ không thuộc người này.", "sync_person_mismatch", revision_id=revision.id)
    [outbox_id] = await enqueue_approved([revision.id], session=session)
    return await get(outbox_id, session=session)


# The payload is assembled from the rows as stored, the revision's data with its sensitive items still sealed
# (models/sealed.py opens them when the row is read), so a batch of any size is queued without a row passing
# through Python. The key's digest is of that stored payload: fixed for the row, and new for any other content.
OUTBOX_INSERT = text("""
    INSERT INTO sync_outbox (revision_id, person_id, idempotency_key, payload, status, attempts, created_at)
    SELECT r.id, r.person_id,
           'hoso-rev-' || r.id || '-' || left(encode(sha256(convert_to(body.payload::text, 'UTF8')), 'hex'), 16),
           body.payload, 'pending', 0, :created_at
    FROM unnest(CAST(:revision_ids AS integer[])) AS ids(id)
    JOIN profile_revisions r ON r.id = ids.id AND r.status = 'approved'
                            AND NOT r.data ?| CAST(:sensitive AS text[])  -- held in clear: sealed first (outbox_ids)
    JOIN people p ON p.id = r.person_id
    CROSS JOIN LATERAL (SELECT jsonb_build_object(
        'citizen_id', p.citizen_id, 'full_name', p.full_name, 'revision', r.number, 'data', r.data,
        'approved_at', to_char(r.approved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
                       || CASE WHEN date_trunc('second', r.approved_at) = r.approved_at THEN ''
                               ELSE to_char(r.approved_at AT TIME ZONE 'UTC', '.US') END || '+00:00'
    ) AS payload) AS body
    ON CONFLICT (revision_id) DO NOTHING
    RETURNING revision_id, id
""")  # approved_at as Python's isoformat() in UTC


async def enqueue_approved(revision_ids: list[int], *, session: AsyncSession) -> list[int]:
    """`enqueue` for a whole signed batch: the outbox rows of these revisions, approved in this transaction, in
    one statement, each created once; their ids in the order given."""
    if not revision_ids:
        return []
    created = await session.execute(OUTBOX_INSERT, outbox_params(revision_ids))
    return await outbox_ids(revision_ids, created.all(), session=session)


def outbox_params(revision_ids: list[int]) -> dict:
    """OUTBOX_INSERT's parameters (the statement may also be sent in pipeline mode: core.db.pipelined)."""
    return {"revision_ids": list(revision_ids), "created_at": datetime.now(UTC),
            "sensitive": sorted(SENSITIVE_CV_FIELDS)}


async def outbox_ids(revision_ids: list[int], created: list[tuple], *, session: AsyncSession) -> list[int]:
    """The outbox ids of these revisions, given OUTBOX_INSERT's rows: a revision queued by an earlier attempt keeps
    its row, one still holding sensitive items in clear is sealed and then queued, and one not approved (or gone)
    fails the transaction, with nothing queued. In the order given."""
    ids = dict(created)
    left = [revision_id for revision_id in revision_ids if revision_id not in ids]
    if left:  # a retried application
        ids.update((await session.execute(select(SyncOutbox.revision_id, SyncOutbox.id).where(
            SyncOutbox.revision_id == any_id(left)))).all())
        left = [revision_id for revision_id in left if revision_id not in ids]
    if left and await _seal_legacy(left, session=session):
        ids.update((await session.execute(OUTBOX_INSERT, outbox_params(left))).all())
        left = [revision_id for revision_id in left if revision_id not in ids]
    if left:
        raise Invalid("Chỉ hồ sơ đã được phê duyệt (ký số) mới được đồng bộ lên CSDL quốc gia.",
                      "sync_not_approved", revision_id=left[0])
    return [ids[revision_id] for revision_id in revision_ids]


async def _seal_legacy(revision_ids: list[int], *, session: AsyncSession) -> bool:
    """Seal the revisions written before the encryption that still hold sensitive items in clear (their next
    write seals them, models/sealed.py): the outbox copies the revision's data as stored. True if any was."""
    plain = (await session.execute(select(ProfileRevision).where(
        ProfileRevision.id == any_id(revision_ids),
        ProfileRevision.data.op("?|")(cast(sorted(SENSITIVE_CV_FIELDS), ARRAY(Text)))))).scalars().all()
    for revision in plain:
        flag_modified(revision, "data")
    if plain:
        await session.flush()
    return bool(plain)


async def get(outbox_id: int, *, session: AsyncSession) -> SyncOutbox | None:
    query = select(SyncOutbox).where(SyncOutbox.id == outbox_id).execution_options(populate_existing=True)
    return (await session.execute(query)).scalars().first()


async def pending(limit: int = 50, *, session: AsyncSession) -> list[SyncOutbox]:
    """Rows still to send (pending or failed), oldest first."""
    query = (select(SyncOutbox).where(SyncOutbox.status.in_(("pending", "failed")))
             .order_by(SyncOutbox.created_at, SyncOutbox.id).limit(limit))
    return list((await session.execute(query)).scalars())


async def mark_sent(outbox_id: int, remote_id: str, now: datetime, *, session: AsyncSession) -> bool:
    """Record the national side's id; a row already sent keeps its first id. True if this call marked it."""
    result = await session.execute(
        update(SyncOutbox).where(SyncOutbox.id == outbox_id, SyncOutbox.status != "sent")
        .values(status="sent", remote_id=remote_id, sent_at=now, last_error=None,
                attempts=SyncOutbox.attempts + 1)
    )
    return result.rowcount == 1


async def mark_failed(outbox_id: int, error: str, now: datetime, *, session: AsyncSession) -> bool:
    """Count a failed attempt; never downgrades a row that is already sent."""
    stamped = f"{now.astimezone(UTC).isoformat()} {error}"[:MAX_ERROR_CHARS]
    result = await session.execute(
        update(SyncOutbox).where(SyncOutbox.id == outbox_id, SyncOutbox.status != "sent")
        .values(status="failed", last_error=stamped, attempts=SyncOutbox.attempts + 1)
    )
    return result.rowcount == 1


async def summary(*, session: AsyncSession) -> dict[str, int]:
    """Counts by status (every status present, zeros included), for Sở Nội vụ."""
    counts = dict.fromkeys(OUTBOX_STATUSES, 0)
    query = select(SyncOutbox.status, func.count()).group_by(SyncOutbox.status)
    for status, count in (await session.execute(query)).all():
        counts[status] = count
    return counts


async def labels(outbox: list[SyncOutbox], *, session: AsyncSession) -> tuple[dict[int, str], dict[int, int]]:
    """The names of the rows' people and the numbers of their revisions, for the outbox page."""
    people = await session.execute(select(Person.id, Person.full_name).where(
        Person.id.in_({r.person_id for r in outbox} or {-1})))
    numbers = await session.execute(select(ProfileRevision.id, ProfileRevision.number).where(
        ProfileRevision.id.in_({r.revision_id for r in outbox} or {-1})))
    return dict(people.all()), dict(numbers.all())


async def rows(status: str | None = None, limit: int = 200, *, session: AsyncSession) -> list[SyncOutbox]:
    """The newest rows first, optionally of one status."""
    if status is not None and status not in OUTBOX_STATUSES:
        raise Invalid(f"Trạng thái đồng bộ không hợp lệ; chọn một trong: {', '.join(OUTBOX_STATUSES)}.",
                      "sync_bad_status", valid=list(OUTBOX_STATUSES))  # (`status=` would be the HTTP status)
    query = select(SyncOutbox).order_by(SyncOutbox.created_at.desc(), SyncOutbox.id.desc()).limit(limit)
    if status is not None:
        query = query.where(SyncOutbox.status == status)
    return list((await session.execute(query)).scalars())


# ---------------------------------------------------------------- client


class NationalSyncError(Exception):
    retryable = True

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class RetryableSyncError(NationalSyncError):
    """The national side is down, slow or overloaded: send again later with the same key."""
    retryable = True


class RejectedSyncError(NationalSyncError):
    """The national side refused the record (4xx): sending it again will not help."""
    retryable = False


RETRYABLE_4XX = {408, 425, 429}


class NationalClient:
    """This project's JSON protocol: POST {base}/api/v1/records, header Idempotency-Key."""

    def __init__(self, base_url: str, *, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.transport = transport

    async def send(self, key: str, payload: dict[str, Any]) -> str:
        """The national id of the record; the same id again for a key already received."""
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as http:
                response = await http.post(f"{self.base_url}{RECORDS_PATH}", json=payload,
                                           headers={"Idempotency-Key": key})
        except httpx.TimeoutException as err:
            raise RetryableSyncError(f"timeout after {self.timeout}s: {type(err).__name__}") from err
        except httpx.TransportError as err:
            raise RetryableSyncError(f"cannot reach the national database: {type(err).__name__}: {err}") from err

        status = response.status_code
        if status in (200, 201, 409):
            remote_id = _remote_id(response)
            if remote_id is not None:
                return remote_id
            if status == 409:
                raise RejectedSyncError(f"409 without a record id: {response.text[:300]}", status=status)
            raise RetryableSyncError(f"{status} without a record id: {response.text[:300]}", status=status)
        if status >= 500 or status in RETRYABLE_4XX:
            raise RetryableSyncError(f"national database answered {status}: {response.text[:300]}", status=status)
        raise RejectedSyncError(f"national database refused the record ({status}): {response.text[:500]}",
                                status=status)

    async def fetch(self, citizen_id: str) -> dict[str, Any] | None:
        """The latest record the national side holds for a citizen ID (an arrival's pull), None when it has none.

        GET {base}/api/v1/records/{citizen_id}: the same timeout and the same retryable/rejected split as
        `send`; 404 is "no record", not an error."""
        if not CITIZEN_ID.fullmatch(citizen_id or ""):
            raise RejectedSyncError(f"not a 12-digit citizen ID: {citizen_id!r}")
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as http:
                response = await http.get(f"{self.base_url}{RECORDS_PATH}/{citizen_id}")
        except httpx.TimeoutException as err:
            raise RetryableSyncError(f"timeout after {self.timeout}s: {type(err).__name__}") from err
        except httpx.TransportError as err:
            raise RetryableSyncError(f"cannot reach the national database: {type(err).__name__}: {err}") from err

        status = response.status_code
        if status == 404:
            return None
        if status == 200:
            record = _pulled_record(response, citizen_id)
            if record is None:
                raise RejectedSyncError(f"200 without a record of {citizen_id}: {response.text[:300]}", status=status)
            return record
        if status >= 500 or status in RETRYABLE_4XX:
            raise RetryableSyncError(f"national database answered {status}: {response.text[:300]}", status=status)
        raise RejectedSyncError(f"national database refused the pull ({status}): {response.text[:500]}",
                                status=status)


CITIZEN_ID = re.compile(r"[0-9]{12}")


def _pulled_record(response: httpx.Response, citizen_id: str) -> dict[str, Any] | None:
    """The answer of a pull when it is a record of that citizen (an id, the citizen ID, a payload with its CV)."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("id") in (None, "") or len(str(body["id"])) > 128:
        return None
    payload = body.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        return None
    if str(body.get("citizen_id")) != citizen_id or str(payload.get("citizen_id")) != citizen_id:
        return None
    return {**body, "id": str(body["id"])}


def _remote_id(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    remote_id = body.get("id") if isinstance(body, dict) else None
    if remote_id is None or str(remote_id) == "" or len(str(remote_id)) > 128:
        return None
    return str(remote_id)

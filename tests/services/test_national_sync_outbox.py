"""The outbox: one row per approved revision, idempotency keys, what Sở Nội vụ sees."""
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from models import SyncOutbox
from services import national_sync
from services.errors import Invalid
from tests.helpers import approved_outbox, expected_key, make_revisions

NOW = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)


async def test_enqueue_is_idempotent(db, org):
    [(person, revision)] = await make_revisions(db, org.units["SYT"], 1)
    async with db.session() as session:
        first = await national_sync.enqueue(revision, person, session=session)
    async with db.session() as session:
        second = await national_sync.enqueue(revision, person, session=session)
        count = (await session.execute(select(func.count()).select_from(SyncOutbox))).scalar_one()
    assert count == 1
    assert second.id == first.id and second.idempotency_key == first.idempotency_key
    assert re.fullmatch(rf"hoso-rev-{revision.id}-[0-9a-f]{{16}}", first.idempotency_key)
    assert first.status == "pending" and first.attempts == 0 and first.person_id == person.id
    assert first.payload == {"citizen_id": person.citizen_id, "full_name": person.full_name, "revision": 1,
                             "approved_at": "2026-03-05T09:30:00+00:00", "data": revision.data}
    # the key's digest is of the payload as stored (its sensitive items sealed): fixed once the row is written
    assert first.idempotency_key == await expected_key(db, first.id)


@pytest.mark.parametrize("status", ["draft", "submitted", "ready", "returned_by_head"])
async def test_enqueue_refuses_a_revision_not_approved(db, org, status):
    [(person, revision)] = await make_revisions(db, org.units["SYT"], 1, status=status)
    async with db.session() as session:
        with pytest.raises(Invalid) as refused:
            await national_sync.enqueue(revision, person, session=session)
    assert refused.value.code == "sync_not_approved"
    async with db.session() as session:
        assert (await session.execute(select(func.count()).select_from(SyncOutbox))).scalar_one() == 0


async def test_pending_marks_summary_and_rows(db, org):
    a, b, c = await approved_outbox(db, org.units["SYT"], 3)
    async with db.session() as session:
        assert await national_sync.summary(session=session) == {"pending": 3, "sent": 0, "failed": 0}
        assert await national_sync.mark_sent(a.id, "remote-a", NOW, session=session)
        assert await national_sync.mark_failed(b.id, "national database answered 503", NOW, session=session)
    async with db.session() as session:
        assert [r.id for r in await national_sync.pending(session=session)] == [b.id, c.id]  # oldest first
        assert [r.id for r in await national_sync.pending(limit=1, session=session)] == [b.id]
        assert await national_sync.summary(session=session) == {"pending": 1, "sent": 1, "failed": 1}
        assert [r.id for r in await national_sync.rows(session=session)] == [c.id, b.id, a.id]  # newest first
        [sent] = await national_sync.rows("sent", session=session)
        [failed] = await national_sync.rows("failed", session=session)
    assert sent.remote_id == "remote-a" and sent.sent_at == NOW and sent.attempts == 1 and sent.last_error is None
    assert failed.attempts == 1 and "503" in failed.last_error and failed.sent_at is None

    async with db.session() as session:  # a sent row keeps its first id and is never downgraded
        assert not await national_sync.mark_sent(a.id, "remote-other", NOW, session=session)
        assert not await national_sync.mark_failed(a.id, "late failure", NOW, session=session)
        assert await national_sync.mark_sent(b.id, "remote-b", NOW, session=session)
    async with db.session() as session:
        a2, b2 = await national_sync.get(a.id, session=session), await national_sync.get(b.id, session=session)
        with pytest.raises(Invalid):
            await national_sync.rows("bogus", session=session)
    assert (a2.status, a2.remote_id, a2.attempts) == ("sent", "remote-a", 1)
    assert (b2.status, b2.remote_id, b2.attempts, b2.last_error) == ("sent", "remote-b", 2, None)

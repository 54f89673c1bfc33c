"""national_db.send as one activity attempt (ActivityEnvironment), against the in-process receiver."""
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.national_db import NationalDbActivities, SendInput, SendResult
from tests.helpers import approved_outbox, outbox_rows


def activities(db, settings, url: str | None, timeout: float = 5) -> NationalDbActivities:
    return NationalDbActivities(db, settings.model_copy(update={"national_db_url": url}), timeout=timeout)


async def test_send_marks_sent_and_a_sent_row_is_not_sent_again(db, org, settings, receiver):
    [row] = await approved_outbox(db, org.units["SYT"], 1)
    acts = activities(db, settings, receiver.url)
    env = ActivityEnvironment()
    first = await env.run(acts.send, SendInput(row.id))
    [record] = await receiver.records()
    assert first == SendResult(row.id, record["id"], already_sent=False)
    assert record["idempotency_key"] == row.idempotency_key and record["payload"] == row.payload
    [after] = await outbox_rows(db, [row.id])
    assert (after.status, after.remote_id, after.attempts) == ("sent", record["id"], 1)
    assert after.sent_at is not None

    again = await env.run(acts.send, SendInput(row.id))
    assert again == SendResult(row.id, record["id"], already_sent=True)
    assert await receiver.stats() == {"received": 1, "duplicates": 0, "failed_injected": 0}  # no second POST


async def test_a_5xx_marks_failed_and_is_retryable(db, org, settings, receiver):
    [row] = await approved_outbox(db, org.units["SYT"], 1)
    acts = activities(db, settings, receiver.url)
    await receiver.control(fail_next=1, status=503)
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(acts.send, SendInput(row.id))
    assert not err.value.non_retryable and err.value.type == "national_db.unavailable"
    [failed] = await outbox_rows(db, [row.id])
    assert (failed.status, failed.attempts) == ("failed", 1) and "503" in failed.last_error

    result = await ActivityEnvironment().run(acts.send, SendInput(row.id))  # Temporal's retry
    [sent] = await outbox_rows(db, [row.id])
    assert (sent.status, sent.attempts, sent.remote_id, sent.last_error) == ("sent", 2, result.remote_id, None)


async def test_a_4xx_is_not_retryable(db, org, settings, receiver):
    [row] = await approved_outbox(db, org.units["SYT"], 1)
    await receiver.control(fail_next=1, status=400)
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(activities(db, settings, receiver.url).send, SendInput(row.id))
    assert err.value.non_retryable and err.value.type == "national_db.rejected"
    [failed] = await outbox_rows(db, [row.id])
    assert failed.status == "failed" and "400" in failed.last_error


async def test_unknown_row_and_missing_url(db, org, settings):
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(activities(db, settings, "http://127.0.0.1:9").send, SendInput(-1))
    assert err.value.non_retryable
    [row] = await approved_outbox(db, org.units["SYT"], 1)
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(activities(db, settings, None).send, SendInput(row.id))
    assert err.value.type == "national_db.not_configured" and not err.value.non_retryable

"""NationalClient against the receiver running in-process (uvicorn on a free 127.0.0.1 port)."""
import pytest

from services.national_sync import NationalClient, RejectedSyncError, RetryableSyncError
from tests.helpers import until
from tests.national_receiver.support import free_port

PAYLOAD = {"citizen_id": "051095001234", "full_name": "Nguyễn Văn An", "revision": 1,
           "approved_at": "2026-03-05T09:30:00+00:00", "data": {"ethnicity": "Kinh"}}


async def test_repeated_send_with_the_same_key_stores_once(receiver):
    client = NationalClient(receiver.url, timeout=5)
    first = await client.send("hoso-rev-1-aaaa", PAYLOAD)
    again = await client.send("hoso-rev-1-aaaa", PAYLOAD)
    other = await client.send("hoso-rev-2-bbbb", {**PAYLOAD, "revision": 2})
    assert first == again != other
    records = await receiver.records()
    assert [(r["idempotency_key"], r["id"]) for r in records] == [("hoso-rev-1-aaaa", first), ("hoso-rev-2-bbbb", other)]
    assert records[0]["payload"] == PAYLOAD
    assert await receiver.stats() == {"received": 2, "duplicates": 1, "failed_injected": 0}


async def test_a_409_for_a_known_key_counts_as_received(receiver):
    client = NationalClient(receiver.url, timeout=5)
    first = await client.send("k-409", PAYLOAD)
    await receiver.control(duplicate_status=409)
    assert await client.send("k-409", PAYLOAD) == first
    assert (await receiver.stats())["received"] == 1


async def test_server_errors_and_timeouts_are_retryable(receiver):
    client = NationalClient(receiver.url, timeout=0.3)
    await receiver.control(fail_next=2, status=503)
    for _ in range(2):
        with pytest.raises(RetryableSyncError) as err:
            await client.send("k-5xx", PAYLOAD)
        assert err.value.status == 503
    await receiver.control(fail_next=1, status=429)
    with pytest.raises(RetryableSyncError):
        await client.send("k-5xx", PAYLOAD)

    await receiver.control(delay_ms=1000, delay_next=1)
    with pytest.raises(RetryableSyncError, match="timeout"):
        await client.send("k-5xx", PAYLOAD)
    remote = await client.send("k-5xx", PAYLOAD)  # the retry lands first ...
    assert len(await receiver.records()) == 1

    async def late_first_delivery_seen():  # ... the late first delivery is a duplicate
        return (await receiver.stats())["duplicates"] == 1
    await until(late_first_delivery_seen, timeout=5)
    assert [r["id"] for r in await receiver.records()] == [remote]

    with pytest.raises(RetryableSyncError, match="cannot reach"):
        await NationalClient(f"http://127.0.0.1:{free_port()}", timeout=1).send("k", PAYLOAD)


async def test_other_client_errors_are_not_retryable(receiver):
    client = NationalClient(receiver.url, timeout=5)
    await receiver.control(fail_next=1, status=400)
    with pytest.raises(RejectedSyncError) as err:
        await client.send("k-4xx", PAYLOAD)
    assert err.value.status == 400 and not err.value.retryable
    with pytest.raises(RejectedSyncError):  # the receiver's own validation
        await client.send("k-4xx", {"full_name": "no citizen id"})
    await client.send("k-4xx", PAYLOAD)
    with pytest.raises(RejectedSyncError):  # a key reused for another record
        await client.send("k-4xx", {**PAYLOAD, "revision": 9})
    assert (await receiver.stats())["received"] == 1

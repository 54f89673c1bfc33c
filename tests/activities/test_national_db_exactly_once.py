"""Exactly-once delivery end to end: the real Temporal dev server, real PostgreSQL, the receiver.

Each approved revision must arrive at the national side exactly once, whatever happens on the way:
the receiver killed (SIGKILL) mid-way and restarted, 503s, a first delivery slower than the
client's timeout.
"""
import asyncio
import uuid

import pytest
from temporalio.worker import Worker

from activities.national_db import NationalDbActivities, SendResult
from services import national_sync
from tests.activities.sync_workflow import NationalSyncTestWorkflow, SyncInput
from tests.helpers import approved_outbox, outbox_rows, until
from tests.national_receiver.support import ProcessReceiver

N = 8


def sync_worker(env, db, settings, task_queue: str, url: str, timeout: float = 2.0) -> Worker:
    group = NationalDbActivities(db, settings.model_copy(update={"national_db_url": url}), env.client,
                                 timeout=timeout)
    return Worker(env.client, task_queue=task_queue, workflows=[NationalSyncTestWorkflow],
                  activities=group.functions())


async def start_sync(env, task_queue: str, ids: list[int], *, parallel: bool = False):
    return await env.client.start_workflow(
        NationalSyncTestWorkflow.run, SyncInput(ids, parallel=parallel, start_to_close_seconds=10),
        id=f"test-national-sync/{uuid.uuid4().hex}", task_queue=task_queue)


async def assert_exactly_once(db, receiver, rows, results: list[SendResult]) -> list[dict]:
    """Every row sent, one record per revision, and the ids agree on both sides."""
    records = await receiver.records()
    assert len(records) == len(rows)
    by_key = {r["idempotency_key"]: r for r in records}
    assert set(by_key) == {row.idempotency_key for row in rows}
    pairs = [(r["citizen_id"], r["revision"]) for r in records]
    assert len(set(pairs)) == len(rows)  # no duplicates by citizen_id + revision
    assert sorted(pairs) == sorted((row.payload["citizen_id"], row.payload["revision"]) for row in rows)

    after = await outbox_rows(db, [row.id for row in rows])
    assert [r.status for r in after] == ["sent"] * len(rows)
    for row in after:
        assert row.remote_id == by_key[row.idempotency_key]["id"]
        assert by_key[row.idempotency_key]["payload"] == row.payload
    assert {(r.outbox_id, r.remote_id) for r in results} == {(row.id, row.remote_id) for row in after}
    async with db.session() as session:
        assert await national_sync.summary(session=session) == {"pending": 0, "sent": len(rows), "failed": 0}
    return records


async def test_receiver_killed_mid_way_each_revision_arrives_exactly_once(
        dev_env, db, org, settings, task_queue, tmp_path):
    rows = await approved_outbox(db, org.units["SYT"], N)
    receiver = ProcessReceiver(tmp_path / "national.sqlite", tmp_path / "receiver.log")
    await receiver.start()
    try:
        # Each record is stored, then acknowledged 400 ms later: killing the receiver while it waits
        # loses the acknowledgement of a record it already stored, the hardest case for exactly-once.
        await receiver.control(delay_ms=400, delay_phase="after")
        async with sync_worker(dev_env, db, settings, task_queue, receiver.url):
            handle = await start_sync(dev_env, task_queue, [row.id for row in rows])

            async def a_few_arrived():
                return len(await receiver.records()) >= 3
            await until(a_few_arrived, timeout=30)
            await receiver.kill()
            arrived_before_kill = len(await asyncio.to_thread(lambda: _count(receiver)))
            assert 3 <= arrived_before_kill < N

            await asyncio.sleep(1.0)  # the worker's attempts fail against the closed port meanwhile
            async with db.session() as session:
                assert (await national_sync.summary(session=session))["failed"] >= 1
            await receiver.start()  # same port, same store: it keeps what it received
            results = await asyncio.wait_for(handle.result(), timeout=60)

        await assert_exactly_once(db, receiver, rows, results)
        stats = await receiver.stats()
        assert stats["received"] == N
        # the record stored before the kill was sent again after the restart, and deduplicated
        assert stats["duplicates"] >= 1
        after = await outbox_rows(db, [row.id for row in rows])
        assert max(row.attempts for row in after) >= 2
    finally:
        await receiver.stop()


def _count(receiver: ProcessReceiver) -> list:
    """Records in the dead receiver's store file, read directly."""
    import sqlite3
    with sqlite3.connect(receiver.store) as conn:
        return conn.execute("SELECT idempotency_key FROM records").fetchall()


@pytest.mark.parametrize("parallel", [False, True], ids=["sequential", "parallel"])
async def test_503s_are_retried_without_duplicates(dev_env, db, org, settings, task_queue, receiver_process,
                                                   parallel):
    rows = await approved_outbox(db, org.units["SYT"], N)
    await receiver_process.control(fail_next=3, status=503)
    async with sync_worker(dev_env, db, settings, task_queue, receiver_process.url):
        handle = await start_sync(dev_env, task_queue, [row.id for row in rows], parallel=parallel)
        results = await asyncio.wait_for(handle.result(), timeout=60)

    await assert_exactly_once(db, receiver_process, rows, results)
    assert await receiver_process.stats() == {"received": N, "duplicates": 0, "failed_injected": 3}
    after = await outbox_rows(db, [row.id for row in rows])
    assert sum(row.attempts for row in after) == N + 3  # every 503 was one failed attempt, then one success


@pytest.mark.parametrize("phase", ["before", "after"], ids=["slow-to-store", "slow-to-acknowledge"])
async def test_a_first_delivery_slower_than_the_timeout_is_stored_once(
        dev_env, db, org, settings, task_queue, receiver, phase):
    [row] = await approved_outbox(db, org.units["SYT"], 1)
    # the first delivery takes 2 s; the client gives up after 0.5 s and the retry goes through
    await receiver.control(delay_ms=2000, delay_next=1, delay_phase=phase)
    async with sync_worker(dev_env, db, settings, task_queue, receiver.url, timeout=0.5):
        handle = await start_sync(dev_env, task_queue, [row.id])
        results = await asyncio.wait_for(handle.result(), timeout=30)

    async def late_delivery_deduplicated():  # "before": the late first delivery finds the key stored
        return (await receiver.stats())["duplicates"] == 1  # "after": the retry finds the key stored
    await until(late_delivery_deduplicated, timeout=10)
    await assert_exactly_once(db, receiver, [row], results)
    [after] = await outbox_rows(db, [row.id])
    assert after.attempts == 2 and results[0].already_sent is False

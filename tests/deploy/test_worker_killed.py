"""RESILIENCE (slow, ~1 min): the worker is killed with SIGKILL while 20 onboardings are in flight and
started again; each onboarding ends with exactly one open task for its step: no duplicate task rows, no
lost step. Then again while their first steps are being completed: each ends with the first step done
once and exactly one open task for the next."""
import asyncio
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from models import Notification, Task
from tests.deploy.resilience import WorkerProcess, app_client, server_address, worker_env
from tests.helpers import complete_as, hire, tasks_of

pytestmark = pytest.mark.resilience
HIRES = 20


async def _count(db, kind: str, status: str = "open") -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(Task).where(
            Task.kind == kind, Task.status == status))).scalar_one()


async def _settle(db, predicate, timeout: float, what: str):
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.2)


async def _kill_when(db, worker: WorkerProcess, kind: str, status: str, at_least: int) -> int:
    """SIGKILL the worker as soon as `at_least` tasks reached the state, i.e. while the others are in flight."""
    for _ in range(600):
        done = await _count(db, kind, status)
        if done >= at_least:
            break
        await asyncio.sleep(0.02)
    worker.kill()
    return done


async def test_sigkill_during_20_onboardings(dev_env, db, database_url, org, task_queue, national, signing_dir,
                                             settings, tmp_path):
    address = server_address(dev_env.client)
    client = await app_client(address, settings)
    worker = WorkerProcess(worker_env(database_url=database_url, temporal_address=address,
                                      task_queue=task_queue, HOSO_NATIONAL_DB_URL=national.url,
                                      HOSO_SIGNING_DIR=str(signing_dir)), tmp_path / "worker.log")
    await worker.start()
    started = asyncio.get_running_loop().time()

    def clock():
        return asyncio.get_running_loop().time() - started
    try:
        people = await asyncio.gather(*(
            hire(db, client, task_queue, "hr.syt", org.units["SYT"], date.today(), citizen_id=f"051095{100 + i:06d}",
                 name=f"Nguyễn Văn Thử {i}", email=None) for i in range(HIRES)))
        wids = [f"onboarding/{p.id}" for p in people]
        opened_before_kill = await _kill_when(db, worker, "create_account", "open", 3)
        await worker.start()
        await _settle(db, lambda: _all_have(db, wids, {"create_account": "open"}), 120, "20 account tasks")
        await _assert_exactly(db, wids, {"create_account": "open"})
        print(f"phase 1 settled at {clock():.0f} s")

        # Complete every account step at once; kill the worker while those completions are being applied.
        first = {wid: (await tasks_of(db, wid))[0] for wid in wids}
        completions = [asyncio.ensure_future(complete_as(db, client, "hr.syt", first[wid].id, "done",
                                                         {"username": f"thu.{i}"}))
                       for i, wid in enumerate(wids)]
        done_before_kill = await _kill_when(db, worker, "create_account", "done", 3)
        await worker.start()
        results = await asyncio.gather(*completions, return_exceptions=True)
        refused = Counter(f"{type(r).__name__}:{getattr(r, 'code', '')}" for r in results if isinstance(r, BaseException))
        print(f"phase 2 settled at {clock():.0f} s; refusals: {dict(refused)}")

        # A completion the dead worker never took may be refused (the user sees an error and tries again);
        # try those again now, as the user would.
        for i, (wid, result) in enumerate(zip(wids, results)):
            if isinstance(result, BaseException) and (await tasks_of(db, wid))[0].status == "open":
                await complete_as(db, client, "hr.syt", first[wid].id, "done", {"username": f"thu.{i}"})
        await _settle(db, lambda: _all_have(db, wids, {"create_account": "done", "self_entry": "open"}), 120,
                      "20 self-entry tasks")
        await _assert_exactly(db, wids, {"create_account": "done", "self_entry": "open"})
        async with db.session() as session:  # one notice per open task and person, however often it ran
            rows = (await session.execute(select(Notification.user_id, Notification.task_id, Notification.kind)
                                          .where(Notification.task_id.is_not(None)))).all()
        assert [key for key, n in Counter(rows).items() if n > 1] == []
        print(f"killed with {opened_before_kill}/{HIRES} account tasks open, then with {done_before_kill}/{HIRES} "
              f"done; {sum(refused.values())} completions answered an error during the restart; end at {clock():.0f} s")
    finally:
        worker.stop()


async def _all_have(db, wids, expected: dict[str, str]) -> bool:
    for wid in wids:
        tasks = await tasks_of(db, wid)
        if sorted((t.kind, t.status) for t in tasks) != sorted(expected.items()):
            return False
    return True


async def _assert_exactly(db, wids, expected: dict[str, str]) -> None:
    await asyncio.sleep(2)  # anything still retrying after the restart would show now
    for wid in wids:
        tasks = await tasks_of(db, wid)
        assert sorted((t.kind, t.status) for t in tasks) == sorted(expected.items()), (wid, tasks)
        assert len({t.step_key for t in tasks}) == len(tasks), (wid, tasks)

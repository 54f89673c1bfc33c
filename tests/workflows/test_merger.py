"""Unit mergers (workflows/merger.py) on Temporal's time-skipping server with the real activities and PostgreSQL:
500 people moved in batches by a worker that is stopped midway and replaced, each moved exactly once; the wait for
a future effective date; the closing of the old unit and its sub-units; a person who arrives before the closing."""
import asyncio
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from temporalio.api.enums.v1 import EventType

from bootstrap.worker import build_worker
from models import AuditEvent, Merger, MergerMove, Person, Placement, Unit, User
from rules.clock import VN_TZ
from services import mergers
from tests.helpers import until, viewer
from workflows.merger import workflow_id

PEOPLE = 500
HIRED = date(2020, 1, 2)


async def server_today(env) -> date:
    return (await env.get_current_time()).astimezone(VN_TZ).date()


async def insert_people(db, unit_ids: list[int], n: int, *, first: int = 1, status: str = "active",
                        logins: int = 0) -> list[int]:
    """n people spread over the units, each with their open placement; the first `logins` with a login."""
    ids = []
    async with db.session() as session:
        for i in range(first, first + n):
            unit_id = unit_ids[i % len(unit_ids)]
            person = Person(full_name=f"Nguyễn Văn Sáp {i}", search_name=f"nguyen van sap {i}", sex="nam",
                            date_of_birth=date(1990, 1, 1), citizen_id=f"051090{i:06d}", unit_id=unit_id,
                            kind="cong_chuc", hired_on=HIRED, status=status, profile="quang-ngai",
                            profile_version="2025-1")
            session.add(person)
            await session.flush()
            session.add(Placement(person_id=person.id, unit_id=unit_id, from_on=HIRED,
                                  to_on=HIRED + timedelta(days=400) if status == "archived" else None))
            if i - first < logins:
                session.add(User(username=f"sap.{i}", full_name=person.full_name, unit_id=unit_id,
                                 person_id=person.id))
            ids.append(person.id)
    return ids


async def start(db, env, task_queue: str, from_unit: int, to_unit: int, on: date, **sizes) -> Merger:
    boss = await viewer(db, "sonoivu")
    async with db.session() as session:
        return await mergers.start(env.client, task_queue, boss, mergers.MergerRequest(
            from_unit_id=from_unit, to_unit_id=to_unit, effective_on=on, decision_no="1234/QĐ-UBND"),
            session=session, today=await server_today(env), **sizes)


async def merger_row(db, merger_id: int) -> Merger:
    async with db.session() as session:
        return await session.get(Merger, merger_id)


async def committed_counts(db, merger_id: int) -> tuple[int, int, int]:
    """merger_moves rows, placements opened by the merger, audit rows of its moves: always equal."""
    async with db.session() as session:
        moves = (await session.execute(select(func.count()).select_from(MergerMove)
                                       .where(MergerMove.merger_id == merger_id))).scalar_one()
        placed = (await session.execute(select(func.count()).select_from(Placement)
                                        .where(Placement.merger_id == merger_id))).scalar_one()
        audited = (await session.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "person.moved", AuditEvent.detail["merger"].as_integer() == merger_id))).scalar_one()
    return moves, placed, audited


async def test_500_people_moved_exactly_once_by_a_worker_stopped_midway(dev_env, db, org, settings, task_queue):
    """On the dev server (a real server hands a stopped worker's workflow tasks to the next worker; the
    time-skipping test server keeps them on the stopped worker's sticky queue)."""
    old, successor = org.units["SYT"], org.units["SGD"]
    subtree = [old, org.units["SYT-DS"], org.units["SYT-BV"], org.units["SYT-VP"], org.units["SYT-NVY"]]
    people = await insert_people(db, subtree, PEOPLE, logins=40)
    archived = await insert_people(db, subtree, 5, first=PEOPLE + 1, status="archived")
    on = await server_today(dev_env) - timedelta(days=30)
    # 25 people per batch, 4 batches per run: 20 batches, 5 runs of the workflow
    merger = await start(db, dev_env, task_queue, old, successor, on, batch_size=25, batches_per_run=4)
    assert merger.total == PEOPLE and merger.workflow_id == workflow_id(merger.id)
    handle = dev_env.client.get_workflow_handle(merger.workflow_id)
    first_run = (await handle.describe()).run_id

    first = build_worker(dev_env.client, db, settings, task_queue=task_queue)
    running = asyncio.create_task(first.run())
    await until(lambda: _moved_between(db, merger.id, 50, PEOPLE - 100), timeout=120)
    await first.shutdown()  # the batch in flight is cancelled: its transaction rolls back
    await running
    stopped = await merger_row(db, merger.id)
    assert 0 < stopped.moved < PEOPLE and stopped.status == "running"
    moves, placed, audited = await committed_counts(db, merger.id)
    assert moves == placed == audited == stopped.moved  # nothing half-done by the stopped batch

    async with build_worker(dev_env.client, db, settings, task_queue=task_queue):  # a new worker, same queue
        assert await handle.result() == "done"

    done = await merger_row(db, merger.id)
    assert (done.status, done.moved, done.total) == ("done", PEOPLE, PEOPLE) and done.finished_at is not None
    assert await committed_counts(db, merger.id) == (PEOPLE, PEOPLE, PEOPLE)
    async with db.session() as session:
        moved = (await session.execute(select(MergerMove.person_id).where(MergerMove.merger_id == merger.id))).scalars()
        assert sorted(moved) == sorted(people)
        units = dict((await session.execute(select(Person.id, Person.unit_id).where(
            Person.id.in_(people + archived)))).all())
        assert {units[p] for p in people} == {successor}
        assert {units[p] for p in archived} <= set(subtree)  # archived records stay where they left from
        logins = (await session.execute(select(User.unit_id).where(User.person_id.in_(people)))).scalars().all()
        assert len(logins) == 40 and set(logins) == {successor}
        for person_id in people[:50] + people[-50:]:
            history = (await session.execute(select(Placement).where(Placement.person_id == person_id)
                                             .order_by(Placement.id))).scalars().all()
            assert [(p.unit_id in subtree, p.from_on, p.to_on, p.merger_id) for p in history] == [
                (True, HIRED, on - timedelta(days=1), None), (False, on, None, merger.id)]
            assert history[1].unit_id == successor
        closed = (await session.execute(select(Unit).where(Unit.id.in_(subtree)))).scalars().all()
        assert {(u.valid_to, u.successor_id) for u in closed} == {(on - timedelta(days=1), successor)}
        assert (await session.get(Unit, successor)).successor_id is None

    # the workflow continued as new: each run's history stays small whatever the unit's size
    last = await handle.describe()
    assert last.run_id != first_run
    history = await dev_env.client.get_workflow_handle(merger.workflow_id, run_id=first_run).fetch_history()
    assert history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    assert len(history.events) < 100


async def _moved_between(db, merger_id: int, low: int, high: int) -> bool:
    return low <= (await merger_row(db, merger_id)).moved <= high


async def _done(db, merger_id: int) -> bool:
    return (await merger_row(db, merger_id)).status == "done"


async def test_a_merger_waits_for_its_effective_date(ts_env, ts_worker, db, org, task_queue):
    old, successor = org.units["SYT-DS"], org.units["SYT"]  # a chi cục merged into its sở
    people = await insert_people(db, [old], 3)
    on = await server_today(ts_env) + timedelta(days=10)
    merger = await start(db, ts_env, task_queue, old, successor, on)
    handle = ts_env.client.get_workflow_handle(merger.workflow_id)

    await ts_env.sleep(timedelta(days=5))
    assert (await merger_row(db, merger.id)).moved == 0
    async with db.session() as session:
        assert set((await session.execute(select(Person.unit_id).where(Person.id.in_(people)))).scalars()) == {old}

    await ts_env.sleep(timedelta(days=6))  # past the date: the timer fires
    await until(lambda: _done(db, merger.id), timeout=60)
    assert await handle.result() == "done"
    events = (await handle.fetch_history()).events
    kinds = [e.event_type for e in events]
    assert kinds.index(EventType.EVENT_TYPE_TIMER_FIRED) < kinds.index(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    first_batch = next(e for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    assert first_batch.event_time.ToDatetime(tzinfo=VN_TZ) >= datetime.combine(on, time(0), tzinfo=VN_TZ)
    async with db.session() as session:
        placed = (await session.execute(select(Placement.from_on, Placement.unit_id).where(
            Placement.merger_id == merger.id))).all()
        assert sorted(placed) == [(on, successor)] * 3
        unit = await session.get(Unit, old)
        assert (unit.valid_to, unit.successor_id) == (on - timedelta(days=1), successor)


async def test_someone_who_arrives_before_the_closing_is_moved_first(db, org):
    """The steps as the activities run them: the closing finds a newcomer, closes nothing, and the next batch
    moves them; a batch or a closing run again changes nothing."""
    old, successor = org.units["SYT-BV"], org.units["SYT"]
    await insert_people(db, [old], 3)
    async with db.session() as session:
        merger = Merger(from_unit_id=old, to_unit_id=successor, effective_on=date(2026, 7, 1), decision_no="9/QĐ",
                        workflow_id="merger/test", total=3)
        session.add(merger)
    async with db.session() as session:
        first = await mergers.move_batch(merger.id, 2, session=session)
    assert (first.moved, first.total_moved, first.remaining) == (2, 2, 1)
    async with db.session() as session:
        second = await mergers.move_batch(merger.id, 2, session=session)
    assert (second.moved, second.total_moved, second.remaining) == (1, 3, 0)
    newcomer = await insert_people(db, [old], 1, first=900)
    async with db.session() as session:
        assert await mergers.finish(merger.id, session=session, now=datetime.now(VN_TZ)) == 1
    row = await merger_row(db, merger.id)
    assert (row.status, row.moved, row.total) == ("running", 3, 4)
    async with db.session() as session:
        assert (await session.get(Unit, old)).successor_id is None
        third = await mergers.move_batch(merger.id, 2, session=session)
    assert (third.moved, third.total_moved, third.remaining) == (1, 4, 0)
    async with db.session() as session:
        assert await mergers.finish(merger.id, session=session, now=datetime.now(VN_TZ)) == 0
    async with db.session() as session:  # a retried batch or closing after the end: nothing more
        again = await mergers.move_batch(merger.id, 2, session=session)
        assert (again.moved, again.remaining) == (0, 0)
        assert await mergers.finish(merger.id, session=session, now=datetime.now(VN_TZ)) == 0
    async with db.session() as session:
        assert (await session.get(Person, newcomer[0])).unit_id == successor
        unit = await session.get(Unit, old)
        assert (unit.valid_to, unit.successor_id) == (date(2026, 6, 30), successor)
        assert (await session.execute(select(func.count()).select_from(MergerMove)
                                      .where(MergerMove.merger_id == merger.id))).scalar_one() == 4

"""The inbox (services/tasks.inbox): who sees which task, in which order, page by page, with the total."""
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from models import Task, TaskCandidate
from services import tasks
from services.errors import NotFound
from tests.helpers import viewer

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


async def add_task(db, unit_id: int, *, due: datetime | None = None, candidates=(), watchers=(),
                   status: str = "open") -> int:
    async with db.session() as session:
        task = Task(workflow_id=f"test/{uuid.uuid4().hex}", step_key="review#1",
                    kind="review_entry", title="Thẩm định hồ sơ", unit_id=unit_id, actor_role="unit_hr",
                    profile="quang-ngai", profile_version="2024", started_on=date(2026, 11, 1), due_at=due,
                    due_on=due.date() if due else None, status=status)
        session.add(task)
        await session.flush()
        for user_id in candidates:
            session.add(TaskCandidate(task_id=task.id, user_id=user_id, reason="Cán bộ tổ chức"))
        for user_id in watchers:
            session.add(TaskCandidate(task_id=task.id, user_id=user_id, reason="Báo thủ trưởng", can_complete=False))
        return task.id


async def ids_of(db, who, **filters) -> list[int]:
    async with db.session() as session:
        page = await tasks.inbox(who, session=session, now=NOW, **filters)
    return [row.id for row in page.rows]


async def test_the_unit_scope_is_the_subtree_plus_the_viewers_candidacies(db, org):
    hr = org.users["hr.syt"]
    subtree_only = await add_task(db, org.units["SYT-BV"], due=NOW + timedelta(days=1))
    outside_mine = await add_task(db, org.units["SGD"], due=NOW + timedelta(days=2), candidates=[hr])
    outside_watched = await add_task(db, org.units["STC"], due=NOW + timedelta(days=3), watchers=[hr])
    inside_mine = await add_task(db, org.units["SYT"], due=NOW + timedelta(days=4), candidates=[hr])
    outside = await add_task(db, org.units["SGD"], due=NOW + timedelta(days=5), candidates=[org.users["hr.sgd"]])
    done = await add_task(db, org.units["SYT"], due=NOW - timedelta(days=5), candidates=[hr], status="done")
    official = await viewer(db, "hr.syt")

    assert await ids_of(db, official, scope="unit") == [subtree_only, outside_mine, outside_watched, inside_mine]
    assert await ids_of(db, official, scope="mine") == [outside_mine, outside_watched, inside_mine]
    assert await ids_of(db, official, scope="unit", status="done") == [done]
    assert await ids_of(db, official, scope="unit", status="all") == [done, subtree_only, outside_mine,
                                                                       outside_watched, inside_mine]
    assert outside in await ids_of(db, await viewer(db, "sonoivu"), scope="unit")  # the province sees everything
    async with db.session() as session:
        assert (await tasks.readable_task(official, outside_mine, session=session)).id == outside_mine
        assert (await tasks.readable_task(official, subtree_only, session=session)).id == subtree_only
        with pytest.raises(NotFound):
            await tasks.readable_task(official, outside, session=session)


async def test_a_viewer_without_a_unit_role_sees_only_their_candidacies(db, org):
    deputy_id = org.users["pho.syt"]
    theirs = await add_task(db, org.units["SGD"], due=NOW + timedelta(days=1), candidates=[deputy_id])
    await add_task(db, org.units["SYT"], due=NOW + timedelta(days=2))
    deputy = await viewer(db, "pho.syt")  # no role: an empty unit scope
    assert await ids_of(db, deputy, scope="unit") == [theirs]
    assert await ids_of(db, deputy, scope="mine") == [theirs]


async def test_pages_by_due_date_with_the_total_and_assignees(db, org):
    hr, other = org.users["hr.syt"], org.users["pho.syt"]
    days = [3, None, 1, 2, None, 1, 5]
    made = [await add_task(db, org.units["SYT"], due=NOW + timedelta(days=d) if d is not None else None,
                           candidates=[hr, other], watchers=[org.users["head.syt"]]) for d in days]
    ordered = sorted(made, key=lambda i: (days[made.index(i)] is None, days[made.index(i)] or 0, i))
    official = await viewer(db, "hr.syt")
    pages = []
    async with db.session() as session:
        for offset in (0, 3, 6, 9):
            pages.append(await tasks.inbox(official, scope="unit", limit=3, offset=offset, session=session))
    assert [[row.id for row in page.rows] for page in pages] == [ordered[:3], ordered[3:6], ordered[6:], []]
    assert {page.total for page in pages} == {7}
    assert pages[0].rows[0].assignees == ["hr.syt", "pho.syt"]  # sorted; the head only watches
    assert [row.due_at for row in pages[2].rows] == [None]


async def test_overdue_and_due_soon_filters_keep_the_scope(db, org):
    hr = org.users["hr.syt"]
    late = await add_task(db, org.units["SYT-DS"], due=NOW - timedelta(hours=1))
    soon = await add_task(db, org.units["SYT"], due=NOW + timedelta(days=1))
    await add_task(db, org.units["SYT"], due=NOW + timedelta(days=30))
    await add_task(db, org.units["SGD"], due=NOW - timedelta(days=1))
    late_mine = await add_task(db, org.units["SGD"], due=NOW - timedelta(days=2), candidates=[hr])
    official = await viewer(db, "hr.syt")
    assert await ids_of(db, official, scope="unit", overdue=True) == [late_mine, late]
    assert await ids_of(db, official, scope="mine", overdue=True) == [late_mine]
    assert await ids_of(db, official, scope="unit", due_soon=True) == [soon]

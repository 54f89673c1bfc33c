"""Compliance scorecards: counted in PostgreSQL from the tasks with a legal deadline, within scope."""
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from models import Task
from rules.deadlines import due_datetime
from services import scorecards
from services.errors import Forbidden, Invalid
from tests.helpers import viewer

NOW = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)


def _task(n: int, unit_id: int, due: date | None, *, done: datetime | None = None, status: str | None = None,
          level: int = 0, rule: str = "self_entry") -> Task:
    return Task(workflow_id=f"test/{n}", step_key="s", kind="self_entry", title=f"Việc {n}", unit_id=unit_id,
                actor_role="person", rule=rule, profile="quang-ngai", profile_version="2025-01-01",
                started_on=date(2026, 4, 1), due_on=due, due_at=due_datetime(due) if due else None,
                status=status or ("done" if done else "open"), completed_at=done, escalation_level=level)


@pytest.fixture
async def month_of_work(db, org):
    syt, sgd = org.units["SYT"], org.units["SGD"]
    may = date(2026, 5, 15)
    rows = [
        _task(1, syt, may, done=due_datetime(may) - timedelta(days=1)),                    # on time
        _task(2, syt, may, done=due_datetime(may) + timedelta(days=2), level=1),           # late, escalated
        _task(3, syt, may, level=2, rule="account_creation"),                              # open past due
        _task(4, syt, may, status="cancelled"),                                            # a cancelled transfer's
        _task(5, syt, None, done=NOW),                                                     # no legal deadline
        _task(6, org.units["SYT-BV"], date(2026, 5, 31), done=due_datetime(date(2026, 5, 31))),  # on the last second
        _task(7, sgd, date(2026, 6, 1), done=due_datetime(date(2026, 6, 1))),               # June's, not May's
    ]
    async with db.session() as session:
        session.add_all(rows)
    return org


def _by_code(rows):
    return {r.unit_code: r for r in rows}


async def test_month_counts_per_unit(db, month_of_work):
    me = await viewer(db, "thanhtra")
    async with db.session() as session:
        may = _by_code(await scorecards.month(me, "2026-05", session=session, now=NOW))
        june = _by_code(await scorecards.month(me, "2026-06", session=session, now=NOW))
    syt = may["SYT"]
    assert (syt.due, syt.on_time, syt.late, syt.open_overdue, syt.escalated) == (3, 1, 1, 1, 2)
    assert syt.on_time_rate == round(1 / 3, 4)
    assert syt.by_rule == {"self_entry": 2, "account_creation": 1}
    assert (may["SYT-BV"].due, may["SYT-BV"].on_time) == (1, 1)
    assert may["SGD"].due == 0 and may["SGD"].on_time_rate is None
    assert (june["SGD"].due, june["SGD"].on_time) == (1, 1)
    assert set(may) >= {"QNG", "SNV", "STC"}  # every unit of the province has its row


async def test_scope_and_readers(db, month_of_work):
    hr = await viewer(db, "hr.syt")
    async with db.session() as session:
        rows = await scorecards.month(hr, "2026-05", session=session, now=NOW)
    assert {r.unit_code for r in rows} == {"SYT", "SYT-DS", "SYT-BV", "SYT-VP", "SYT-NVY"}
    head = await viewer(db, "head.sgd")
    async with db.session() as session:
        assert all(r.due == 0 for r in await scorecards.month(head, "2026-05", session=session, now=NOW))
        with pytest.raises(Invalid):
            await scorecards.month(head, "2026-13", session=session)
    director = await viewer(db, "giamdoc.snv")
    async with db.session() as session:
        assert await scorecards.month(director, "2026-05", session=session, now=NOW)


async def test_xlsx_and_chart(db, month_of_work):
    me = await viewer(db, "sonoivu")
    async with db.session() as session:
        rows = await scorecards.month(me, "2026-05", session=session, now=NOW)
        history = await scorecards.for_months(me, scorecards.previous_months("2026-05", 12), session=session, now=NOW)
    sheet = load_workbook(io.BytesIO(scorecards.to_xlsx(rows, "2026-05"))).active
    values = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["SYT"][3:8] == (3, 1, 1, 1, 2) and values["SYT"][2] == "05/2026"
    assert list(history)[0] == "2025-06" and list(history)[-1] == "2026-05"
    bars = scorecards.chart_points([next(s for s in history[m] if s.unit_code == "SYT") for m in history])
    assert len(bars) == 12 and bars[-1]["label"] == "33%" and bars[-1]["css"] == "poor" and bars[0]["css"] == "none"


async def test_a_person_alone_reads_no_scorecard(db, org):
    from services.scope import Viewer
    person = Viewer(user_id=0, username="x", full_name="X", unit_id=None, person_id=1, roles=frozenset({"person"}),
                    unit_grants=(), unit_scope=frozenset())
    async with db.session() as session:
        with pytest.raises(Forbidden):
            await scorecards.month(person, "2026-05", session=session)

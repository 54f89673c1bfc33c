"""Compliance scorecards: per unit and month, how the tasks with a legal deadline went.

A task counts in the month its due date falls in (every task with a deadline, whatever its rule):
on time (completed by the due time), late (completed after it), still open past it, and escalated
(the head or Sở Nội vụ was told). They feed the province's yearly administrative-reform ranking
(Quảng Ngãi Đ17.1.d, Nghệ An Đ16.6, Kon Tum Đ18.3). Cancelled tasks (a cancelled transfer) do not
count. Readers: the province roles for every unit; unit HR and heads for the units in their scope.
"""
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from openpyxl import Workbook
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Task, Unit
from services import permissions
from services.errors import Invalid
from services.scope import Viewer

READS_SCORECARDS = ("sonoivu_admin", "sonoivu_director", "auditor", "unit_hr", "unit_head")
CHART_MONTHS = 12


@dataclass
class Score:
    unit_id: int
    unit_code: str
    unit_name: str
    month: str
    due: int = 0
    on_time: int = 0
    late: int = 0
    open_overdue: int = 0
    escalated: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)  # rule → tasks due (what the month's work was)

    @property
    def on_time_rate(self) -> float | None:
        """Share of the month's due tasks done on time; None when nothing was due."""
        return round(self.on_time / self.due, 4) if self.due else None


def month_bounds(month: str) -> tuple[date, date]:
    try:
        first = date(int(month[:4]), int(month[5:7]), 1)
    except (ValueError, IndexError):
        raise Invalid("Tháng phải có dạng YYYY-MM.", "bad_month") from None
    if len(month) != 7 or month[4] != "-":
        raise Invalid("Tháng phải có dạng YYYY-MM.", "bad_month")
    return first, (date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1))


def previous_months(month: str, count: int) -> list[str]:
    """`count` months ending with `month`, oldest first."""
    year, mon = int(month[:4]), int(month[5:7])
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
    return out[::-1]


async def _units(viewer: Viewer, session: AsyncSession) -> list[Unit]:
    query = select(Unit).order_by(Unit.code)
    if viewer.unit_scope is not None:
        query = query.where(Unit.id.in_(viewer.unit_scope or {-1}))
    return list((await session.execute(query)).scalars())


async def for_months(viewer: Viewer, months: list[str], *, session: AsyncSession,
                     now: datetime | None = None) -> dict[str, list[Score]]:
    """month → one Score per unit in the viewer's scope (units with nothing due included)."""
    permissions.require(viewer, READS_SCORECARDS)
    now = now or datetime.now(UTC)
    units = await _units(viewer, session)
    first, _ = month_bounds(months[0])
    _, end = month_bounds(months[-1])
    month_of = func.to_char(Task.due_on, "YYYY-MM")
    counted = and_(Task.due_at.is_not(None), Task.status != "cancelled", Task.due_on >= first, Task.due_on < end)
    if viewer.unit_scope is not None:
        counted = and_(counted, Task.unit_id.in_(viewer.unit_scope or {-1}))
    rows = await session.execute(
        select(Task.unit_id, month_of, Task.rule, func.count(),
               func.count().filter(and_(Task.completed_at.is_not(None), Task.completed_at <= Task.due_at)),
               func.count().filter(Task.completed_at > Task.due_at),
               func.count().filter(and_(Task.completed_at.is_(None), Task.status == "open", Task.due_at < now)),
               func.count().filter(Task.escalation_level > 0))
        .where(counted).group_by(Task.unit_id, month_of, Task.rule))
    table = {m: {u.id: Score(u.id, u.code, u.name, m) for u in units} for m in months}
    for unit_id, month, rule, due, on_time, late, overdue, escalated in rows:
        score = table.get(month, {}).get(unit_id)
        if score is None:
            continue
        score.due += due
        score.on_time += on_time
        score.late += late
        score.open_overdue += overdue
        score.escalated += escalated
        score.by_rule[rule or "—"] = score.by_rule.get(rule or "—", 0) + due
    return {m: list(table[m].values()) for m in months}


async def month(viewer: Viewer, month_key: str, *, session: AsyncSession, now: datetime | None = None) -> list[Score]:
    month_bounds(month_key)
    return (await for_months(viewer, [month_key], session=session, now=now))[month_key]


def totals(scores: list[Score], month_key: str) -> Score:
    """The scope's total of a month (the province's overview for Sở Nội vụ)."""
    total = Score(0, "", "Toàn bộ phạm vi", month_key)
    for s in scores:
        total.due += s.due
        total.on_time += s.on_time
        total.late += s.late
        total.open_overdue += s.open_overdue
        total.escalated += s.escalated
    return total


def chart_points(history: list[Score], width: int = 240, height: int = 60) -> list[dict]:
    """Bars of the on-time rate per month for an inline SVG (no script, no external file)."""
    step = width / max(len(history), 1)
    bars = []
    for i, score in enumerate(history):
        rate = score.on_time_rate
        bar = round((rate or 0) * (height - 12))
        bars.append({"x": round(i * step + 2, 1), "w": round(step - 4, 1), "y": height - bar, "h": bar,
                     "month": score.month, "label": "—" if rate is None else f"{rate:.0%}",
                     "css": "none" if rate is None else "good" if rate >= 0.9 else "fair" if rate >= 0.7 else "poor"})
    return bars


def to_xlsx(scores: list[Score], month_key: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = f"Thang {month_key}"
    sheet.append(["Mã đơn vị", "Đơn vị", "Tháng", "Việc đến hạn", "Đúng hạn", "Trễ hạn", "Quá hạn chưa xong",
                  "Đã báo cấp trên", "Tỷ lệ đúng hạn"])
    for s in scores:
        sheet.append([s.unit_code, s.unit_name, f"{month_key[5:]}/{month_key[:4]}", s.due, s.on_time, s.late,
                      s.open_overdue, s.escalated, s.on_time_rate])
    for row in sheet.iter_rows(min_row=2, min_col=9, max_col=9):
        row[0].number_format = "0.0%"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

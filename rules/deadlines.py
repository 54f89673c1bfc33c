"""Deadline computation from a regulation profile and a working calendar (pure, no I/O).

Counting rules (Civil Code 2015 Art. 147–148):
- a period in days starts on the day after the triggering event;
- ``working_days``: the n-th working day after the start date;
- ``calendar_days``: start date + n days; if the last day is a day off, the period
  ends at the end of the next working day (Art. 148);
- ``immediate`` ("ngay sau khi văn bản có hiệu lực"): profile-level interpretation —
  at the latest the next working day after the start date;
- ``monthly_before_day`` N: "before day N" = by the end of day N-1 of the month at
  the latest; fixed date, not shifted when it falls on a day off;
- ``monthly_last_days`` N: window of the last N days of the month; due on the last
  day of the month, not shifted on a day off (shifting into the next month would
  overlap next month's approval cycle);
- ``none``: an actor is assigned but the law sets no deadline -> ``None``.
- ``months_before`` N ("trước 06 tháng, tính đến ngày nghỉ hưu"): counts *backwards* from the
  start (the retirement date): the corresponding day N months earlier (Art. 148's "ngày tương
  ứng", the month's last day when it has none); a day off moves it to the working day before,
  never after (a later day would no longer be N months before).
- ``fixed_date`` (a periodic report, ``Profile.reporting``: "trước ngày 15 tháng 01 hàng năm", "chậm nhất là
  ngày 31 tháng 12"): the rule's day and month in the year of the start (the period's first day) plus
  ``amount``; a fixed date, not shifted when it falls on a day off (like the monthly cutoffs).
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .calendar import WorkingCalendar
from .clock import VN_TZ
from .profiles import EscalationPolicy, Profile, ReportingDuty

__all__ = [
    "Deadline",
    "VN_TZ",
    "add_months",
    "compute_deadline",
    "due_datetime",
    "reminder_date",
    "sonoivu_escalation_date",
    "ReportPeriod",
    "report_period",
    "report_period_on",
    "round_months",
]

@dataclass(frozen=True)
class Deadline:
    due: date
    opens: date | None
    rule: str
    profile: str
    version: str
    legal_basis: str
    kind: str


def _last_day(d: date) -> date:
    return date(d.year, d.month, _cal.monthrange(d.year, d.month)[1])


def add_months(d: date, n: int) -> date:
    """The corresponding day ``n`` months later (earlier if ``n < 0``); the month's last day when
    that month has no such day (Civil Code 2015 Art. 148: 31/08 - 6 months = 28 or 29/02)."""
    index = d.year * 12 + d.month - 1 + n
    year, month = divmod(index, 12)
    return date(year, month + 1, min(d.day, _cal.monthrange(year, month + 1)[1]))


def compute_deadline(
    profile: Profile, rule_name: str, start: date, calendar: WorkingCalendar
) -> Deadline | None:
    """Deadline of ``rule_name`` counted from an event on ``start``.

    For monthly rules, ``start`` is any day of the month in question.
    Raises ``UnknownRule`` if the profile lacks this rule; returns ``None`` if the
    rule has no deadline (kind ``"none"``).
    """
    rule = profile.rule(rule_name)
    kind = rule.kind
    opens: date | None = None
    if kind == "none":
        return None
    if kind == "working_days":
        due = calendar.add_working_days(start, rule.amount)
    elif kind == "calendar_days":
        due = calendar.on_or_next_working_day(start + timedelta(days=rule.amount))
    elif kind == "immediate":
        due = calendar.next_working_day(start)
    elif kind == "monthly_before_day":
        due = date(start.year, start.month, rule.amount - 1)
        opens = date(start.year, start.month, 1)
    elif kind == "monthly_last_days":
        due = _last_day(start)
        opens = due - timedelta(days=rule.amount - 1)
    elif kind == "fixed_date":
        day, month = rule.fixed_on
        due = date(start.year + rule.amount, month, day)
    elif kind == "months_before":
        due = add_months(start, -rule.amount)
        if not calendar.is_working_day(due):
            due = calendar.sub_working_days(due, 1)
    else:  # pragma: no cover - validated when loading TOML
        raise ValueError(f"Loại thời hạn không hỗ trợ: {kind}")
    return Deadline(
        due=due,
        opens=opens,
        rule=rule.name,
        profile=profile.name,
        version=profile.version,
        legal_basis=rule.legal_basis,
        kind=kind,
    )


def due_datetime(d: date) -> datetime:
    """End of day ``d`` in Vietnam time (23:59:59 Asia/Ho_Chi_Minh)."""
    return datetime.combine(d, time(23, 59, 59), tzinfo=VN_TZ)


def reminder_date(
    deadline_due: date,
    policy: EscalationPolicy,
    calendar: WorkingCalendar,
    *,
    start: date | None = None,
) -> date:
    """Reminder date: N working days before the deadline; not earlier than ``start`` if given."""
    d = calendar.sub_working_days(deadline_due, policy.remind_before_working_days)
    if start is not None and d < start:
        d = min(start, deadline_due)
    return d


def sonoivu_escalation_date(
    deadline_due: date, policy: EscalationPolicy, calendar: WorkingCalendar
) -> date:
    """Escalation date to the Department of Home Affairs (Sở Nội vụ): N working days after the deadline."""
    return calendar.add_working_days(deadline_due, policy.sonoivu_after_working_days)


# ---- periodic reports (Profile.reporting) ---------------------------------------------------

ROMAN = ("I", "II", "III", "IV")


@dataclass(frozen=True)
class ReportPeriod:
    key: str        # "2026" (yearly), "2026-H1" (half-yearly), "2026-Q3" (quarterly)
    start: date
    end: date
    label: str      # Vietnamese: "năm 2026", "6 tháng đầu năm 2026", "quý III năm 2026"
    opens: date     # the day its round opens (the duty's Schedule fires that day)


def _period(duty: ReportingDuty, year: int, number: int) -> ReportPeriod:
    months = duty.months
    start = date(year, (number - 1) * months + 1, 1)
    end = add_months(start, months) - timedelta(days=1)
    if duty.period == "yearly":
        key, label = f"{year}", f"năm {year}"
    elif duty.period == "half_yearly":
        key, label = f"{year}-H{number}", f"6 tháng {'đầu' if number == 1 else 'cuối'} năm {year}"
    else:
        key, label = f"{year}-Q{number}", f"quý {ROMAN[number - 1]} năm {year}"
    opens = add_months(end + timedelta(days=1), -duty.opens_months_before_end)
    return ReportPeriod(key=key, start=start, end=end, label=label, opens=opens)


def report_period(duty: ReportingDuty, key: str) -> ReportPeriod:
    """The period named `key` ("2026", "2026-H1", "2026-Q3"); ValueError when it is not one of the duty's."""
    year = key[:4]
    if year.isascii() and year.isdigit() and year[0] != "0":
        for number in duty.rounds:
            period = _period(duty, int(year), number)
            if period.key == key:
                return period
    raise ValueError(f"Kỳ báo cáo không hợp lệ: {key!r}")


def report_period_on(duty: ReportingDuty, day: date) -> ReportPeriod:
    """The period whose round opened last on or before `day` (a Schedule that fires late still opens the
    round of the period it was for)."""
    candidates = [_period(duty, year, number) for year in range(day.year - 1, day.year + 2) for number in duty.rounds]
    return max((p for p in candidates if p.opens <= day), key=lambda p: p.opens)


def round_months(duty: ReportingDuty) -> tuple[int, ...]:
    """The months in which the duty's rounds open (on the 1st), for its Schedule's cron."""
    return tuple(sorted({_period(duty, 2001, number).opens.month for number in duty.rounds}))

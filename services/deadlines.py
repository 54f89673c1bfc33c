"""Due dates and milestones of a step, from the regulation profile and the working calendar.

The calendar's admin overrides live in the database; rules/ stays pure and takes them as data.
"""
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import CalendarOverride
from rules.calendar import DayOverride, WorkingCalendar
from rules.deadlines import compute_deadline, due_datetime, reminder_date, sonoivu_escalation_date
from rules.profiles import Profile, get_profile
from rules.clock import VN_TZ
from workflows.contracts import Schedule, ScheduleInput

REMINDER_HOUR = time(8, 0)  # reminders go out at the start of the working day


_OVERRIDES = select(CalendarOverride)  # built once: read at every step's schedule


async def working_calendar(*, session: AsyncSession) -> WorkingCalendar:
    rows = (await session.execute(_OVERRIDES)).scalars()
    extra = [DayOverride(day=r.day, working=r.working, source=r.source, note=r.note) for r in rows]
    return WorkingCalendar(extra=extra)


def schedule(inp: ScheduleInput, calendar: WorkingCalendar) -> Schedule:
    profile = get_profile(inp.profile, inp.profile_version)
    start = date.fromisoformat(inp.start)
    actor, deadline = inp.default_actor, None
    if inp.rule and profile.has_rule(inp.rule):
        rule = profile.rule(inp.rule)
        actor = rule.actor
        start = date.fromisoformat(inp.starts.get(rule.counts_from, inp.start))
        deadline = compute_deadline(profile, inp.rule, start, calendar)
    if deadline is None and inp.envelope_rule and profile.has_rule(inp.envelope_rule):
        envelope_start = date.fromisoformat(inp.envelope_start or inp.start)
        deadline = compute_deadline(profile, inp.envelope_rule, envelope_start, calendar)
    if deadline is None:
        return Schedule(actor, inp.rule, None, None, None, None, None)
    return Schedule(
        actor_role=actor,
        rule=deadline.rule,
        due_on=deadline.due.isoformat(),
        due_at=due_datetime(deadline.due).isoformat(),
        remind_at=_reminder_at(profile, deadline.due, start, calendar),
        escalate_sonoivu_at=due_datetime(
            sonoivu_escalation_date(deadline.due, profile.escalation, calendar)).isoformat(),
        legal_basis=deadline.legal_basis,
    )


def _reminder_at(profile: Profile, due: date, start: date, calendar: WorkingCalendar) -> str | None:
    day = reminder_date(due, profile.escalation, calendar)
    if day <= start <= due:  # none on or before the event; a backward count (months_before) ends before its start
        return None
    return datetime.combine(day, REMINDER_HOUR, tzinfo=VN_TZ).isoformat()

"""The demo runs on whatever date today is: for every day of two years, what it seeds is what it says (pure)."""
from datetime import date, datetime, time, timedelta

import pytest

from bootstrap import demo_lifecycle, demo_oversight
from rules.calendar import WorkingCalendar
from rules.clock import VN_TZ
from rules.deadlines import compute_deadline
from rules.profiles import get_profile
from rules.retirement import PROCESS, retirement_date

CALENDAR = WorkingCalendar()
DAYS = [date(2026, 1, 1) + timedelta(days=n) for n in range(731)]


def test_the_retirement_notice_is_open_whatever_the_day():
    for day in DAYS:
        now = datetime.combine(day, time(6), tzinfo=VN_TZ)  # before the 08:00 a task opens at
        sex, born, retires = demo_lifecycle.retiring("quang-ngai", day, CALENDAR, now)
        assert retirement_date(sex, born) == retires and day < retires < day + timedelta(days=250), day
        due = compute_deadline(get_profile("quang-ngai", on=day), "retirement_notice", retires, CALENDAR).due
        opens = datetime.combine(due - timedelta(days=PROCESS.task_opens_before_due_days), time(8), tzinfo=VN_TZ)
        assert opens <= now, day
        retiree, retired_on = demo_lifecycle.retiree(day)
        assert retirement_date(retiree.sex, retiree.born) == retired_on < day


@pytest.mark.parametrize("rule", ["account_creation", "transfer_send"])
def test_late_work_falls_due_this_month_before_today(rule):
    first_days = 0
    for day in DAYS:
        due = demo_lifecycle.late_due(day, CALENDAR)
        if due is None:  # the month's first working day (or before it): nothing can be due yet this month
            assert not any(CALENDAR.is_working_day(d) for d in (day.replace(day=n) for n in range(1, day.day)))
            first_days += 1
            continue
        assert (due.year, due.month) == (day.year, day.month) and due < day
        start = demo_lifecycle.start_for_due("quang-ngai", rule, due, CALENDAR)
        assert compute_deadline(get_profile("quang-ngai", on=start), rule, start, CALENDAR).due == due
    assert first_days < 3 * 24


@pytest.mark.parametrize("profile", ["quang-ngai", "kon-tum", "hai-phong", "nghe-an", "binh-dinh"])
def test_the_report_round_is_of_a_past_period_and_past_its_due_date(profile):
    for day in DAYS[::7]:
        duty, period = demo_oversight.report_round(profile, day, CALENDAR)
        assert period.opens <= day and period.end < day
        deadline = compute_deadline(get_profile(profile, on=day), duty.rule.name, period.start, CALENDAR)
        assert deadline is None or deadline.due < day
        assert profile != "quang-ngai" or deadline is None  # Điều 12 khoản 1 sets no date

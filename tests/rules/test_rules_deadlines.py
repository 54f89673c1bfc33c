from datetime import date, datetime, timedelta

import pytest

from rules.calendar import DayOverride, WorkingCalendar
from rules.deadlines import (
    compute_deadline,
    due_datetime,
    reminder_date,
    sonoivu_escalation_date,
)
from rules.profiles import UnknownRule, get_profile


@pytest.fixture(scope="module")
def cal():
    return WorkingCalendar()


def qn(on=date(2026, 3, 1)):
    return get_profile("quang-ngai", on=on)


def test_qn_account_creation_across_tet_2026(cal):
    # hired Tuesday 10/02/2026: 11, 12, 13 (1-3), Tet off 14-22/02, 23, 24, 25, 26 (4-7)
    d = compute_deadline(qn(), "account_creation", date(2026, 2, 10), cal)
    assert d.due == date(2026, 2, 26)
    assert d.opens is None
    assert d.kind == "working_days"
    assert d.profile == "quang-ngai" and d.version == "2024-10-01"
    assert d.legal_basis.startswith("Điều 5 khoản 2 QĐ 29/2024/QĐ-UBND tỉnh Quảng Ngãi")


def test_make_up_saturday_counts(cal):
    # Binh Dinh self_entry, 3 working days from Thursday 08/01/2026:
    # 09/01 (1), make-up Saturday 10/01 (2), Monday 12/01 (3)
    bd = get_profile("binh-dinh", on=date(2026, 1, 8))
    assert compute_deadline(bd, "self_entry", date(2026, 1, 8), cal).due == date(2026, 1, 12)
    # without the swap decision it would be 13/01
    bare = WorkingCalendar(overrides=())
    assert compute_deadline(bd, "self_entry", date(2026, 1, 8), bare).due == date(2026, 1, 13)


def test_make_up_saturday_2025(cal):
    # Hai Phong transfer_send, 5 working days from Monday 21/04/2025:
    # 22, 23, 24, 25 (1-4), make-up Saturday 26/04 (5)
    hp = get_profile("hai-phong", on=date(2025, 4, 21))
    assert compute_deadline(hp, "transfer_send", date(2025, 4, 21), cal).due == date(2025, 4, 26)


def test_bd_self_entry_three_working_days(cal):
    bd = get_profile("binh-dinh", on=date(2025, 3, 1))
    # Wednesday 31/12/2025: 01/01 holiday, 02/01 swapped day off, 03-04 weekend -> 05, 06, 07
    assert compute_deadline(bd, "self_entry", date(2025, 12, 31), cal).due == date(2026, 1, 7)
    # normal week: Monday 02/03/2026 -> Thursday 05/03
    assert compute_deadline(bd, "self_entry", date(2026, 3, 2), cal).due == date(2026, 3, 5)


def test_calendar_days_ending_sunday_moves_to_monday(cal):
    kt = get_profile("kon-tum", on=date(2026, 3, 5))
    # 05/03/2026 + 10 days = Sunday 15/03 -> Monday 16/03 (Civil Code Art. 148)
    d = compute_deadline(kt, "transfer_internal", date(2026, 3, 5), cal)
    assert d.due == date(2026, 3, 16)
    assert d.kind == "calendar_days"
    # ending on a working day: unchanged
    assert compute_deadline(kt, "transfer_internal", date(2026, 3, 2), cal).due == date(2026, 3, 12)


def test_calendar_days_ending_on_holiday_moves_past_it(cal):
    na = get_profile("nghe-an", on=date(2026, 4, 15))
    # 15/04/2026 + 15 = 30/04 (holiday), 01/05 (holiday), 02-03/05 weekend -> 04/05
    assert compute_deadline(na, "status_change", date(2026, 4, 15), cal).due == date(2026, 5, 4)


def test_bd_update_personal_calendar_days(cal):
    bd = get_profile("binh-dinh", on=date(2026, 2, 1))
    # 12/02/2026 + 5 = 17/02 (Tet) -> 23/02
    assert compute_deadline(bd, "update_personal", date(2026, 2, 12), cal).due == date(2026, 2, 23)


def test_immediate_is_next_working_day(cal):
    assert compute_deadline(qn(), "transfer_internal", date(2026, 3, 4), cal).due == date(2026, 3, 5)
    assert compute_deadline(qn(), "transfer_send", date(2026, 3, 6), cal).due == date(2026, 3, 9)
    assert compute_deadline(qn(), "transfer_send", date(2026, 2, 13), cal).due == date(2026, 2, 23)


def test_qn_monthly_before_25(cal):
    d = compute_deadline(qn(), "monthly_approval", date(2026, 3, 3), cal)
    assert d.due == date(2026, 3, 24)
    assert d.opens == date(2026, 3, 1)
    # not moved back when the 24th is a Sunday (24/05/2026)
    d = compute_deadline(qn(), "monthly_approval", date(2026, 5, 10), cal)
    assert d.due == date(2026, 5, 24)
    assert not cal.is_working_day(d.due)


def test_qn_province_approval_last_5_days(cal):
    d = compute_deadline(qn(), "province_approval", date(2026, 2, 3), cal)
    assert (d.opens, d.due) == (date(2026, 2, 24), date(2026, 2, 28))


@pytest.mark.parametrize("profile", ["kon-tum", "hai-phong"])
def test_last_5_days_window(cal, profile):
    p = get_profile(profile, on=date(2026, 2, 1))
    d = compute_deadline(p, "monthly_approval", date(2026, 2, 3), cal)
    assert (d.opens, d.due) == (date(2026, 2, 24), date(2026, 2, 28))  # 28 days, 28/02 is a Saturday: not moved
    d = compute_deadline(p, "monthly_approval", date(2026, 3, 31), cal)
    assert (d.opens, d.due) == (date(2026, 3, 27), date(2026, 3, 31))
    d = compute_deadline(p, "monthly_approval", date(2024, 2, 1), cal)  # leap year
    assert (d.opens, d.due) == (date(2024, 2, 25), date(2024, 2, 29))


def test_none_kind_returns_none(cal):
    kt = get_profile("kon-tum", on=date(2026, 1, 1))
    assert compute_deadline(kt, "account_creation", date(2026, 1, 5), cal) is None
    assert compute_deadline(qn(), "status_change", date(2026, 1, 5), cal) is None


def test_unknown_rule_raises(cal):
    with pytest.raises(UnknownRule):
        compute_deadline(get_profile("binh-dinh"), "monthly_approval", date(2026, 1, 5), cal)


def test_version_changes_deadline(cal):
    kt_before = get_profile("kon-tum", on=date(2026, 6, 30))
    kt_after = get_profile("kon-tum", on=date(2026, 7, 1))
    assert compute_deadline(kt_before, "self_entry", date(2026, 7, 1), cal) is None
    d = compute_deadline(kt_after, "self_entry", date(2026, 7, 1), cal)
    assert d.due == date(2026, 7, 6)  # Wednesday 01/07 -> 02, 03, 06
    assert d.version == "2026-07-01"
    assert "Nghị định 27/2026/NĐ-CP" in d.legal_basis
    qn_after = get_profile("quang-ngai", on=date(2026, 7, 1))
    assert compute_deadline(qn_after, "self_entry", date(2026, 7, 1), cal).due == date(2026, 7, 8)


def test_admin_extra_override_shifts_due():
    p = qn()
    base = WorkingCalendar()
    # Wednesday 04/03/2026 + 7 working days = Friday 13/03
    assert compute_deadline(p, "account_creation", date(2026, 3, 4), base).due == date(2026, 3, 13)
    extra = [DayOverride(date(2026, 3, 13), False, "Quyết định 123/QĐ-UBND (thử)", "Nghỉ bù địa phương")]
    cal = WorkingCalendar(extra=extra)
    assert compute_deadline(p, "account_creation", date(2026, 3, 4), cal).due == date(2026, 3, 16)


def test_due_datetime():
    dt = due_datetime(date(2026, 2, 26))
    assert (dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second) == (2026, 2, 26, 23, 59, 59)
    assert dt.utcoffset() == timedelta(hours=7)
    assert str(dt.tzinfo) == "Asia/Ho_Chi_Minh"
    assert isinstance(dt, datetime)


def test_reminder_and_escalation(cal):
    pol = qn().escalation
    assert pol.remind_before_working_days == 2 and pol.sonoivu_after_working_days == 3
    # due 26/02/2026: reminder 2 working days before = 24/02; Sở Nội vụ 3 working days after = 03/03
    assert reminder_date(date(2026, 2, 26), pol, cal) == date(2026, 2, 24)
    assert sonoivu_escalation_date(date(2026, 2, 26), pol, cal) == date(2026, 3, 3)
    # reminder across the Tet break: due 24/02 -> 13/02 ... (23/02 is 1, 13/02 is 2)
    assert reminder_date(date(2026, 2, 24), pol, cal) == date(2026, 2, 13)
    # not earlier than the start date
    assert reminder_date(date(2026, 3, 5), pol, cal, start=date(2026, 3, 4)) == date(2026, 3, 4)

from datetime import date

import pytest

from rules.calendar import SHIPPED_OVERRIDES, DayOverride, WorkingCalendar


@pytest.fixture(scope="module")
def cal():
    return WorkingCalendar()


def test_shipped_overrides_have_sources():
    assert SHIPPED_OVERRIDES
    for o in SHIPPED_OVERRIDES:
        assert o.source.strip()
        assert isinstance(o.day, date)


def test_weekends_and_weekdays(cal):
    assert cal.is_working_day(date(2026, 3, 4))  # Wednesday
    assert not cal.is_working_day(date(2026, 3, 7))  # Saturday
    assert not cal.is_working_day(date(2026, 3, 8))  # Sunday


@pytest.mark.parametrize(
    "d",
    [date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18), date(2026, 2, 19), date(2026, 2, 20)],
)
def test_tet_2026_off(cal, d):
    assert not cal.is_working_day(d)
    assert cal.holiday_name(d)


def test_tet_2026_bracket(cal):
    assert cal.is_working_day(date(2026, 2, 13))
    assert cal.is_working_day(date(2026, 2, 23))
    assert cal.working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1


def test_new_year_2026_swap(cal):
    # Official Letter 12729/VPCP-KGVX: Friday 02/01/2026 off, made up on Saturday 10/01/2026
    assert not cal.is_working_day(date(2026, 1, 1))
    assert not cal.is_working_day(date(2026, 1, 2))
    assert cal.holiday_name(date(2026, 1, 2))
    assert cal.is_working_day(date(2026, 1, 10))
    assert cal.holiday_name(date(2026, 1, 10)) is None


def test_2025_labour_day_swap(cal):
    assert cal.is_working_day(date(2025, 4, 26))  # make-up Saturday
    assert not cal.is_working_day(date(2025, 5, 2))
    assert not cal.is_working_day(date(2025, 4, 30))
    assert not cal.is_working_day(date(2025, 5, 1))


def test_2024_swaps(cal):
    assert not cal.is_working_day(date(2024, 4, 29))
    assert cal.is_working_day(date(2024, 5, 4))
    assert not cal.is_working_day(date(2024, 9, 2))
    assert not cal.is_working_day(date(2024, 9, 3))
    for d in (date(2024, 2, 8), date(2024, 2, 9), date(2024, 2, 12), date(2024, 2, 13), date(2024, 2, 14)):
        assert not cal.is_working_day(d)


def test_national_day_2025_two_days(cal):
    assert not cal.is_working_day(date(2025, 9, 1))
    assert not cal.is_working_day(date(2025, 9, 2))
    assert cal.is_working_day(date(2025, 9, 3))


def test_holiday_name_vietnamese(cal):
    assert cal.holiday_name(date(2026, 4, 30)) == "Ngày Chiến thắng"
    assert cal.holiday_name(date(2026, 3, 4)) is None


def test_add_working_days_does_not_count_start(cal):
    # Monday 02/03/2026 + 1 working day = Tuesday 03/03
    assert cal.add_working_days(date(2026, 3, 2), 1) == date(2026, 3, 3)
    # Friday + 1 = Monday
    assert cal.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)
    # starting on Sunday: the first working day is Monday
    assert cal.add_working_days(date(2026, 3, 8), 1) == date(2026, 3, 9)


def test_next_and_on_or_next(cal):
    assert cal.next_working_day(date(2026, 3, 4)) == date(2026, 3, 5)
    assert cal.on_or_next_working_day(date(2026, 3, 4)) == date(2026, 3, 4)
    assert cal.on_or_next_working_day(date(2026, 2, 14)) == date(2026, 2, 23)
    assert cal.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)


def test_working_days_between(cal):
    assert cal.working_days_between(date(2026, 3, 2), date(2026, 3, 9)) == 5
    assert cal.working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert cal.working_days_between(date(2026, 2, 10), date(2026, 2, 26)) == 7


def test_sub_working_days(cal):
    assert cal.sub_working_days(date(2026, 2, 23), 1) == date(2026, 2, 13)
    assert cal.sub_working_days(date(2026, 3, 9), 2) == date(2026, 3, 5)


def test_extra_layer_wins_over_shipped_and_base():
    extra = [
        DayOverride(date(2026, 3, 13), False, "Quyết định của UBND tỉnh (thử)", "Nghỉ đột xuất"),
        DayOverride(date(2026, 1, 10), False, "Quản trị viên huỷ ngày làm bù (thử)"),
        DayOverride(date(2026, 3, 14), True, "Làm bù (thử)"),
    ]
    cal = WorkingCalendar(extra=extra)
    assert not cal.is_working_day(date(2026, 3, 13))
    assert cal.holiday_name(date(2026, 3, 13)) == "Nghỉ đột xuất"
    assert not cal.is_working_day(date(2026, 1, 10))
    assert cal.is_working_day(date(2026, 3, 14))


def test_without_shipped_overrides_falls_back_to_holidays():
    cal = WorkingCalendar(overrides=())
    # holidays 0.109 does not yet know the 2026 New Year swap
    assert cal.is_working_day(date(2026, 1, 2))
    assert not cal.is_working_day(date(2026, 1, 10))
    # but does know the 30/4/2025 swap
    assert cal.is_working_day(date(2025, 4, 26))
    assert not cal.is_working_day(date(2025, 5, 2))


def test_far_year_is_computed_lazily():
    cal = WorkingCalendar()
    # year outside the precomputed range (2015-2040): computed on demand, no I/O
    assert cal.holiday_name(date(2050, 4, 30)) == "Ngày Chiến thắng"
    assert cal.holiday_name(date(2050, 1, 1)) == "Tết Dương lịch"
    assert not cal.is_working_day(date(2050, 1, 3))  # compensatory day off (01/01/2050 is a Saturday)
    assert cal.is_working_day(date(2050, 1, 4))

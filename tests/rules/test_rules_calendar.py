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
    assert cal.is_working_day(date(2026, 3, 4))  # thứ Tư
    assert not cal.is_working_day(date(2026, 3, 7))  # thứ Bảy
    assert not cal.is_working_day(date(2026, 3, 8))  # Chủ nhật


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
    # Công văn 12729/VPCP-KGVX: nghỉ thứ Sáu 02/01/2026, làm bù thứ Bảy 10/01/2026
    assert not cal.is_working_day(date(2026, 1, 1))
    assert not cal.is_working_day(date(2026, 1, 2))
    assert cal.holiday_name(date(2026, 1, 2))
    assert cal.is_working_day(date(2026, 1, 10))
    assert cal.holiday_name(date(2026, 1, 10)) is None


def test_2025_labour_day_swap(cal):
    assert cal.is_working_day(date(2025, 4, 26))  # thứ Bảy làm bù
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
    # thứ Hai 02/03/2026 + 1 ngày làm việc = thứ Ba 03/03
    assert cal.add_working_days(date(2026, 3, 2), 1) == date(2026, 3, 3)
    # thứ Sáu + 1 = thứ Hai
    assert cal.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)
    # bắt đầu vào Chủ nhật: ngày làm việc thứ nhất là thứ Hai
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
    # holidays 0.109 chưa biết hoán đổi Tết Dương lịch 2026
    assert cal.is_working_day(date(2026, 1, 2))
    assert not cal.is_working_day(date(2026, 1, 10))
    # nhưng đã biết hoán đổi 30/4/2025
    assert cal.is_working_day(date(2025, 4, 26))
    assert not cal.is_working_day(date(2025, 5, 2))


def test_far_year_is_computed_lazily():
    cal = WorkingCalendar()
    # năm ngoài khoảng tính sẵn (2015-2040): tính khi cần, không I/O
    assert cal.holiday_name(date(2050, 4, 30)) == "Ngày Chiến thắng"
    assert cal.holiday_name(date(2050, 1, 1)) == "Tết Dương lịch"
    assert not cal.is_working_day(date(2050, 1, 3))  # nghỉ bù (01/01/2050 là thứ Bảy)
    assert cal.is_working_day(date(2050, 1, 4))

"""Retirement age and date (rules/retirement.py) against Nghị định 135/2020/NĐ-CP Phụ lục I, written out
here by birth-month range as the decree's table gives it; the notice and decision rules (6 and 3 months
before, counted backwards) reach every profile version."""
import calendar
from datetime import date

import pytest

from rules.calendar import WorkingCalendar
from rules.deadlines import add_months, compute_deadline
from rules.profiles import PROFILE_NAMES, STATUTE_LAYERS, _build_versions, get_profile, profile_versions
from rules.retirement import (
    PROCESS, SEXES, age_of_year, latest_birth_retiring_by, notice_lead_months, retirement, retirement_age,
    retirement_date, scan_horizon,
)

# Phụ lục I: (year of retirement, age years, age months, first birth month, last birth month or None = onwards)
MEN = [
    (2021, 60, 3, (1961, 1), (1961, 9)),
    (2022, 60, 6, (1961, 10), (1962, 6)),
    (2023, 60, 9, (1962, 7), (1963, 3)),
    (2024, 61, 0, (1963, 4), (1963, 12)),
    (2025, 61, 3, (1964, 1), (1964, 9)),
    (2026, 61, 6, (1964, 10), (1965, 6)),
    (2027, 61, 9, (1965, 7), (1966, 3)),
    (2028, 62, 0, (1966, 4), None),
]
WOMEN = [
    (2021, 55, 4, (1966, 1), (1966, 8)),
    (2022, 55, 8, (1966, 9), (1967, 4)),
    (2023, 56, 0, (1967, 5), (1967, 12)),
    (2024, 56, 4, (1968, 1), (1968, 8)),
    (2025, 56, 8, (1968, 9), (1969, 4)),
    (2026, 57, 0, (1969, 5), (1969, 12)),
    (2027, 57, 4, (1970, 1), (1970, 8)),
    (2028, 57, 8, (1970, 9), (1971, 4)),
    (2029, 58, 0, (1971, 5), (1971, 12)),
    (2030, 58, 4, (1972, 1), (1972, 8)),
    (2031, 58, 8, (1972, 9), (1973, 4)),
    (2032, 59, 0, (1973, 5), (1973, 12)),
    (2033, 59, 4, (1974, 1), (1974, 8)),
    (2034, 59, 8, (1974, 9), (1975, 4)),
    (2035, 60, 0, (1975, 5), None),
]
CAL = WorkingCalendar()


def months(first: tuple[int, int], last: tuple[int, int]):
    year, month = first
    while (year, month) <= last:
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def expected_date(born: tuple[int, int], years: int, months_: int) -> date:
    index = born[0] * 12 + born[1] - 1 + years * 12 + months_
    return month_end(index // 12, index % 12 + 1)


@pytest.mark.parametrize("sex,table", [("nam", MEN), ("nu", WOMEN)])
def test_every_birth_month_of_the_decrees_table(sex, table):
    checked = 0
    for year, years, months_, first, last in table:
        for born in months(first, last or (first[0] + 3, first[1])):  # "from … onwards": three more years
            for day in (1, 15, calendar.monthrange(*born)[1]):  # only the month of birth counts
                r = retirement(sex, date(born[0], born[1], day))
                assert (r.age.years, r.age.months) == (years, months_), (sex, born)
                assert r.date == expected_date(born, years, months_), (sex, born)
                assert r.date.year == year or (last is None and r.date.year >= year), (sex, born)
                checked += 1
    assert checked > 100


@pytest.mark.parametrize("sex,table", [("nam", MEN), ("nu", WOMEN)])
def test_the_age_of_each_roadmap_year(sex, table):
    for year, years, months_, _, _ in table:
        assert (age_of_year(sex, year).years, age_of_year(sex, year).months) == (years, months_)
    final = table[-1]
    for later in range(final[0], final[0] + 20):
        assert (age_of_year(sex, later).years, age_of_year(sex, later).months) == (final[1], final[2])


def test_the_age_of_the_year_it_is_reached():
    # 10/1961 would be 60y3m in 01/2022, but 2022's age is 60y6m: reached in 04/2022
    assert retirement_age("nam", date(1961, 10, 20)).label == "60 tuổi 6 tháng"
    assert retirement_date("nam", date(1961, 10, 20)) == date(2022, 4, 30)
    assert retirement_date("nu", date(1966, 9, 2)) == date(2022, 5, 31)  # not 01/2022 at 55y4m


@pytest.mark.parametrize("sex,born,age,retires", [
    ("nam", date(1960, 12, 31), "60 tuổi", date(2020, 12, 31)),      # before the roadmap: 60 (BLLĐ 2012)
    ("nam", date(1961, 1, 1), "60 tuổi 3 tháng", date(2021, 4, 30)),
    ("nam", date(1961, 9, 30), "60 tuổi 3 tháng", date(2021, 12, 31)),
    ("nam", date(1961, 10, 1), "60 tuổi 6 tháng", date(2022, 4, 30)),
    ("nam", date(1966, 3, 31), "61 tuổi 9 tháng", date(2027, 12, 31)),
    ("nam", date(1966, 4, 1), "62 tuổi", date(2028, 4, 30)),
    ("nam", date(1980, 2, 29), "62 tuổi", date(2042, 2, 28)),
    ("nu", date(1965, 12, 31), "55 tuổi", date(2020, 12, 31)),
    ("nu", date(1966, 1, 1), "55 tuổi 4 tháng", date(2021, 5, 31)),
    ("nu", date(1966, 8, 31), "55 tuổi 4 tháng", date(2021, 12, 31)),
    ("nu", date(1975, 4, 30), "59 tuổi 8 tháng", date(2034, 12, 31)),
    ("nu", date(1975, 5, 1), "60 tuổi", date(2035, 5, 31)),
    ("nu", date(1990, 7, 14), "60 tuổi", date(2050, 7, 31)),
])
def test_boundary_birth_months_and_beyond_the_roadmap(sex, born, age, retires):
    r = retirement(sex, born)
    assert (r.age.label, r.date) == (age, retires)
    assert "Điều 3 khoản 1 Nghị định 135/2020/NĐ-CP" in r.basis


def test_legal_basis_names_the_articles():
    assert "Điều 169 khoản 2 Bộ luật Lao động 2019" in retirement("nam", date(1965, 1, 1)).basis
    assert "Phụ lục I Nghị định 135/2020/NĐ-CP" in retirement("nu", date(1970, 1, 1)).basis
    assert "Bộ luật Lao động 2012" in retirement("nam", date(1959, 6, 1)).basis


def test_unknown_sex_is_refused_in_vietnamese():
    assert SEXES == ("nam", "nu")
    with pytest.raises(ValueError, match="Giới tính không hợp lệ"):
        retirement("x", date(1970, 1, 1))


@pytest.mark.parametrize("sex", ["nam", "nu"])
def test_latest_birth_retiring_by_a_day_is_exact(sex):
    for day in (date(2026, 12, 1), date(2027, 6, 30), date(2027, 6, 29), date(2031, 12, 31), date(2040, 2, 28)):
        cutoff = latest_birth_retiring_by(sex, day)
        assert retirement_date(sex, cutoff) <= day
        assert retirement_date(sex, add_months(cutoff, 1)) > day


def test_months_before_counts_backwards_to_the_corresponding_day_or_the_working_day_before():
    profile = get_profile("quang-ngai", on=date(2025, 1, 1))
    # 30/04/2022 − 6 months = Saturday 30/10/2021 → Friday 29/10/2021
    notice = compute_deadline(profile, "retirement_notice", date(2022, 4, 30), CAL)
    assert (notice.due, notice.kind) == (date(2021, 10, 29), "months_before")
    assert notice.legal_basis.startswith("Điều 60 khoản 2 Luật Cán bộ, công chức 2008")
    # 31/08/2027 − 6 months: February has no 31st → Sunday 28/02/2027 → Friday 26/02/2027
    assert compute_deadline(profile, "retirement_notice", date(2027, 8, 31), CAL).due == date(2027, 2, 26)
    # 30/06/2027 − 3 months = Tuesday 30/03/2027, a working day: kept
    assert compute_deadline(profile, "retirement_decision", date(2027, 6, 30), CAL).due == date(2027, 3, 30)
    assert add_months(date(2027, 3, 31), -1) == date(2027, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_every_profile_version_has_both_rules_even_without_the_national_layer():
    for name in PROFILE_NAMES:
        for p in profile_versions(name):
            for rule, months_ in (("retirement_notice", 6), ("retirement_decision", 3)):
                r = p.rule(rule)
                assert (r.kind, r.amount, r.actor, r.counts_from) == ("months_before", months_, "unit_hr",
                                                                       "retirement_date")
                assert r.layer in STATUTE_LAYERS and r.article == "Điều 60 khoản 2"
                assert "Luật Viên chức" in r.legal_basis and "Nghị định 115/2020/NĐ-CP" in r.legal_basis
    assert get_profile("kon-tum", on=date(2025, 6, 1)).layers == ("kon-tum",)  # no national layer, still there
    assert notice_lead_months() == 6


def province(rules: dict) -> dict:
    return {"name": "thu-nghiem", "province": "Thử nghiệm", "title": "Thử nghiệm", "instrument": "QĐ thử nghiệm",
            "approval_scope": "own_unit", "escalation": {"remind_before_working_days": 2, "head_at_due": True,
                                                         "sonoivu_after_working_days": 3, "basis": "Điều 1"},
            "version": [{"version": "1", "effective_from": date(2025, 1, 1), "layers": ["thu-nghiem"]}],
            "rules": rules}


def test_a_province_overrides_the_statute_and_one_that_names_only_the_actor_keeps_its_deadline():
    [own] = _build_versions(province({"retirement_notice": {
        "kind": "months_before", "amount": 7, "actor": "unit_hr", "article": "Điều 9"}}))
    assert (own.rule("retirement_notice").amount, own.rule("retirement_notice").layer) == (7, "thu-nghiem")
    assert own.rule("retirement_decision").layer in STATUTE_LAYERS
    [actor_only] = _build_versions(province({"retirement_decision": {
        "kind": "none", "actor": "superior_hr", "article": "Điều 9"}}))
    kept = actor_only.rule("retirement_decision")
    assert (kept.kind, kept.amount, kept.layer) == ("months_before", 3, STATUTE_LAYERS[0])
    assert "Điều 9" in kept.note


def test_the_scan_horizon_is_the_notice_lead_plus_the_margin():
    assert PROCESS.scan_margin_days > PROCESS.task_opens_before_due_days > 0
    assert (scan_horizon(date(2026, 12, 1)) - date(2027, 6, 1)).days == PROCESS.scan_margin_days
    assert (scan_horizon(date(2027, 8, 31)) - date(2028, 2, 29)).days == PROCESS.scan_margin_days

"""Retirement age and retirement date (pure, no I/O at call time).

Data: ``rules/data/retirement.toml`` (read once at import): the age in normal working conditions by
sex and year (Bộ luật Lao động 2019 Điều 169 khoản 2; Nghị định 135/2020/NĐ-CP Điều 4 and Phụ lục I),
and the moment of retirement (Nghị định 135/2020/NĐ-CP Điều 3 khoản 1: the end of the last day of the
month in which the age is reached).

The age that applies is the age *of the year in which it is reached*: a man born in 10/1961 would be
60y3m in 01/2022, but the age of 2022 is 60y6m, which he reaches in 04/2022; he retires at the end
of 30/04/2022. Only the birth month matters (Phụ lục I is by month and year of birth).
"""

from __future__ import annotations

import calendar as _cal
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from .deadlines import add_months
from .profiles import PROFILE_NAMES, profile_versions

__all__ = [
    "SEXES",
    "Age",
    "Retirement",
    "Process",
    "PROCESS",
    "MOMENT_BASIS",
    "age_of_year",
    "retirement",
    "retirement_age",
    "retirement_date",
    "latest_birth_retiring_by",
    "notice_lead_months",
    "scan_horizon",
]

_DATA = Path(__file__).resolve().parent / "data" / "retirement.toml"


@dataclass(frozen=True)
class Age:
    years: int
    months: int
    article: str  # where this age is set

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months

    @property
    def label(self) -> str:
        """«60 tuổi 6 tháng», «62 tuổi»."""
        return f"{self.years} tuổi {self.months} tháng" if self.months else f"{self.years} tuổi"


@dataclass(frozen=True)
class Retirement:
    sex: str
    born: date
    age: Age
    date: date          # the last day of the month the age is reached (the moment: the end of that day)
    basis: str          # the articles of the age and of the moment

    @property
    def year(self) -> int:
        return self.date.year


@dataclass(frozen=True)
class Process:
    """Operational choices around the legal milestones (not law): how long before its due date a
    task opens, and how far beyond the longest notice lead the daily scan looks."""
    task_opens_before_due_days: int
    scan_margin_days: int
    note: str


@dataclass(frozen=True)
class _Roadmap:
    sex: str
    article: str
    summary: str
    before: Age
    until: int                          # `before` applies up to the end of this year
    ages: Mapping[int, Age]             # from each year; the last one for every later year

    def age_of(self, year: int) -> Age:
        if year <= self.until:
            return self.before
        first, last = min(self.ages), max(self.ages)
        return self.ages[min(max(year, first), last)]

    @property
    def youngest(self) -> Age:
        return min([self.before, *self.ages.values()], key=lambda a: a.total_months)


def _load() -> tuple[dict[str, _Roadmap], str, Process]:
    data = tomllib.loads(_DATA.read_text(encoding="utf-8"))
    roadmaps: dict[str, _Roadmap] = {}
    for sex, raw in data["roadmap"].items():
        article = str(raw["article"]).strip()
        before_raw = raw["before"]
        before = Age(int(before_raw["years"]), int(before_raw["months"]), str(before_raw["article"]))
        ages: dict[int, Age] = {}
        for item in raw["ages"]:
            ages[int(item["year"])] = Age(int(item["years"]), int(item["months"]), article)
        years = sorted(ages)
        if not article or years != list(range(years[0], years[-1] + 1)) or years[0] != int(before_raw["until"]) + 1:
            raise ValueError(f"Lộ trình tuổi nghỉ hưu ({sex}) phải liên tục từng năm, ngay sau năm "
                             f"{before_raw['until']}, và ghi điều khoản")
        previous = before.total_months
        for year in years:  # the rule "the age of the year it is reached" needs a slow, rising age
            step = ages[year].total_months - previous
            if not 0 <= step < 12 or not 0 <= ages[year].months < 12:
                raise ValueError(f"Tuổi nghỉ hưu năm {year} ({sex}) phải tăng dưới 12 tháng so với năm trước")
            previous = ages[year].total_months
        roadmaps[sex] = _Roadmap(sex, article, str(raw.get("summary", "")), before, int(before_raw["until"]),
                                 MappingProxyType(ages))
    moment = data["moment"]
    process = data["process"]
    return (roadmaps, f"{moment['article']} ({moment['summary']})",
            Process(int(process["task_opens_before_due_days"]), int(process["scan_margin_days"]),
                    str(process.get("note", ""))))


_ROADMAPS, MOMENT_BASIS, PROCESS = _load()
SEXES = tuple(_ROADMAPS)


def _roadmap(sex: str) -> _Roadmap:
    try:
        return _ROADMAPS[sex]
    except KeyError:
        raise ValueError(f"Giới tính không hợp lệ '{sex}'; các giá trị hợp lệ: {', '.join(SEXES)}") from None


def _month_end(year: int, month: int) -> date:
    return date(year, month, _cal.monthrange(year, month)[1])


def age_of_year(sex: str, year: int) -> Age:
    """The retirement age that applies to whoever reaches it in ``year``."""
    return _roadmap(sex).age_of(year)


def retirement(sex: str, born: date) -> Retirement:
    """Age, date and legal basis of the retirement of a person of ``sex`` born on ``born``."""
    roadmap = _roadmap(sex)
    birth_index = born.year * 12 + born.month - 1
    year = born.year + roadmap.youngest.total_months // 12
    for _ in range(200):  # the year the age is reached: the first year whose own age falls in it
        age = roadmap.age_of(year)
        reached_year, reached_month = divmod(birth_index + age.total_months, 12)
        if reached_year == year:
            basis = f"{age.article}; {MOMENT_BASIS}"
            return Retirement(sex, born, age, _month_end(reached_year, reached_month + 1), basis)
        if reached_year < year:  # pragma: no cover - excluded by the checks on loading
            raise ValueError("Lộ trình tuổi nghỉ hưu không hợp lệ")
        year += 1
    raise ValueError("Lộ trình tuổi nghỉ hưu không hợp lệ")  # pragma: no cover


def retirement_age(sex: str, born: date) -> Age:
    return retirement(sex, born).age


def retirement_date(sex: str, born: date) -> date:
    """The last day of the month in which the person reaches the age of that year (they retire at
    the end of that day; the pension starts the first day of the next month)."""
    return retirement(sex, born).date


def latest_birth_retiring_by(sex: str, day: date) -> date:
    """The latest date of birth whose retirement date is on or before ``day``: everyone of ``sex``
    born on or before it retires by ``day`` (the date never decreases with the date of birth)."""
    roadmap = _roadmap(sex)
    index = day.year * 12 + day.month - 1 - roadmap.youngest.total_months
    for _ in range(12 * 20):
        year, month = divmod(index, 12)
        born = _month_end(year, month + 1)
        if retirement_date(sex, born) <= day:
            return born
        index -= 1
    raise ValueError("Lộ trình tuổi nghỉ hưu không hợp lệ")  # pragma: no cover


def notice_lead_months() -> int:
    """The longest notice lead (months before the retirement date) of any profile version."""
    leads = [p.rule("retirement_notice").amount for name in PROFILE_NAMES for p in profile_versions(name)
             if p.has_rule("retirement_notice") and p.rule("retirement_notice").kind == "months_before"]
    return max(leads, default=0)


def scan_horizon(today: date) -> date:
    """The last retirement date the daily scan looks at on ``today``: the longest notice lead plus
    the scan's margin, so each workflow starts before its notice task opens."""
    return add_months(today, notice_lead_months()) + timedelta(days=PROCESS.scan_margin_days)


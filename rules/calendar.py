"""Working calendar of Vietnamese state administrative agencies.

Three layers; each later layer wins over the earlier ones:

1. the ``holidays`` library (VN): public holidays per Labour Code 2019 Art. 112
   plus the working-day swaps the library already knows (``weekend_workdays``);
2. ``SHIPPED_OVERRIDES``: source-verified swap / compensatory-day-off decisions,
   bundled in ``rules/data/calendar_overrides.toml``;
3. ``extra``: days entered by administrators (a table in the application DB),
   passed in by the caller.

This module is pure computation: no I/O at call time (the TOML file is read once
at import), no ``date.today()``/``datetime.now()``; safe inside the Temporal
workflow sandbox.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Iterable

import holidays as _holidays

__all__ = [
    "DayOverride",
    "SHIPPED_OVERRIDES",
    "WorkingCalendar",
    "load_overrides",
]

_DATA = Path(__file__).resolve().parent / "data" / "calendar_overrides.toml"

# Years precomputed at import; years outside the range are computed on demand (pure, no I/O).
_BASE_YEARS = range(2015, 2041)


@dataclass(frozen=True)
class DayOverride:
    day: date
    working: bool  # True = make-up working day (e.g. a working Saturday); False = extra day off
    source: str  # official instrument, e.g. "Công văn 12729/VPCP-KGVX ngày 25/12/2025"
    note: str = ""


def load_overrides(text: str) -> tuple[DayOverride, ...]:
    """Parse the ``[[override]]`` list from TOML text."""
    data = tomllib.loads(text)
    out: list[DayOverride] = []
    for item in data.get("override", []):
        day = item["day"]
        if not isinstance(day, date):
            day = date.fromisoformat(str(day))
        source = str(item.get("source", "")).strip()
        if not source:
            raise ValueError(f"Ngày {day.isoformat()} thiếu nguồn (source) văn bản")
        out.append(
            DayOverride(
                day=day,
                working=bool(item["working"]),
                source=source,
                note=str(item.get("note", "")),
            )
        )
    return tuple(sorted(out, key=lambda o: o.day))


SHIPPED_OVERRIDES: tuple[DayOverride, ...] = load_overrides(_DATA.read_text(encoding="utf-8"))


class _Base:
    """Base layer from the ``holidays`` library, computed once and shared."""

    def __init__(self) -> None:
        self._years: set[int] = set()
        self._names: dict[date, str] = {}
        self._workdays: set[date] = set()
        self._add_years(_BASE_YEARS)

    def _add_years(self, years: Iterable[int]) -> None:
        years = [y for y in years if y not in self._years]
        if not years:
            return
        h = _holidays.country_holidays("VN", years=years, language="vi")
        for d, name in h.items():
            self._names.setdefault(d, name)
        for d in getattr(h, "weekend_workdays", ()) or ():
            if d.year in years:
                self._workdays.add(d)
        self._years.update(years)

    def ensure(self, year: int) -> None:
        if year not in self._years:
            self._add_years([year])

    def holiday(self, d: date) -> str | None:
        self.ensure(d.year)
        return self._names.get(d)

    def is_weekend_workday(self, d: date) -> bool:
        self.ensure(d.year)
        return d in self._workdays


_BASE = _Base()


class WorkingCalendar:
    """Working days: Monday–Friday minus holidays/days off, plus make-up Saturdays/Sundays."""

    def __init__(
        self,
        overrides: Iterable[DayOverride] = SHIPPED_OVERRIDES,
        extra: Iterable[DayOverride] = (),
    ) -> None:
        layer: dict[date, DayOverride] = {}
        for o in overrides:
            layer[o.day] = o
        for o in extra:  # admin layer wins over the bundled layer
            layer[o.day] = o
        self._overrides = layer

    # ------------------------------------------------------------------ lookup
    def override_for(self, d: date) -> DayOverride | None:
        return self._overrides.get(d)

    def is_working_day(self, d: date) -> bool:
        o = self._overrides.get(d)
        if o is not None:
            return o.working
        if _BASE.is_weekend_workday(d):
            return True
        if d.weekday() >= 5:
            return False
        return _BASE.holiday(d) is None

    def holiday_name(self, d: date) -> str | None:
        """Vietnamese name if ``d`` is an announced holiday/day off; otherwise None."""
        o = self._overrides.get(d)
        if o is not None:
            if o.working:
                return None
            return _BASE.holiday(d) or o.note or f"Ngày nghỉ theo {o.source}"
        if _BASE.is_weekend_workday(d):
            return None
        return _BASE.holiday(d)

    # ------------------------------------------------------------------ day counting
    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself not counted — Civil Code 2015 Art. 147).

        ``n == 0`` returns ``start`` if it is a working day, otherwise the next working day.
        ``n < 0`` goes back ``|n|`` working days before ``start``.
        """
        if n == 0:
            return self.on_or_next_working_day(start)
        if n < 0:
            return self.sub_working_days(start, -n)
        d = start
        count = 0
        while count < n:
            d += timedelta(days=1)
            if self.is_working_day(d):
                count += 1
        return d

    def sub_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day before ``start`` (``start`` not counted)."""
        if n <= 0:
            return start
        d = start
        count = 0
        while count < n:
            d -= timedelta(days=1)
            if self.is_working_day(d):
                count += 1
        return d

    def next_working_day(self, d: date) -> date:
        """First working day after ``d`` (excluding ``d``)."""
        return self.add_working_days(d, 1)

    def on_or_next_working_day(self, d: date) -> date:
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Number of working days in (a, b]; negative if b < a."""
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        d = a
        while d < b:
            d += timedelta(days=1)
            if self.is_working_day(d):
                count += 1
        return count

"""Lịch làm việc của cơ quan hành chính nhà nước Việt Nam.

Ba lớp, lớp sau thắng lớp trước:

1. thư viện ``holidays`` (VN): ngày lễ theo Bộ luật Lao động 2019 Điều 112 và
   một số lần hoán đổi ngày làm việc mà thư viện đã biết (``weekend_workdays``);
2. ``SHIPPED_OVERRIDES``: các quyết định hoán đổi / nghỉ bù đã đối chiếu nguồn,
   đóng gói trong ``rules/data/calendar_overrides.toml``;
3. ``extra``: ngày do quản trị viên nhập (bảng trong CSDL của ứng dụng), do nơi
   gọi truyền vào.

Module này thuần tính toán: không I/O khi gọi hàm (tệp TOML được đọc một lần
lúc import), không dùng ``date.today()``/``datetime.now()``; an toàn trong
sandbox workflow của Temporal.
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

# Năm được tính sẵn lúc import; năm ngoài khoảng được tính khi cần (chỉ tính toán, không I/O).
_BASE_YEARS = range(2015, 2041)


@dataclass(frozen=True)
class DayOverride:
    day: date
    working: bool  # True = ngày làm bù (ví dụ thứ Bảy đi làm); False = thêm ngày nghỉ
    source: str  # văn bản chính thức, ví dụ "Công văn 12729/VPCP-KGVX ngày 25/12/2025"
    note: str = ""


def load_overrides(text: str) -> tuple[DayOverride, ...]:
    """Đọc danh sách ``[[override]]`` từ nội dung TOML."""
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
    """Lớp nền từ thư viện ``holidays``, tính một lần và dùng chung."""

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
    """Ngày làm việc: thứ Hai–thứ Sáu, trừ ngày lễ/nghỉ, cộng các thứ Bảy/Chủ nhật làm bù."""

    def __init__(
        self,
        overrides: Iterable[DayOverride] = SHIPPED_OVERRIDES,
        extra: Iterable[DayOverride] = (),
    ) -> None:
        layer: dict[date, DayOverride] = {}
        for o in overrides:
            layer[o.day] = o
        for o in extra:  # lớp quản trị viên thắng lớp đóng gói
            layer[o.day] = o
        self._overrides = layer

    # ------------------------------------------------------------------ tra cứu
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
        """Tên (tiếng Việt) nếu ``d`` là ngày lễ/ngày nghỉ được công bố; None nếu không."""
        o = self._overrides.get(d)
        if o is not None:
            if o.working:
                return None
            return _BASE.holiday(d) or o.note or f"Ngày nghỉ theo {o.source}"
        if _BASE.is_weekend_workday(d):
            return None
        return _BASE.holiday(d)

    # ------------------------------------------------------------------ đếm ngày
    def add_working_days(self, start: date, n: int) -> date:
        """Ngày làm việc thứ ``n`` sau ``start`` (không tính ngày ``start`` — BLDS 2015 Điều 147).

        ``n == 0`` trả về ``start`` nếu là ngày làm việc, nếu không thì ngày làm việc kế tiếp.
        ``n < 0`` lùi lại ``|n|`` ngày làm việc trước ``start``.
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
        """Ngày làm việc thứ ``n`` trước ``start`` (không tính ``start``)."""
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
        """Ngày làm việc đầu tiên sau ``d`` (không kể ``d``)."""
        return self.add_working_days(d, 1)

    def on_or_next_working_day(self, d: date) -> date:
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Số ngày làm việc trong khoảng (a, b]; âm nếu b < a."""
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        d = a
        while d < b:
            d += timedelta(days=1)
            if self.is_working_day(d):
                count += 1
        return count

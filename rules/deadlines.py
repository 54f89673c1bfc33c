"""Tính thời hạn theo hồ sơ quy định và lịch làm việc (thuần, không I/O).

Cách đếm (Bộ luật Dân sự 2015 Điều 147–148):
- thời hạn tính bằng ngày bắt đầu từ ngày tiếp theo của ngày xảy ra sự kiện;
- ``working_days``: ngày làm việc thứ n sau ngày bắt đầu;
- ``calendar_days``: ngày bắt đầu + n ngày; nếu ngày cuối là ngày nghỉ thì thời hạn
  kết thúc vào cuối ngày làm việc tiếp theo (Điều 148);
- ``immediate`` ("ngay sau khi văn bản có hiệu lực"): cách hiểu ở cấp hồ sơ quy định —
  chậm nhất là ngày làm việc kế tiếp sau ngày bắt đầu;
- ``monthly_before_day`` N: "trước ngày N" = chậm nhất hết ngày N-1 của tháng; mốc
  cố định, không lùi khi trùng ngày nghỉ;
- ``monthly_last_days`` N: cửa sổ N ngày cuối tháng; hạn là ngày cuối tháng, không
  lùi khi trùng ngày nghỉ (lùi sang tháng sau sẽ chồng lên chu kỳ phê duyệt của
  tháng sau);
- ``none``: có người thực hiện nhưng pháp luật không đặt thời hạn -> ``None``.
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .calendar import WorkingCalendar
from .profiles import EscalationPolicy, Profile

__all__ = [
    "Deadline",
    "VN_TZ",
    "compute_deadline",
    "due_datetime",
    "reminder_date",
    "sonoivu_escalation_date",
]

# Tạo lúc import (đọc tzdata một lần), không đọc lại khi gọi hàm trong workflow.
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


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


def compute_deadline(
    profile: Profile, rule_name: str, start: date, calendar: WorkingCalendar
) -> Deadline | None:
    """Thời hạn của ``rule_name`` tính từ sự kiện ngày ``start``.

    Với các quy tắc hằng tháng, ``start`` là một ngày bất kỳ của tháng cần tính.
    Ném ``UnknownRule`` nếu hồ sơ không có quy tắc này; trả ``None`` nếu quy tắc
    không có thời hạn (kind ``"none"``).
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
    else:  # pragma: no cover - kiểm tra lúc nạp TOML
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
    """Cuối ngày ``d`` theo giờ Việt Nam (23:59:59 Asia/Ho_Chi_Minh)."""
    return datetime.combine(d, time(23, 59, 59), tzinfo=VN_TZ)


def reminder_date(
    deadline_due: date,
    policy: EscalationPolicy,
    calendar: WorkingCalendar,
    *,
    start: date | None = None,
) -> date:
    """Ngày nhắc: N ngày làm việc trước hạn; không sớm hơn ``start`` nếu có."""
    d = calendar.sub_working_days(deadline_due, policy.remind_before_working_days)
    if start is not None and d < start:
        d = min(start, deadline_due)
    return d


def sonoivu_escalation_date(
    deadline_due: date, policy: EscalationPolicy, calendar: WorkingCalendar
) -> date:
    """Ngày chuyển Sở Nội vụ: N ngày làm việc sau hạn."""
    return calendar.add_working_days(deadline_due, policy.sonoivu_after_working_days)

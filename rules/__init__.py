"""Lớp quy tắc thuần của Hồ sơ: lịch làm việc, hồ sơ quy định từng tỉnh, tính thời hạn.

Không import gì của ứng dụng; không I/O khi gọi hàm (TOML đóng gói được đọc lúc import).
"""

from .calendar import SHIPPED_OVERRIDES, DayOverride, WorkingCalendar
from .deadlines import Deadline, compute_deadline, due_datetime, reminder_date, sonoivu_escalation_date
from .profiles import (
    PROFILE_NAMES,
    RULE_NAMES,
    EscalationPolicy,
    Profile,
    Rule,
    UnknownProfile,
    UnknownRule,
    get_profile,
    list_profiles,
    profile_versions,
)

__all__ = [
    "SHIPPED_OVERRIDES", "DayOverride", "WorkingCalendar",
    "Deadline", "compute_deadline", "due_datetime", "reminder_date", "sonoivu_escalation_date",
    "PROFILE_NAMES", "RULE_NAMES", "EscalationPolicy", "Profile", "Rule",
    "UnknownProfile", "UnknownRule", "get_profile", "list_profiles", "profile_versions",
]

"""Pure rules layer of Hồ sơ: working calendar, per-province regulation profiles, deadlines.

Imports nothing from the application; no I/O at call time (bundled TOML is read at import).
"""

from .calendar import SHIPPED_OVERRIDES, DayOverride, WorkingCalendar
from .clock import VN_TZ, local_date
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
    "SHIPPED_OVERRIDES", "DayOverride", "WorkingCalendar", "VN_TZ", "local_date",
    "Deadline", "compute_deadline", "due_datetime", "reminder_date", "sonoivu_escalation_date",
    "PROFILE_NAMES", "RULE_NAMES", "EscalationPolicy", "Profile", "Rule",
    "UnknownProfile", "UnknownRule", "get_profile", "list_profiles", "profile_versions",
]

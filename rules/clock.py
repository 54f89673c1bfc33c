"""Việt Nam's time zone and the local date of a moment: the one definition every layer uses.

Dates shown to people, deadlines and the month of an approval are all days in Asia/Ho_Chi_Minh.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = ["VN_TZ", "local_date"]

# Created at import (tzdata read once), not re-read on calls inside a workflow.
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local_date(moment: datetime | str) -> date:
    """The day in Việt Nam of an aware datetime or an ISO 8601 string with its offset."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(VN_TZ).date()

"""How the pages show values: dates as dd/mm/yyyy and times in Việt Nam, file sizes."""
from datetime import UTC, date, datetime
from typing import Any

from rules.clock import VN_TZ as VN


def vn_now() -> datetime:
    return datetime.now(UTC).astimezone(VN)


def vn_today() -> date:
    return vn_now().date()


def _as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.astimezone(VN).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def vn_date(value: Any) -> str:
    """dd/mm/yyyy of a date, an aware datetime (in Việt Nam) or an ISO string; '' for nothing."""
    day = _as_date(value)
    if day is None:
        return "" if value in (None, "") else str(value)
    return f"{day:%d/%m/%Y}"


def vn_datetime(value: Any) -> str:
    """HH:MM dd/mm/yyyy in Việt Nam time of an aware datetime (or ISO string)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return vn_date(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return f"{value.astimezone(VN):%H:%M %d/%m/%Y}"


def iso_date(value: Any) -> str:
    """The value of a type=date input: ISO when the value is a date, else as typed."""
    day = _as_date(value)
    return day.isoformat() if day else ("" if value is None else str(value))


def file_size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB".replace(".", ",")
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")

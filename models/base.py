from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def timestamp(*, nullable: bool = True, default_now: bool = False, index: bool = False):
    """A timezone-aware timestamp column."""
    return Field(
        default_factory=utcnow if default_now else lambda: None,
        sa_type=DateTime(timezone=True),
        nullable=nullable,
        index=index,
    )

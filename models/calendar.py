from datetime import date, datetime

from sqlmodel import Field, SQLModel

from models.base import timestamp


class CalendarOverride(SQLModel, table=True):
    """A day the government adds off or declares worked, entered by Sở Nội vụ without a release."""

    __tablename__ = "calendar_overrides"

    day: date = Field(primary_key=True)
    working: bool
    source: str = Field(max_length=255)
    note: str = ""
    created_by: str = Field(max_length=64)
    created_at: datetime = timestamp(nullable=False, default_now=True)

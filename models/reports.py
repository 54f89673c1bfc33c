"""Periodic reports (rules/profiles.py `[[reporting]]`): one row per reporting unit, duty and period."""
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, DateTime, LargeBinary, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import timestamp
from models.sealed import SealedJSONB

# The figures' sections that count sensitive personal data (Nghị định 13/2023/NĐ-CP Điều 2.4: ethnicity): only
# aggregates, never a name, yet sealed at rest like every other place that holds them (models/people.py).
SENSITIVE_SECTIONS: frozenset[str] = frozenset({"ethnicity"})

REPORT_STATUSES = {
    "open": "Chưa lập",
    "prepared": "Đã lập, chờ thủ trưởng ký",
    "submitted": "Đã ký, đã nộp",
}


class Report(SQLModel, table=True):
    """A unit's report for one period of a duty: the figures HR submitted (aggregates only, no names), HR's
    narrative, and the PDF its head signed. Workflow `report/{duty}/{period}/{unit_id}`."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("duty", "period", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    duty: str = Field(max_length=16, index=True)          # the duty's key in the profile
    period: str = Field(max_length=16, index=True)        # "2026", "2026-H1", "2026-Q3"
    period_start: date
    period_end: date
    period_label: str = Field(max_length=64)             # "năm 2026", "quý III năm 2026"
    unit_id: int = Field(foreign_key="units.id", index=True)
    title: str = Field(max_length=255)
    profile: str = Field(max_length=32)
    profile_version: str = Field(max_length=32)
    workflow_id: str = Field(max_length=128)
    legal_basis: str | None = None
    status: str = Field(default="open", max_length=16, index=True)
    due_on: date | None = None
    due_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    late: bool = False
    # {"as_of", "headcount", "onboarding", "sections": {key: [[label, count], ...]}}; sections.ethnicity sealed
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(
        SealedJSONB(SENSITIVE_SECTIONS, path=("sections",)), nullable=False))
    figures_sha256: str | None = Field(default=None, max_length=64)
    notes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    prepared_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    prepared_by_id: int | None = Field(default=None, foreign_key="users.id")
    signed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    signed_by_id: int | None = Field(default=None, foreign_key="users.id")
    signed_as: str | None = Field(default=None, max_length=255)
    signed_pdf: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    signed_pdf_sha256: str | None = Field(default=None, max_length=64)
    created_at: datetime = timestamp(nullable=False, default_now=True)

"""Moves of a person between units, their leaving, and the merger of whole units."""
from datetime import date, datetime

from sqlalchemy import DateTime, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import timestamp

TRANSFER_KINDS = {
    "internal": "Điều chuyển trong cùng cơ quan",
    "intra_province": "Điều động, chuyển công tác trong tỉnh",
    "arrival": "Tiếp nhận từ bộ, ngành, tỉnh khác",
    "leaving": "Nghỉ hưu, thôi việc, chuyển ra ngoài",
}
LEAVING_REASONS = {
    "retirement": "Nghỉ hưu",
    "resignation": "Thôi việc",
    "dismissal": "Buộc thôi việc",
    "death": "Từ trần",
    "leaving_province": "Chuyển công tác ra ngoài tỉnh",
    "party_bloc": "Chuyển sang khối Đảng, đoàn thể",
}
TRANSFER_STATUSES = {
    "open": "Đang thực hiện",
    "done": "Đã hoàn tất",
    "cancelled": "Đã hủy",
}
MERGER_STATUSES = {"running": "Đang chuyển", "done": "Đã hoàn tất"}


class Transfer(SQLModel, table=True):
    """One move of a person (or their leaving); at most one open per person (a partial unique index)."""

    __tablename__ = "transfers"
    __table_args__ = (
        Index("uq_transfers_open_person", "person_id", unique=True, postgresql_where=text("status = 'open'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    kind: str = Field(max_length=16)
    from_unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    to_unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    reason: str = Field(max_length=255)            # a LEAVING_REASONS key for a leaving, free text otherwise
    decision_no: str = Field(max_length=64)
    effective_on: date
    paper_file_on: date | None = None              # when a valid paper file arrived (Kon Tum Đ10.2 counts from it)
    status: str = Field(default="open", max_length=16, index=True)
    stage: str = Field(default="starting", max_length=32)
    workflow_id: str | None = Field(default=None, max_length=128)
    revision_id: int | None = Field(default=None, foreign_key="profile_revisions.id")
    profile: str = Field(max_length=32)
    profile_version: str = Field(max_length=32)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = timestamp(nullable=False, default_now=True)
    handed_over_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    closed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    cancel_reason: str | None = None


class Placement(SQLModel, table=True):
    """Where a person belonged and when: the record's unit history (the open row is the current unit)."""

    __tablename__ = "placements"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    unit_id: int = Field(foreign_key="units.id", index=True)
    from_on: date
    to_on: date | None = None
    transfer_id: int | None = Field(default=None, foreign_key="transfers.id")
    merger_id: int | None = Field(default=None, foreign_key="mergers.id")
    created_at: datetime = timestamp(nullable=False, default_now=True)


class Merger(SQLModel, table=True):
    """A unit merged into (or dissolved towards) its successor on a date, by Sở Nội vụ's decision."""

    __tablename__ = "mergers"

    id: int | None = Field(default=None, primary_key=True)
    from_unit_id: int = Field(foreign_key="units.id", index=True)
    to_unit_id: int = Field(foreign_key="units.id")
    effective_on: date
    decision_no: str = Field(max_length=64)
    status: str = Field(default="running", max_length=16)
    workflow_id: str | None = Field(default=None, max_length=128)
    total: int = 0
    moved: int = 0
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = timestamp(nullable=False, default_now=True)
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class MergerMove(SQLModel, table=True):
    """One person moved by a merger: the unique key is what makes a resumed merger move no one twice."""

    __tablename__ = "merger_moves"
    __table_args__ = (UniqueConstraint("merger_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    merger_id: int = Field(foreign_key="mergers.id", index=True)
    person_id: int = Field(foreign_key="people.id")
    from_unit_id: int = Field(foreign_key="units.id")
    moved_at: datetime = timestamp(nullable=False, default_now=True)

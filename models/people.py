from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import timestamp
from models.sealed import SealedJSONB

PERSON_KINDS = {
    "can_bo": "Cán bộ",
    "cong_chuc": "Công chức",
    "vien_chuc": "Viên chức",
    "hop_dong": "Người lao động (hợp đồng)",
}
PERSON_STATUSES = {
    "onboarding": "Đang lập hồ sơ",
    "active": "Đang công tác",
    "archived": "Đã lưu trữ",
}
# The CV items that are sensitive personal data (Nghị định 13/2023/NĐ-CP Điều 2.4; ../shared/REGULATIONS.md): sealed
# at rest wherever CV data is stored (models/sealed.py) and shown only to those who need them (services/permissions.py
# sees_sensitive). services/cv.SENSITIVE_FIELDS is this set. A new sensitive item of the form is one line here (items
# 31 health, 34 personal history and the criminal-record part of 36 when the form has them).
SENSITIVE_CV_FIELDS: frozenset[str] = frozenset({
    "ethnicity",  # 6. Dân tộc
    "religion",  # 7. Tôn giáo
})
REVISION_STATUSES = {
    "draft": "Bản nháp",
    "submitted": "Chờ cán bộ tổ chức kiểm tra",
    "returned": "Bị trả lại để bổ sung",
    "ready": "Chờ phê duyệt trong tháng",
    "returned_by_head": "Thủ trưởng trả lại",
    "approved": "Đã phê duyệt",
    "withdrawn": "Đã rút (điều chuyển bị hủy)",
}


class Person(SQLModel, table=True):
    __tablename__ = "people"

    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(max_length=255, index=True)
    search_name: str = Field(default="", max_length=255, index=True)  # lower-case, no diacritics
    sex: str = Field(max_length=3)
    date_of_birth: date
    citizen_id: str = Field(max_length=12, unique=True, index=True)
    email: str | None = Field(default=None, max_length=255)
    unit_id: int = Field(foreign_key="units.id", index=True)
    kind: str = Field(max_length=16)
    hired_on: date
    status: str = Field(default="onboarding", max_length=16, index=True)
    profile: str = Field(max_length=32)
    profile_version: str = Field(max_length=32)
    current_revision_id: int | None = None  # the newest approved revision: what everyone else sees
    left_on: date | None = None  # the day the person left the service (the leaving's effective date)
    leave_reason: str | None = Field(default=None, max_length=32)  # models/transfers.LEAVING_REASONS
    archived_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = timestamp(nullable=False, default_now=True)


class ProfileRevision(SQLModel, table=True):
    """One version of a person's CV (sơ yếu lý lịch); the newest approved one is current."""

    __tablename__ = "profile_revisions"
    __table_args__ = (UniqueConstraint("person_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    number: int
    status: str = Field(default="draft", max_length=16, index=True)
    data: dict[str, Any] = Field(default_factory=dict,
                                 sa_column=Column(SealedJSONB(SENSITIVE_CV_FIELDS), nullable=False))
    author_id: int | None = Field(default=None, foreign_key="users.id")
    workflow_id: str | None = Field(default=None, max_length=128)
    kind: str = Field(default="onboarding", max_length=32)  # onboarding | update_personal | update_state_decision
    change_date: date | None = None  # the date of the change the deadline counts from
    change_reason: str | None = None
    decision_no: str | None = Field(default=None, max_length=64)  # for facts from state decisions
    approved_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    review_comment: str | None = None
    reviewed_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = timestamp(nullable=False, default_now=True)
    updated_at: datetime = timestamp(nullable=False, default_now=True)
    submitted_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    reviewed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))

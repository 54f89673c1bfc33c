from datetime import datetime
from typing import Any

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from models.base import timestamp
from models.people import SENSITIVE_CV_FIELDS
from models.sealed import SealedJSONB, seal_when


class Attachment(SQLModel, table=True):
    """A scanned document confirmed by the competent body, attached to a revision."""

    __tablename__ = "attachments"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    revision_id: int | None = Field(default=None, foreign_key="profile_revisions.id", index=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=64)  # detected from the bytes, not the name
    size: int
    sha256: str = Field(max_length=64, index=True)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = timestamp(nullable=False, default_now=True)


class RevisionChange(SQLModel, table=True):
    """Who changed which field of a revision, and when (HR corrections included)."""

    __tablename__ = "revision_changes"

    id: int | None = Field(default=None, primary_key=True)
    revision_id: int = Field(foreign_key="profile_revisions.id", index=True)
    user_id: int = Field(foreign_key="users.id")
    field: str = Field(max_length=64)
    old: Any = Field(default=None, sa_column=Column(SealedJSONB(), nullable=True))  # sealed for a sensitive field
    new: Any = Field(default=None, sa_column=Column(SealedJSONB(), nullable=True))
    at: datetime = timestamp(nullable=False, default_now=True)


seal_when(RevisionChange, ("old", "new"), lambda change: change.field in SENSITIVE_CV_FIELDS)



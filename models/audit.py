from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import timestamp


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp(nullable=False, default_now=True, index=True)
    actor: str = Field(max_length=64)  # username, or "system"
    action: str = Field(max_length=64, index=True)
    subject: str = Field(max_length=128, index=True)  # e.g. "person:12", "task:40"
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))

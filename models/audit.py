"""The audit log: one row per action, chained (services/audit.py, docs/data-protection.md#the-audit-chain).

Each row carries its place in one global chain (`seq`, 1, 2, 3, ... with no gap), the hash of the row
before it (`prev_hash`) and its own `hash`, an HMAC-SHA256 keyed by HOSO_AUDIT_KEY over its content and
`prev_hash`. `audit_chain` is the chain's head (one row): the last seq and hash, locked by each commit that
appends, so concurrent writers never fork the chain and a deleted tail shows."""
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, SmallInteger
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import timestamp


class AuditEvent(SQLModel, table=True):
    """Written only by services/audit.record (appended to the chain when the unit of work commits)."""

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp(nullable=False, default_now=True, index=True)
    actor: str = Field(max_length=64)  # username, or "system"
    action: str = Field(max_length=64, index=True)
    subject: str = Field(max_length=128, index=True)  # e.g. "person:12", "task:40"
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=False, unique=True))
    prev_hash: str | None = Field(default=None, max_length=64, nullable=False)
    hash: str | None = Field(default=None, max_length=64, nullable=False)


class AuditChainHead(SQLModel, table=True):
    """The last row of the chain (a single row, id 1)."""

    __tablename__ = "audit_chain"
    __table_args__ = (CheckConstraint("id = 1", name="audit_chain_single_row"),)

    id: int = Field(default=1, sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    hash: str = Field(max_length=64)
    updated_at: datetime = timestamp(nullable=False, default_now=True)

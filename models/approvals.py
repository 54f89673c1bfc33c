from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, DateTime, LargeBinary, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import timestamp
from models.people import SENSITIVE_CV_FIELDS
from models.sealed import SealedJSONB

APPROVAL_STATUSES = {
    "waiting": "Chưa đến kỳ phê duyệt",
    "open": "Chờ ký duyệt",
    "signed": "Đã ký duyệt",
    "late": "Trễ hạn, chưa ký",
}


class Delegation(SQLModel, table=True):
    """A written delegation (ủy quyền) from a unit head to a deputy to sign the month's approvals."""

    __tablename__ = "delegations"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="units.id", index=True)
    delegator_id: int = Field(foreign_key="users.id")
    delegate_id: int = Field(foreign_key="users.id", index=True)
    document_no: str = Field(max_length=64)
    valid_from: date
    valid_to: date
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    revoked_by: str | None = Field(default=None, max_length=64)
    created_by: str = Field(max_length=64)
    created_at: datetime = timestamp(nullable=False, default_now=True)


class Approval(SQLModel, table=True):
    """One unit's (or, at level "province", the province's) approval of a month."""

    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("level", "unit_id", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    level: str = Field(default="unit", max_length=16)  # "unit" | "province"
    unit_id: int = Field(foreign_key="units.id", index=True)
    month: str = Field(max_length=7, index=True)  # YYYY-MM
    workflow_id: str = Field(max_length=128)
    profile: str = Field(max_length=32)
    profile_version: str = Field(max_length=32)
    status: str = Field(default="waiting", max_length=16)
    opens_on: date | None = None
    due_on: date | None = None
    due_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    legal_basis: str | None = None
    late: bool = False
    signed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    signed_by_id: int | None = Field(default=None, foreign_key="users.id")
    signed_as: str | None = Field(default=None, max_length=255)  # "Thủ trưởng" or the delegation
    signed_pdf: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    signed_pdf_sha256: str | None = Field(default=None, max_length=64)
    parent_id: int | None = Field(default=None, foreign_key="approvals.id", index=True)  # the province level
    created_at: datetime = timestamp(nullable=False, default_now=True)


class ApprovalItem(SQLModel, table=True):
    __tablename__ = "approval_items"
    __table_args__ = (UniqueConstraint("revision_id"),)

    id: int | None = Field(default=None, primary_key=True)
    approval_id: int = Field(foreign_key="approvals.id", index=True)
    revision_id: int = Field(foreign_key="profile_revisions.id")
    decision: str = Field(default="pending", max_length=16)  # pending | approved | returned
    reason: str | None = None
    added_at: datetime = timestamp(nullable=False, default_now=True)


class SyncOutbox(SQLModel, table=True):
    """One approved revision to send to the national CBCCVC database, exactly once."""

    __tablename__ = "sync_outbox"

    id: int | None = Field(default=None, primary_key=True)
    revision_id: int = Field(foreign_key="profile_revisions.id", unique=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    idempotency_key: str = Field(max_length=64, unique=True)
    # the record sent; its CV ("data") with the sensitive items sealed
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(
        SealedJSONB(SENSITIVE_CV_FIELDS, path=("data",)), nullable=False))
    status: str = Field(default="pending", max_length=16, index=True)  # pending | sent | failed
    attempts: int = 0
    last_error: str | None = None
    remote_id: str | None = Field(default=None, max_length=128)
    created_at: datetime = timestamp(nullable=False, default_now=True)
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class SignedDocument(SQLModel, table=True):
    """A document signed for a task by the signing activity, before the task's completion applies it.

    Signing (pyhanko, maybe a remote service) runs outside the completion's transaction; the
    completion then only checks that this signature covers what it applies."""

    __tablename__ = "signed_documents"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.id", index=True)
    signer_id: int = Field(foreign_key="users.id")
    signed_as: str = Field(max_length=255)
    covers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    created_at: datetime = timestamp(nullable=False, default_now=True)


class PreparedDocument(SQLModel, table=True):
    """The document a signing task's signer previews, rendered once and kept with the digest of everything it
    shows: while the digest still matches, the signature is made on these very bytes (services/approvals)."""

    __tablename__ = "prepared_documents"

    task_id: int = Field(foreign_key="tasks.id", primary_key=True)
    digest: str = Field(max_length=64)
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = timestamp(nullable=False, default_now=True)


class SignedExport(SQLModel, table=True):
    """The CV of an approved revision, signed when its approval was signed (the competent person's
    signature, then the agency's): downloads serve it and never use a key."""

    __tablename__ = "signed_exports"

    revision_id: int = Field(foreign_key="profile_revisions.id", primary_key=True)
    signer_id: int = Field(foreign_key="users.id")
    signed_as: str = Field(max_length=255)
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    created_at: datetime = timestamp(nullable=False, default_now=True)

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import timestamp

ESCALATION_LEVELS = {0: "Trong hạn", 1: "Đã báo thủ trưởng đơn vị", 2: "Đã báo Sở Nội vụ"}


class Task(SQLModel, table=True):
    """Inbox projection of one human step of a workflow, written only by activities."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("workflow_id", "step_key"),
        # the inbox: a subtree's open tasks by due date, and the open ones among a viewer's candidacies (0010)
        Index("ix_tasks_open_unit_due", "unit_id", "due_at", "id", postgresql_where=text("status = 'open'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    workflow_id: str = Field(max_length=128, index=True)
    step_key: str = Field(max_length=64)  # unique within the workflow, e.g. "self_entry#2"
    kind: str = Field(max_length=32)
    title: str = Field(max_length=255)
    subject_person_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    unit_id: int = Field(foreign_key="units.id", index=True)
    actor_role: str = Field(max_length=32)
    rule: str | None = Field(default=None, max_length=32)
    profile: str = Field(max_length=32)
    profile_version: str = Field(max_length=32)
    started_on: date
    due_on: date | None = None
    due_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), index=True)
    legal_basis: str | None = None
    status: str = Field(default="open", max_length=16, index=True)
    escalation_level: int = 0
    reminded_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    escalated_head_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    escalated_sonoivu_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    outcome: str | None = Field(default=None, max_length=32)
    comment: str | None = None
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    completed_by_id: int | None = Field(default=None, foreign_key="users.id")
    completed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = timestamp(nullable=False, default_now=True)


class TaskCandidate(SQLModel, table=True):
    """Who may complete a task or must watch it (an escalation), and why they were added."""

    __tablename__ = "task_candidates"
    __table_args__ = (UniqueConstraint("task_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    reason: str = Field(max_length=255)
    can_complete: bool = True

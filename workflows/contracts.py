"""Inputs and results of workflows, activities and updates: one dataclass per call.

Dates travel as ISO strings ("YYYY-MM-DD"), times as ISO 8601 with offset, so histories stay
readable and replay-safe whatever the converter does with date objects.
"""
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from typing import Any

VN_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")  # Việt Nam has no daylight saving


@dataclass
class OnboardingInput:
    person_id: int
    unit_id: int
    profile: str
    profile_version: str
    hired_on: str


@dataclass
class ScheduleInput:
    """Ask for a step's due date and milestones under a profile version."""
    profile: str
    profile_version: str
    rule: str | None          # the step's own rule, if it has one
    start: str                # the event the period counts from
    default_actor: str        # who acts when the profile names nobody
    envelope_rule: str | None = None   # bounds steps without a deadline of their own
    envelope_start: str | None = None


@dataclass
class Schedule:
    actor_role: str
    rule: str | None
    due_on: str | None
    due_at: str | None
    remind_at: str | None
    escalate_sonoivu_at: str | None
    legal_basis: str | None


@dataclass
class OpenTaskInput:
    workflow_id: str
    step_key: str
    kind: str
    person_id: int | None
    unit_id: int
    profile: str
    profile_version: str
    started_on: str
    schedule: Schedule


@dataclass
class OpenedTask:
    task_id: int
    candidate_user_ids: list[int]
    outcomes: list[str]


@dataclass
class CompleteTaskInput:
    """The Update a person sends to finish a task."""
    task_id: int
    outcome: str
    actor_user_id: int
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskResult:
    task_id: int
    outcome: str
    completed_at: str
    late: bool
    result: dict[str, Any] = field(default_factory=dict)


@dataclass
class MilestoneInput:
    task_id: int
    milestone: str  # "remind" | "escalate_head" | "escalate_sonoivu"


@dataclass
class PersonStatusInput:
    person_id: int
    status: str

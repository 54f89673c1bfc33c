"""JSON shapes of the HTTP contract (DESIGN.md)."""
from datetime import datetime

from models import Person, Task, Unit
from services.people import TimelineStep
from services import steps
from rules.clock import VN_TZ


def iso(value):
    """ISO 8601; times with the Asia/Ho_Chi_Minh offset."""
    if isinstance(value, datetime):
        return value.astimezone(VN_TZ).isoformat()
    return value.isoformat() if value is not None else None


def task_view(task: Task, assignees: list[str]) -> dict:
    return {
        "id": task.id, "kind": task.kind, "title": task.title, "subject_person_id": task.subject_person_id,
        "unit_id": task.unit_id, "assignee": ", ".join(assignees) or None, "assignees": assignees,
        "actor_role": task.actor_role, "due_on": iso(task.due_on), "due_at": iso(task.due_at),
        "legal_basis": task.legal_basis, "rule": task.rule, "status": task.status,
        "escalation_level": task.escalation_level, "workflow_id": task.workflow_id,
        "outcome": task.outcome, "completed_at": iso(task.completed_at),
    }


def task_detail(task: Task, assignees: list[str]) -> dict:
    kind = steps.get(task.kind)
    return {
        **task_view(task, assignees),
        "outcomes": list(kind.outcomes),
        "data": kind.needs(),
        "profile": task.profile, "profile_version": task.profile_version,
        "started_on": iso(task.started_on), "comment": task.comment,
        "reminded_at": iso(task.reminded_at), "escalated_head_at": iso(task.escalated_head_at),
        "escalated_sonoivu_at": iso(task.escalated_sonoivu_at),
    }


def unit_view(unit: Unit) -> dict:
    return {"id": unit.id, "code": unit.code, "name": unit.name, "parent_id": unit.parent_id, "kind": unit.kind}


def person_view(person: Person) -> dict:
    return {
        "id": person.id, "full_name": person.full_name, "sex": person.sex,
        "date_of_birth": iso(person.date_of_birth), "citizen_id": person.citizen_id, "unit_id": person.unit_id,
        "kind": person.kind, "hired_on": iso(person.hired_on), "status": person.status,
        "profile": person.profile, "profile_version": person.profile_version,
        "workflow_id": f"onboarding/{person.id}",
    }


def step_view(step: TimelineStep) -> dict:
    return {
        "task_id": step.task_id, "kind": step.kind, "task": step.title, "workflow_id": step.workflow_id,
        "started_on": iso(step.started_on), "due_on": iso(step.due_on), "due_at": iso(step.due_at),
        "done_at": iso(step.done_at), "status": step.status, "on_time": step.on_time, "actor": step.actor,
        "legal_basis": step.legal_basis, "escalation_level": step.escalation_level, "outcome": step.outcome,
        "comment": step.comment,
    }

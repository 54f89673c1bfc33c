"""Records and service results as the views of the HTTP contract (api/schemas.py)."""
from collections.abc import Sequence

from api.schemas import (Activation, ApprovalItemView, ApprovalView, AttachmentView, CompletedTask, Me,
                         MonthApproval, PersonRecord, PersonView, RevisionSummary, RevisionView, StepView, TaskDetail,
                         TaskView, UserView)
from models import Approval, Attachment, Person, ProfileRevision, Task, User
from services import permissions, steps
from services.people import TimelineStep
from services.scope import Viewer


def me_view(viewer: Viewer) -> Me:
    return Me(username=viewer.username, full_name=viewer.full_name, roles=sorted(viewer.roles),
              unit_id=viewer.unit_id, person_id=viewer.person_id)


def user_view(user: User, roles: list[str]) -> UserView:
    return UserView(username=user.username, full_name=user.full_name, roles=roles, unit_id=user.unit_id)


def task_view(task: Task, assignees: list[str]) -> TaskView:
    return TaskView(
        id=task.id, kind=task.kind, title=task.title, subject_person_id=task.subject_person_id,
        unit_id=task.unit_id, assignee=", ".join(assignees) or None, assignees=assignees,
        actor_role=task.actor_role, due_on=task.due_on, due_at=task.due_at, legal_basis=task.legal_basis,
        rule=task.rule, status=task.status, escalation_level=task.escalation_level, workflow_id=task.workflow_id,
        outcome=task.outcome, completed_at=task.completed_at)


def task_detail(task: Task, assignees: list[str]) -> TaskDetail:
    kind = steps.get(task.kind)
    return TaskDetail(
        **dict(task_view(task, assignees)), outcomes=list(kind.outcomes), data=kind.needs(),
        profile=task.profile, profile_version=task.profile_version, started_on=task.started_on,
        comment=task.comment, reminded_at=task.reminded_at, escalated_head_at=task.escalated_head_at,
        escalated_sonoivu_at=task.escalated_sonoivu_at)


def completed_view(task: Task, assignees: list[str], activation: Activation | None) -> CompletedTask:
    return CompletedTask(**dict(task_detail(task, assignees)), activation=activation)


def person_view(person: Person) -> PersonView:
    return PersonView(
        id=person.id, full_name=person.full_name, sex=person.sex, date_of_birth=person.date_of_birth,
        citizen_id=person.citizen_id, unit_id=person.unit_id, kind=person.kind, hired_on=person.hired_on,
        status=person.status, profile=person.profile, profile_version=person.profile_version,
        workflow_id=f"onboarding/{person.id}")


def person_record(viewer: Viewer, person: Person, cv: ProfileRevision | None,
                  working: ProfileRevision | None) -> PersonRecord:
    """The sensitive CV items masked for a viewer who need not see them (permissions.sees_sensitive)."""
    return PersonRecord(**dict(person_view(person)), cv=_summary(viewer, person, cv),
                        working=_summary(viewer, person, working))


def _summary(viewer: Viewer, person: Person, revision: ProfileRevision | None) -> RevisionSummary | None:
    if revision is None:
        return None
    return RevisionSummary(id=revision.id, number=revision.number, status=revision.status, kind=revision.kind,
                           data=permissions.shown_cv(viewer, person, revision.data),
                           review_comment=revision.review_comment)


def step_view(step: TimelineStep) -> StepView:
    return StepView(
        task_id=step.task_id, kind=step.kind, task=step.title, workflow_id=step.workflow_id,
        started_on=step.started_on, due_on=step.due_on, due_at=step.due_at, done_at=step.done_at,
        status=step.status, on_time=step.on_time, actor=step.actor, legal_basis=step.legal_basis,
        escalation_level=step.escalation_level, outcome=step.outcome, comment=step.comment)


def revision_view(revision: ProfileRevision, files: Sequence[Attachment] = (), *, data: dict) -> RevisionView:
    """`data`: the CV as the viewer may see it (services.revisions.shown_data / permissions.shown_cv)."""
    return RevisionView(
        id=revision.id, person_id=revision.person_id, number=revision.number, kind=revision.kind,
        status=revision.status, change_date=revision.change_date, change_reason=revision.change_reason,
        decision_no=revision.decision_no, workflow_id=revision.workflow_id, data=data,
        review_comment=revision.review_comment, submitted_at=revision.submitted_at,
        approved_at=revision.approved_at, attachments=[AttachmentView.model_validate(f) for f in files])


def approval_view(approval: Approval, items: list[dict]) -> ApprovalView:
    return ApprovalView(
        id=approval.id, unit_id=approval.unit_id, month=approval.month, status=approval.status,
        opens_on=approval.opens_on, due_on=approval.due_on, due_at=approval.due_at,
        legal_basis=approval.legal_basis, late=approval.late, signed_at=approval.signed_at,
        signed_as=approval.signed_as, revisions=[ApprovalItemView(**item) for item in items],
        workflow_id=approval.workflow_id, signed_pdf_sha256=approval.signed_pdf_sha256,
        signed_pdf_url=f"/api/approvals/{approval.id}/signed.pdf" if approval.signed_pdf else None)


def no_approval(unit_id: int, month: str) -> MonthApproval:
    return MonthApproval(unit_id=unit_id, month=month, status="none", due_at=None, revisions=[],
                         signed_pdf_url=None, late=False)

"""One task: its deadline and legal basis, and the form of its kind for whoever may complete it."""
from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from api.deps import CurrentUser, SessionDep, TemporalDep
from models import Person, ProfileRevision, TaskCandidate, User
from models.approvals import APPROVAL_STATUSES
from models.people import REVISION_STATUSES
from models.tasks import TASK_KINDS
from services import approvals, cv, delegations, people, task_actions, tasks
from services.errors import DomainError
from services.tasks import OUTCOMES
from ui.routes.records import revision_facts
from ui.views import REVISION_KINDS, deadline_state, escalation_label, suggest_username, unit_names
from ui.web import check_csrf, flash, redirect, render, vn_today

router = APIRouter(include_in_schema=False)


async def task_page(request, session, viewer, task_id: int, *, status_code: int = 200, error: str | None = None,
                    errors: dict | None = None, form: dict | None = None):
    task = await tasks.readable_task(session, viewer, task_id)
    person = await session.get(Person, task.subject_person_id) if task.subject_person_id else None
    candidates = (await session.execute(
        select(User.username, User.full_name, TaskCandidate.reason, TaskCandidate.can_complete)
        .join(User, User.id == TaskCandidate.user_id).where(TaskCandidate.task_id == task.id)
        .order_by(TaskCandidate.can_complete.desc(), User.username))).all()
    completed_by = await session.get(User, task.completed_by_id) if task.completed_by_id else None
    revision = await people.working_revision(session, person.id) if person else None
    form = form or {}
    if task.kind == "create_account" and person and "username" not in form:
        form["username"] = suggest_username(person.full_name)
    extra = {}
    if task.kind in ("update_entry", "review_update") and person and revision:
        extra = await revision_facts(session, person, revision)
    elif task.kind == "sign_approval":
        extra = await batch_context(session, viewer, task)
    return await render(
        request, "tasks/detail.html", status_code=status_code, viewer=viewer, task=task, person=person,
        unit=(await unit_names(session)).get(task.unit_id, ""), kind_label=TASK_KINDS.get(task.kind, task.kind),
        outcome_label=OUTCOMES.get(task.kind, {}).get(task.outcome or "", task.outcome),
        state=deadline_state(task), escalation=escalation_label(task), candidates=candidates,
        completed_by=completed_by, can_complete=await tasks.can_complete(session, viewer, task),
        revision=revision, revision_status=REVISION_STATUSES.get(revision.status, "") if revision else "",
        fields=cv.FIELDS, sexes=cv.SEX, error=error, errors=errors or {}, form=form,
        revision_kinds=REVISION_KINDS, **extra)


async def batch_context(session, viewer, task) -> dict:
    """The head's batch: the approval, its revisions (short diff, attachments' hashes), who may sign."""
    approval = await approvals.approval_of_task(session, task)
    ids = ([item.revision_id for item in await approvals.pending_items(session, approval.id)]
           if task.status == "open" else [row["revision_id"] for row in await approvals.items_view(session, approval.id)])
    decided = {row["revision_id"]: row for row in await approvals.items_view(session, approval.id)}
    batch = []
    for revision_id in ids:
        revision = await session.get(ProfileRevision, revision_id)
        person = await session.get(Person, revision.person_id)
        batch.append({"revision": revision, "person": person, "item": decided.get(revision_id),
                      **await revision_facts(session, person, revision)})
    capacity, capacity_error = None, None
    if task.status == "open":
        try:
            capacity = await delegations.signing_capacity(session, approval.unit_id, viewer.user_id, vn_today())
        except DomainError as err:
            capacity_error = err.message
    signer = await session.get(User, approval.signed_by_id) if approval.signed_by_id else None
    return {"approval": approval, "batch": batch, "capacity": capacity, "capacity_error": capacity_error,
            "approval_unit": (await unit_names(session)).get(approval.unit_id, ""), "signer": signer,
            "approval_status": APPROVAL_STATUSES.get(approval.status, approval.status)}


@router.get("/tasks/{task_id}")
async def show_task(task_id: int, request: Request, viewer: CurrentUser, session: SessionDep):
    return await task_page(request, session, viewer, task_id)


@router.post("/tasks/{task_id}/complete", dependencies=[Depends(check_csrf)])
async def complete_task(task_id: int, request: Request, viewer: CurrentUser, session: SessionDep,
                        client: TemporalDep):
    form = await request.form()
    outcome = str(form.get("outcome") or "")
    username, comment = str(form.get("username") or ""), str(form.get("comment") or "")
    data: dict = {"username": username} if username else {}
    if comment:
        data["comment"] = comment
    kept: dict = {"username": username, "comment": comment}
    if outcome == "sign":  # the batch: checked revisions are approved, the others returned with a reason
        items = [str(v) for v in form.getlist("item")]
        approved = {str(v) for v in form.getlist("approve")}
        reasons = {rid: str(form.get(f"reason_{rid}") or "").strip() for rid in items}
        data = {"decisions": {rid: "approve" if rid in approved else "return" for rid in items},
                "reasons": {rid: text for rid, text in reasons.items() if rid not in approved and text}}
        kept.update(approve=approved, reasons=reasons)
    try:
        done = await task_actions.complete(client, session, viewer, task_id, outcome, data)
    except DomainError as err:
        await session.rollback()
        return await task_page(request, session, viewer, task_id, status_code=err.status, error=err.message,
                               errors=err.extra.get("errors") or {}, form=kept)
    if done.activation_code:
        # Shown once, on this response only: never stored, never put in a redirect or a flash.
        task = await tasks.readable_task(session, viewer, task_id)
        person = await session.get(Person, task.subject_person_id)
        page = await render(request, "tasks/activation.html", viewer=viewer, task=task, person=person,
                            username=done.result.result.get("username"), code=done.activation_code)
        page.headers["Cache-Control"] = "no-store"
        return page
    label = next((labels[outcome] for labels in OUTCOMES.values() if outcome in labels), outcome)
    if outcome == "sign":
        decisions = done.result.result.get("decisions", [])
        approved_count = sum(1 for d in decisions if d["decision"] == "approved")
        label += f" ({approved_count} hồ sơ phê duyệt, {len(decisions) - approved_count} hồ sơ trả lại)"
    flash(request, f"Đã hoàn thành nhiệm vụ: {label}.")
    return redirect(f"/tasks/{task_id}")

"""The inbox projection of human tasks: opened, completed, reminded and escalated by activities."""
import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (BigInteger, DateTime, Integer, String, and_, bindparam, exists, func, literal_column, select,
                        true)
from sqlalchemy.dialects.postgresql import aggregate_order_by, array, insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Person, SignedDocument, Task, TaskCandidate, User
from models.tasks import ESCALATION_LEVELS
from rules.clock import local_date
from services import actors, audit, notify, steps
from services.actors import actor_user_ids, candidate_ids
from services.errors import Conflict, Forbidden, Invalid, NotFound
from services.scope import (VIEWER_ID, Viewer, candidate_task_ids, task_reach, task_scope_params, tasks_query,
                            visible_task_ids)
from services.signing import ToSign
from workflows.contracts import CompleteTaskInput, OpenedTask, OpenTaskInput, Signed, TaskResult

DUE_SOON_DAYS = 3


# ---- opening ---------------------------------------------------------------------------------

# Statements run several times per onboarding are built once, their values bound at execute: building a select and
# its cache key costs about as much Python time as sending it (bench/README.md).
_STEP_TASK = select(Task).where(Task.workflow_id == bindparam("workflow_id"), Task.step_key == bindparam("step_key"))


async def open_task(inp: OpenTaskInput, *, session: AsyncSession, now: datetime) -> OpenedTask:
    """Create the task row and its candidates once per (workflow, step)."""
    existing = (await session.execute(_STEP_TASK, {"workflow_id": inp.workflow_id,
                                                   "step_key": inp.step_key})).scalars().first()
    if existing is None:
        existing, candidates = await _insert_task(inp, now, session=session)
    else:
        candidates = await candidate_ids(existing.id, session=session)
    return OpenedTask(existing.id, sorted(candidates), list(steps.get(existing.kind).outcomes))


async def _insert_task(inp: OpenTaskInput, now: datetime, *, session: AsyncSession) -> tuple[Task, set[int]]:
    """The task and its candidates (all may complete it: watchers come with escalations)."""
    person = await session.get(Person, inp.person_id) if inp.person_id else None
    kind, sched = steps.get(inp.kind), inp.schedule
    task = Task(
        workflow_id=inp.workflow_id, step_key=inp.step_key, kind=inp.kind,
        title=await kind.titled(session, kind.title, inp, person),
        subject_person_id=inp.person_id, unit_id=inp.unit_id, actor_role=sched.actor_role,
        rule=sched.rule, profile=inp.profile, profile_version=inp.profile_version,
        started_on=date.fromisoformat(inp.started_on),
        due_on=date.fromisoformat(sched.due_on) if sched.due_on else None,
        due_at=datetime.fromisoformat(sched.due_at) if sched.due_at else None,
        legal_basis=sched.legal_basis, created_at=now,
    )
    session.add(task)
    await session.flush()
    users = await actor_user_ids(sched.actor_role, inp.unit_id, inp.person_id, session=session)
    if sched.actor_role != "person":
        users = await actors.others(users, inp.unit_id, inp.person_id, session=session)
    if kind.dynamic_actors is not None:
        users.update(await kind.dynamic_actors.extra(session, inp.unit_id, local_date(now)))
    if users:  # Core rather than ORM objects: the rows are never read back in this session
        await session.execute(insert(TaskCandidate), [dict(task_id=task.id, user_id=user_id, reason=reason,
                                                           can_complete=True) for user_id, reason in users.items()])
    due = f" Hạn: {task.due_on:%d/%m/%Y} ({task.legal_basis})." if task.due_on else ""
    await notify.notify(user_ids=set(users), key=f"task{task.id}/open", kind="task",
                        subject=f"Nhiệm vụ mới: {task.title}", body=f"Bạn có nhiệm vụ mới: {task.title}.{due}",
                        task_id=task.id, session=session)
    await audit.record(actor="system", action="task.opened", subject=f"task:{task.id}",
                       workflow_id=task.workflow_id, step=task.step_key, due_on=sched.due_on, session=session)
    return task, set(users)


# ---- completing ------------------------------------------------------------------------------

async def complete_task(settings: Settings, inp: CompleteTaskInput,
                        *, session: AsyncSession, now: datetime) -> TaskResult:
    """Apply a completion and its effect in one transaction; a retry returns the same result."""
    task, actor, is_candidate = await _task_and_actor(inp, lock=True, session=session)
    if _done_by(task, inp):
        return _result(task)
    kind = _check_completion(task, inp, is_candidate)
    result = await kind.effect(session, settings, task, inp, now)
    return await _done(task, actor, inp, result, now, session=session)


async def sign_and_complete(settings: Settings, inp: CompleteTaskInput, signing: "Signing",
                            *, session: AsyncSession, now: datetime) -> Signed:
    """Sign and apply in the transaction `signing` was read in (`signing.together`): the effect's statements run
    while the document is signed (the kind's `effect_signing`), then the signature is kept and the task done."""
    task, document = signing.task, signing.document
    pdf, result = await signing.kind.effect_signing(session, settings, task, inp, document, now)
    signature_id = await store_signature(inp, document, pdf, session=session)
    return Signed(signature_id, await _done(task, signing.actor, inp, result, now, session=session))


def _done_by(task: Task | None, inp: CompleteTaskInput) -> bool:
    """The task is already done by this very completion (a retried or overlapping attempt)."""
    return (task is not None and task.status == "done"
            and (task.outcome, task.completed_by_id) == (inp.outcome, inp.actor_user_id))


async def _done(task: Task, actor: str | None, inp: CompleteTaskInput, result: dict[str, Any], now: datetime, *,
                session: AsyncSession) -> TaskResult:
    task.status, task.outcome = "done", inp.outcome
    task.completed_by_id, task.completed_at = inp.actor_user_id, now
    task.comment = inp.data.get("comment") or None
    task.result = result
    await audit.record(actor=actor, action="task.completed", subject=f"task:{task.id}",
                       outcome=inp.outcome, late=_late(task), session=session)
    return _result(task)


_ACTOR = bindparam("actor_id", type_=Integer)
_TASK_AND_ACTOR = select(Task, select(User.username).where(User.id == _ACTOR).scalar_subquery(),
                         exists().where(TaskCandidate.task_id == Task.id, TaskCandidate.user_id == _ACTOR,
                                        TaskCandidate.can_complete)).where(Task.id == bindparam("task_id"))
_LOCKED_TASK_AND_ACTOR = _TASK_AND_ACTOR.with_for_update(of=Task)


async def _task_and_actor(inp: CompleteTaskInput, *, lock: bool,
                          session: AsyncSession) -> tuple[Task | None, str | None, bool]:
    """The task, the actor's username (for the audit event) and whether the actor may complete it, in one query."""
    found = (await session.execute(_LOCKED_TASK_AND_ACTOR if lock else _TASK_AND_ACTOR,
                                   {"task_id": inp.task_id, "actor_id": inp.actor_user_id})).first()
    return (found[0], found[1], found[2]) if found is not None else (None, None, False)


def _check_completion(task: Task | None, inp: CompleteTaskInput, is_candidate: bool) -> steps.StepKind:
    if task is None:
        raise NotFound("Không tìm thấy nhiệm vụ.", "task_not_found")
    if task.status == "done":
        raise Conflict("Nhiệm vụ này đã được hoàn thành.", "task_not_open")
    kind = steps.get(task.kind)
    # dynamic actors (delegations) are checked by the effect against the day of completion
    if kind.dynamic_actors is None and not is_candidate:
        raise Forbidden("Bạn không được giao nhiệm vụ này.", "not_your_task")
    if inp.outcome not in kind.outcomes:
        raise Invalid("Kết quả không hợp lệ cho nhiệm vụ này.", "bad_outcome")
    return kind


async def document_to_sign(settings: Settings, inp: CompleteTaskInput, *,
                           session: AsyncSession, now: datetime) -> ToSign:
    """What the completion's signer signs, read without locking the task."""
    task, _, is_candidate = await _task_and_actor(inp, lock=False, session=session)
    kind = _check_completion(task, inp, is_candidate)
    return await _document(settings, kind, task, inp, session=session, now=now)


@dataclass
class Signing:
    """A completion's signature to make: the locked task, its kind, the document, and whether to sign in this
    same transaction and apply the effect with it (`sign_and_complete`: the kind can, and the key is held in
    this process) or to sign with no transaction open (a token, a remote signing service) and apply later."""
    task: Task
    actor: str | None
    kind: steps.StepKind
    document: ToSign
    together: bool


async def signing(settings: Settings, inp: CompleteTaskInput, *, session: AsyncSession,
                  now: datetime) -> Signing | Signed:
    """The signature to make, or, when this very completion is already applied with its signature (a retried
    attempt of the signing activity, or one that overlapped the attempt that committed), what that attempt
    returned."""
    task, actor, is_candidate = await _task_and_actor(inp, lock=True, session=session)
    if _done_by(task, inp):
        signature_id = (await session.execute(select(func.max(SignedDocument.id)).where(
            SignedDocument.task_id == task.id, SignedDocument.signer_id == inp.actor_user_id))).scalar()
        if signature_id is not None:
            return Signed(signature_id, _result(task))
    kind = _check_completion(task, inp, is_candidate)
    document = await _document(settings, kind, task, inp, session=session, now=now)
    return Signing(task, actor, kind, document, kind.effect_signing is not None and document.in_process)


async def _document(settings: Settings, kind: steps.StepKind, task: Task, inp: CompleteTaskInput, *,
                    session: AsyncSession, now: datetime) -> ToSign:
    if kind.document is None:
        raise Invalid("Nhiệm vụ này không cần ký số.", "nothing_to_sign")
    return await kind.document(session, settings, task, inp, now)


async def preview_document(settings: Settings, viewer: Viewer, task_id: int, outcome: str, data: dict[str, Any],
                           *, session: AsyncSession, now: datetime) -> bytes:
    """The PDF this viewer would sign with these choices. The monthly batch keeps it for the signature
    (prepared_documents), so what the head previews are the very bytes she signs while the batch stays as it is."""
    task = await readable_task(viewer, task_id, session=session)
    prepared = await steps.get(task.kind).prepare(session, task, outcome, dict(data or {}))
    inp = CompleteTaskInput(task_id=task.id, outcome=outcome, actor_user_id=viewer.user_id, data=prepared.data)
    return (await document_to_sign(settings, inp, session=session, now=now)).pdf


async def store_signature(inp: CompleteTaskInput, to_sign: ToSign, pdf: bytes, *, session: AsyncSession) -> int:
    signed = SignedDocument(task_id=inp.task_id, signer_id=inp.actor_user_id, signed_as=to_sign.signed_as,
                            covers=to_sign.covers, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest())
    session.add(signed)
    await session.flush()
    return signed.id


def _late(task: Task) -> bool:
    return bool(task.due_at and task.completed_at and task.completed_at > task.due_at)


def _result(task: Task) -> TaskResult:
    return TaskResult(task.id, task.outcome, task.completed_at.isoformat(), _late(task), dict(task.result))


# ---- milestones ------------------------------------------------------------------------------

async def milestone(task_id: int, name: str, *, session: AsyncSession, now: datetime) -> bool:
    """Record a reminder or an escalation and notify who must hear of it; False if already done."""
    task = await session.get(Task, task_id)
    if task is None or task.status != "open":
        return False
    stamp = {"remind": "reminded_at", "escalate_head": "escalated_head_at",
             "escalate_sonoivu": "escalated_sonoivu_at"}[name]
    if getattr(task, stamp) is not None:
        return False
    setattr(task, stamp, now)
    candidates = await candidate_ids(task.id, session=session)
    due = f"{task.due_on:%d/%m/%Y}" if task.due_on else ""
    if name == "remind":
        await notify.notify(user_ids=candidates, key=f"task{task.id}/remind", kind="reminder",
                            subject=f"Sắp đến hạn: {task.title}",
                            body=f"Nhiệm vụ «{task.title}» đến hạn ngày {due} ({task.legal_basis}).",
                            task_id=task.id, session=session)
    else:
        hook = steps.get(task.kind).on_milestone.get(name)
        if hook is not None:
            await hook(session, task)
        level, role = (1, "unit_head") if name == "escalate_head" else (2, "sonoivu_admin")
        task.escalation_level = max(task.escalation_level, level)
        watchers = await actor_user_ids(role, task.unit_id, None, session=session)
        added = [dict(task_id=task.id, user_id=user_id, can_complete=False, reason=ESCALATION_LEVELS[level])
                 for user_id in sorted(set(watchers) - candidates)]
        if added:
            await session.execute(insert(TaskCandidate).values(added).on_conflict_do_nothing())
        await notify.notify(user_ids=set(watchers) | candidates, key=f"task{task.id}/{name}",
                            kind="escalation", subject=f"Quá hạn: {task.title}",
                            body=(f"Nhiệm vụ «{task.title}» đã quá hạn ngày {due} ({task.legal_basis}). "
                                  f"{ESCALATION_LEVELS[level]}."), task_id=task.id, session=session)
    await audit.record(actor="system", action=f"task.{name}", subject=f"task:{task.id}", session=session)
    return True


# ---- reading ---------------------------------------------------------------------------------

PAGE_SIZE = 50  # tasks per inbox page unless the caller asks for another size
MAX_PAGE_SIZE = 200
# What an inbox row holds (GET /api/tasks, the inbox page): not the task's comment, result or times of milestones.
INBOX_COLUMNS = (Task.id, Task.kind, Task.title, Task.subject_person_id, Task.unit_id, Task.actor_role, Task.due_on,
                 Task.due_at, Task.legal_basis, Task.rule, Task.status, Task.escalation_level, Task.workflow_id,
                 Task.outcome, Task.completed_at)


@dataclass(frozen=True)
class InboxPage:
    """One page of an inbox, by due date: `rows` hold INBOX_COLUMNS and `assignees` (the usernames of those who
    may complete the task, sorted); `total` counts the tasks of every page."""
    rows: list
    total: int
    limit: int
    offset: int


NOW, SOON = bindparam("now", type_=DateTime(timezone=True)), bindparam("soon", type_=DateTime(timezone=True))


def _filters(status: str, overdue: bool, due_soon: bool) -> list:
    statuses = {status} & {"open", "done"} | ({"open"} if overdue or due_soon else set())
    # the status inline, not a parameter: a prepared statement's generic plan can then use the partial index
    conditions = [Task.status == literal_column(f"'{wanted}'") for wanted in sorted(statuses)]
    if overdue:
        conditions.append(Task.due_at < NOW)
    if due_soon:
        conditions += [Task.due_at >= NOW, Task.due_at < SOON]
    return conditions


def _scoped_ids(reach: str, conditions: list):
    return candidate_task_ids(*conditions) if reach == "mine" else visible_task_ids(reach, *conditions)


@cache
def _inbox_statement(reach: str, status: str, overdue: bool, due_soon: bool):
    """The page and the total in one statement, built once per shape: the total's one row is joined to the
    page, so an offset past the end still answers with the total (and a row of nulls)."""
    visible = _scoped_ids(reach, _filters(status, overdue, due_soon)).cte("visible")
    page_ids = (select(visible.c.id).order_by(visible.c.due_at.asc().nulls_last(), visible.c.id)
                .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=BigInteger))
                .subquery("page_ids"))
    assignees = (select(func.coalesce(func.array_agg(aggregate_order_by(User.username, User.username)),
                                      array([], type_=String)))
                 .join_from(TaskCandidate, User, User.id == TaskCandidate.user_id)
                 .where(TaskCandidate.task_id == Task.id, TaskCandidate.can_complete).scalar_subquery())
    page = (select(*INBOX_COLUMNS, assignees.label("assignees")).join(page_ids, page_ids.c.id == Task.id)
            .subquery("page"))
    total = select(func.count().label("total")).select_from(visible).subquery("total")
    return (select(total.c.total, *page.c).select_from(total).outerjoin(page, true())
            .order_by(page.c.due_at.asc().nulls_last(), page.c.id))


def _params(viewer: Viewer, now: datetime | None) -> dict:
    now = now or datetime.now(UTC)
    return {**task_scope_params(viewer), "now": now, "soon": now + timedelta(days=DUE_SOON_DAYS)}


async def inbox(viewer: Viewer, *, session: AsyncSession, scope: str = "mine", status: str = "open",
                overdue: bool = False, due_soon: bool = False, limit: int = PAGE_SIZE, offset: int = 0,
                now: datetime | None = None) -> InboxPage:
    """The viewer's tasks ("mine": those they are candidate for or watch; "unit": all they may read), by due
    date (none last), then id."""
    reach = "mine" if scope == "mine" else task_reach(viewer)
    statement = _inbox_statement(reach, status, overdue, due_soon)
    result = (await session.execute(statement, {**_params(viewer, now), "limit": limit, "offset": offset})).all()
    return InboxPage([row for row in result if row.id is not None], result[0].total, limit, offset)


async def readable_task(viewer: Viewer, task_id: int, *, session: AsyncSession) -> Task:
    return (await readable_task_and_candidacy(viewer, task_id, session=session))[0]


@cache
def _readable_task_statement(reach: str):
    """The task if the viewer may read it, and whether they may complete it: built once per reach."""
    candidate = exists().where(TaskCandidate.task_id == Task.id, TaskCandidate.user_id == VIEWER_ID,
                               TaskCandidate.can_complete)
    return tasks_query(reach, Task.id == bindparam("task_id", type_=Integer)).add_columns(candidate)


async def readable_task_and_candidacy(viewer: Viewer, task_id: int, *, session: AsyncSession) -> tuple[Task, bool]:
    """The task and whether the viewer may complete it (can_complete), in one statement."""
    found = (await session.execute(_readable_task_statement(task_reach(viewer)),
                                   {**task_scope_params(viewer), "task_id": task_id})).first()
    if found is None:
        raise NotFound("Không tìm thấy nhiệm vụ hoặc nhiệm vụ nằm ngoài phạm vi của bạn.", "task_not_found")
    return found[0], found[0].status == "open" and found[1]


async def assignee_names(task_ids: list[int], *, session: AsyncSession) -> dict[int, list[str]]:
    rows = await session.execute(
        select(TaskCandidate.task_id, User.username).join(User, User.id == TaskCandidate.user_id)
        .where(and_(TaskCandidate.task_id.in_(task_ids or [-1]), TaskCandidate.can_complete))
        .order_by(User.username))
    names: dict[int, list[str]] = {}
    for task_id, username in rows:
        names.setdefault(task_id, []).append(username)
    return names


async def candidates_view(task_id: int, *, session: AsyncSession) -> list[tuple[str, str, str, bool]]:
    """(username, full name, reason, may complete) of everyone on the task, actors first."""
    rows = await session.execute(
        select(User.username, User.full_name, TaskCandidate.reason, TaskCandidate.can_complete)
        .join(User, User.id == TaskCandidate.user_id).where(TaskCandidate.task_id == task_id)
        .order_by(TaskCandidate.can_complete.desc(), User.username))
    return [tuple(row) for row in rows.all()]


async def open_task_for(viewer: Viewer, person_id: int, kind: str, *, session: AsyncSession) -> Task | None:
    """The open task of this kind about this person that this viewer may complete."""
    query = (select(Task).join(TaskCandidate, TaskCandidate.task_id == Task.id)
             .where(Task.subject_person_id == person_id, Task.kind == kind, Task.status == "open",
                    TaskCandidate.user_id == viewer.user_id, TaskCandidate.can_complete)
             .order_by(Task.id.desc()))
    return (await session.execute(query)).scalars().first()

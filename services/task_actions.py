"""Completing a task from the API or a page: checks, then the workflow's Update, then the fresh row.

The workflow's Update validator is the last word (stale, duplicate, unauthorised); the checks
here only give the early, clear answer for the common cases.
"""
import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from models import Task
from rules.clock import local_date
from services import steps
from services.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from services.scope import Viewer
from services.tasks import readable_task_and_candidacy
from workflows.contracts import CompleteTaskInput, TaskResult


OPENING_RETRIES = 20
OPENING_PAUSE = 0.1  # seconds


@dataclass
class Completion:
    task_id: int
    result: TaskResult
    activation_code: str | None = None  # shown once to HR, never stored or logged in clear


async def complete(client: Client, session: AsyncSession, viewer: Viewer, task_id: int, outcome: str,
                   data: dict[str, Any] | None = None) -> Completion:
    task, is_candidate = await readable_task_and_candidacy(viewer, task_id, session=session)
    if task.status != "open":
        raise Conflict("Nhiệm vụ này không còn mở.", "task_not_open")
    kind = steps.get(task.kind)
    if kind.dynamic_actors is not None:  # e.g. the head, or a deputy whose delegation is valid today
        await kind.dynamic_actors.check(session, task.unit_id, viewer.user_id, local_date(datetime.now(UTC)))
    elif not is_candidate:
        raise Forbidden("Bạn không được giao nhiệm vụ này.", "not_your_task")
    if outcome not in kind.outcomes:
        raise Invalid(f"Kết quả không hợp lệ; chọn một trong: {', '.join(kind.outcomes)}.", "bad_outcome")
    prepared = await kind.prepare(session, task, outcome, dict(data or {}))
    workflow_id = task.workflow_id
    await session.rollback()  # end the read transaction: the activity writes in its own
    update = CompleteTaskInput(task_id=task_id, outcome=outcome, actor_user_id=viewer.user_id, data=prepared.data)
    handle = client.get_workflow_handle(workflow_id)
    for attempt in range(OPENING_RETRIES + 1):
        try:
            result = await handle.execute_update("complete_task", update, result_type=TaskResult)
            return Completion(task_id, result, prepared.shown_once)
        except WorkflowUpdateFailedError as err:
            refusal = _refusal(err)
            # The task row is committed a moment before the workflow records the task as open. The workflow
            # accepts such a completion and waits for the open (HumanTasks.validate and .opened); a worker of an earlier
            # version, during a rolling deploy, refuses it instead.
            if refusal.code != "task_not_open" or attempt == OPENING_RETRIES or not await _still_open(task_id, session=session):
                raise refusal from err
        except RPCError as err:
            raise Conflict("Quy trình của nhiệm vụ này đã kết thúc hoặc không phản hồi.", "workflow_unavailable") from err
        await asyncio.sleep(OPENING_PAUSE)
    raise AssertionError("unreachable")


async def _still_open(task_id: int, *, session: AsyncSession) -> bool:
    status = (await session.execute(select(Task.status).where(Task.id == task_id))).scalar_one_or_none()
    await session.rollback()
    return status == "open"


def _refusal(err: WorkflowUpdateFailedError) -> DomainError:
    cause = err.cause
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.cause
    if cause is None:
        return Conflict("Không hoàn thành được nhiệm vụ.", "update_failed")
    details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
    if details.get("code"):
        kind = {403: Forbidden, 404: NotFound, 409: Conflict, 422: Invalid}.get(details.get("status"), DomainError)
        extra = {k: v for k, v in details.items() if k not in ("code", "status")}
        return kind(cause.message, details["code"], status=details.get("status", 400), **extra)
    message = cause.message
    if "không được giao" in message:
        return Forbidden(message, "not_your_task")
    if "Kết quả không hợp lệ" in message:
        return Invalid(message, "bad_outcome")
    return Conflict(message, "task_not_open")

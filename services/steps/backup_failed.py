"""Sở Nội vụ's administrator deals with a backup that failed or did not verify, and says what was done
(Sở Nội vụ keeps the backups: Nghệ An Đ16.3, Hải Phòng Đ8.1; monthly, three months kept: Quảng Ngãi Đ10.2,
Kon Tum Đ12.1). The task belongs to workflow `backup-failed/{entry_id}`; the resolution is written into the
backup's manifest entry too, so the backups page shows it."""
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Person, Task, User
from services import backups
from services.errors import Invalid
from services.steps.base import Outcome, Prepared, StepKind, comment_only
from workflows.contracts import CompleteTaskInput, OpenTaskInput


async def prepare(session: AsyncSession, task: Task, outcome: str, data: dict) -> Prepared:
    prepared = await comment_only(session, task, outcome, data)
    if not prepared.data["comment"]:
        raise Invalid("Ghi rõ đã xử lý thế nào (nguyên nhân, việc đã làm, đã sao lưu lại chưa).", "missing_comment")
    return prepared


async def effect(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                 now: datetime) -> dict[str, Any]:
    comment = str(inp.data.get("comment") or "").strip()
    if not comment:
        raise Invalid("Ghi rõ đã xử lý thế nào.", "missing_comment")
    actor = await session.get(User, inp.actor_user_id)
    entry_id = backups.entry_id_of(task.workflow_id)
    backups.mark_resolved(settings.backup_path, entry_id, by=actor.username if actor else str(inp.actor_user_id),
                          comment=comment, now=now)
    return {"backup": entry_id}


async def title(session: AsyncSession, label: str, inp: OpenTaskInput, person: Person | None) -> str:
    return f"{label} ngày {date.fromisoformat(inp.started_on):%d/%m/%Y}"


async def page_context(session: AsyncSession, viewer, task: Task, person: Person | None) -> dict:
    return {"backup_id": backups.entry_id_of(task.workflow_id)}


KIND = StepKind(
    name="backup_failed",
    title="Xử lý sao lưu dữ liệu không thành công",
    outcomes={"resolved": Outcome("Đã xử lý", {"comment": "Đã xử lý thế nào"})},
    effect=effect,
    prepare=prepare,
    titled=title,
    page_context=page_context,
    partial="tasks/_backup_failed.html",
    watch_partial="tasks/_backup_failed.html",
)

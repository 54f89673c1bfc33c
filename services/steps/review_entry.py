"""HR checks the person's CV: accepts it for the month's approval or returns it with a reason."""
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Task
from services import revisions
from services.steps.base import Outcome, StepKind, require_comment_on_return
from workflows.contracts import CompleteTaskInput

OUTCOMES = {"accept": Outcome("Chấp nhận, chờ phê duyệt tháng"),
            "return": Outcome("Trả lại để bổ sung", {"comment": "Lý do trả lại"})}


async def effect(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                 now: datetime) -> dict[str, Any]:
    revision = await revisions.review(task, outcome=inp.outcome, actor_user_id=inp.actor_user_id,
                                      comment=str(inp.data.get("comment") or "").strip(), now=now, session=session)
    return {"revision_id": revision.id}


KIND = StepKind(
    name="review_entry",
    title="Kiểm tra sơ yếu lý lịch",
    outcomes=OUTCOMES,
    effect=effect,
    prepare=require_comment_on_return("Ghi rõ lý do trả lại để cá nhân bổ sung."),
    partial="tasks/_review_entry.html",
)

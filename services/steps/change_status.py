"""HR changes the record's status when the person leaves: retirement, resignation, dismissal, death, leaving
the province, moving to the Party bloc (rule `status_change`: Quảng Ngãi Đ9.5, Kon Tum Đ11.3, Nghệ An
Đ10.3, Bình Định II.5.b, Hải Phòng Đ9.5). The `status_change` revision goes to the month's approval; once it
is signed the record goes to the archive and the person's login stops working."""
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Task
from services import moves
from services.steps.base import Outcome, StepKind
from workflows.contracts import CompleteTaskInput


async def effect(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                 now: datetime) -> dict[str, Any]:
    return await moves.status_revision(task, inp.actor_user_id, now, session=session)


KIND = StepKind(
    name="change_status",
    title="Điều chỉnh tình trạng hồ sơ",
    outcomes={"done": Outcome("Đã điều chỉnh tình trạng hồ sơ, chuyển phê duyệt")},
    effect=effect,
    page_context=moves.task_context,
    partial="tasks/_change_status.html",
)

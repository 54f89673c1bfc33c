"""HR moves the record to another department of the same agency once the decision takes effect (rule
`transfer_internal`: Quảng Ngãi Đ9.2, Kon Tum Đ11.1, Nghệ An Đ10.1, Hải Phòng Đ9.2). Completing it is the
move: the record, its login and its placement change unit, and the `transfer` revision goes to the month's
approval of the new unit."""
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
    return await moves.hand_over(task, inp.actor_user_id, now, session=session, by_hr=True)


KIND = StepKind(
    name="move_record",
    title="Điều chuyển hồ sơ đến bộ phận mới",
    outcomes={"done": Outcome("Đã điều chuyển hồ sơ đến bộ phận mới")},
    effect=effect,
    page_context=moves.task_context,
    partial="tasks/_move_record.html",
)

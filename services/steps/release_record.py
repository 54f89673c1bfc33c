"""The sending unit (or the body that manages it, where the profile says so: Kon Tum Đ11.2, Nghệ An Đ10.2)
sends the record to the receiving unit (rule `transfer_send`: Quảng Ngãi Đ9.3, Hải Phòng Đ9.3, Bình Định
II.5.a). Nothing moves yet: the record changes unit when the receiving unit accepts it."""
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
    return await moves.release(task, inp.actor_user_id, now, session=session)


KIND = StepKind(
    name="release_record",
    title="Chuyển hồ sơ đến cơ quan, đơn vị mới",
    outcomes={"release": Outcome("Chuyển hồ sơ đến đơn vị mới")},
    effect=effect,
    page_context=moves.task_context,
    partial="tasks/_release_record.html",
)

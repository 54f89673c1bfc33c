"""The receiving unit accepts the record and gives the person access there (rule `transfer_receive`:
Quảng Ngãi Đ9.3, Hải Phòng Đ9.3, Kon Tum Đ11.2, Nghệ An Đ10.2). Completing it is the handover: the old
unit's HR loses the record, the new unit's HR gets it, and the person's login now belongs to the new unit."""
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
    return await moves.hand_over(task, inp.actor_user_id, now, session=session, by_hr=False)


KIND = StepKind(
    name="receive_record",
    title="Tiếp nhận hồ sơ chuyển đến",
    outcomes={"accept": Outcome("Tiếp nhận hồ sơ, bàn giao tài khoản cho cá nhân")},
    effect=effect,
    page_context=moves.task_context,
    partial="tasks/_receive_record.html",
)

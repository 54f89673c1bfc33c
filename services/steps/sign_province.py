"""The Director of Sở Nội vụ signs the month's sheet of the units' signed batches (Quảng Ngãi Đ6.2)."""
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Task
from services import approvals
from services.steps.base import Outcome, StepKind, month_title
from workflows.contracts import CompleteTaskInput


async def effect(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                 now: datetime) -> dict[str, Any]:
    return await approvals.sign_province(settings, task, inp, now, session=session)


KIND = StepKind(
    name="sign_province",
    title="Ký số phê duyệt cấp tỉnh tháng",
    outcomes={"sign": Outcome("Ký số phê duyệt cấp tỉnh")},
    effect=effect,
    titled=month_title,
    partial="tasks/_sign_province.html",
    document=approvals.province_document,
)

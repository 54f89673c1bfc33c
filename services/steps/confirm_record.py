"""After a transfer the person checks their record at the new unit, correcting it through the CV form if need
be (Quảng Ngãi Đ5.5 and Đ9.3, Hải Phòng Đ9.3); after the head returns the transfer's revision, whoever the
workflow names corrects it. Confirming sends it to the month's approval of the new unit."""
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Task
from services import moves
from services.steps.base import Outcome, Prepared, StepKind
from workflows.contracts import CompleteTaskInput


async def prepare(session: AsyncSession, task: Task, outcome: str, data: dict) -> Prepared:
    revision = await moves.checked_revision(task.subject_person_id, session=session)
    return Prepared({"revision_id": revision.id})


async def effect(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                 now: datetime) -> dict[str, Any]:
    return await moves.confirm(task, inp.actor_user_id, int(inp.data.get("revision_id") or 0), now, session=session)


KIND = StepKind(
    name="confirm_record",
    title="Kiểm tra dữ liệu hồ sơ sau khi chuyển công tác",
    outcomes={"confirm": Outcome("Xác nhận dữ liệu, chuyển phê duyệt")},
    effect=effect,
    prepare=prepare,
    page_context=moves.check_context,
    partial="tasks/_confirm_record.html",
)

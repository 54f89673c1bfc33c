"""HR gives the written notice of the retirement date (6 months before it: rule `retirement_notice`,
Luật Cán bộ, công chức Điều 60 khoản 2; Luật Viên chức Điều 46 khoản 2) and records its number."""
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Person, Task
from services import audit, retirement
from services.scope import Viewer
from services.steps.base import Outcome, StepKind, numbered_document
from workflows.contracts import CompleteTaskInput

LABEL = "số văn bản thông báo thời điểm nghỉ hưu"


form_data, prepare = numbered_document("notice_no", lambda value: retirement.document_number(value, LABEL, "notice_no"))


async def effect(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                 now: datetime) -> dict[str, Any]:
    number = retirement.document_number(inp.data.get("notice_no"), LABEL, "notice_no")
    person = await session.get(Person, task.subject_person_id)
    retires = retirement.facts(person).get("date")
    await audit.record(actor=await retirement.username(inp.actor_user_id, session=session),
                       action="retirement.notified", subject=f"person:{person.id}", task=task.id, notice_no=number,
                       retirement_date=retires.isoformat() if retires else None, session=session)
    return {"notice_no": number}


async def page_context(session: AsyncSession, viewer: Viewer, task: Task, person: Person | None) -> dict:
    return {"retirement": retirement.facts(person)}


KIND = StepKind(
    name="retirement_notice",
    title="Thông báo nghỉ hưu",
    outcomes={"done": Outcome("Đã thông báo bằng văn bản về thời điểm nghỉ hưu",
                              {"notice_no": "Số văn bản thông báo thời điểm nghỉ hưu"})},
    effect=effect,
    prepare=prepare,
    page_context=page_context,
    form_data=form_data,
    partial="tasks/_retirement_notice.html",
)

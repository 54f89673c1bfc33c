"""HR has the retirement decision made (3 months before the date: rule `retirement_decision`, Luật Cán bộ,
công chức Điều 60 khoản 2; Luật Viên chức Điều 46 khoản 2) and enters its number: the leaving on the date
cites it."""
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Person, Task
from services import audit, retirement
from services.scope import Viewer
from services.steps.base import Outcome, StepKind, numbered_document
from workflows.contracts import CompleteTaskInput

LABEL = "số quyết định nghỉ hưu"


form_data, prepare = numbered_document("decision_no", lambda value: retirement.document_number(value, LABEL, "decision_no"))


async def effect(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                 now: datetime) -> dict[str, Any]:
    number = retirement.document_number(inp.data.get("decision_no"), LABEL, "decision_no")
    person = await session.get(Person, task.subject_person_id)
    await audit.record(actor=await retirement.username(inp.actor_user_id, session=session),
                       action="retirement.decided", subject=f"person:{person.id}", task=task.id, decision_no=number,
                       session=session)
    return {"decision_no": number, "decided_by_id": inp.actor_user_id}


async def page_context(session: AsyncSession, viewer: Viewer, task: Task, person: Person | None) -> dict:
    return {"retirement": retirement.facts(person)}


KIND = StepKind(
    name="retirement_decision",
    title="Quyết định nghỉ hưu",
    outcomes={"done": Outcome("Đã có quyết định nghỉ hưu", {"decision_no": "Số quyết định nghỉ hưu"})},
    effect=effect,
    prepare=prepare,
    page_context=page_context,
    form_data=form_data,
    partial="tasks/_retirement_decision.html",
)

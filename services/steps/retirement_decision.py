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
from services.steps.base import Outcome, Prepared, StepKind
from workflows.contracts import CompleteTaskInput

LABEL = "số quyết định nghỉ hưu"


def form_data(form) -> tuple[dict[str, Any], dict[str, Any]]:
    number, comment = str(form.get("decision_no") or ""), str(form.get("comment") or "")
    data: dict[str, Any] = {"decision_no": number}
    if comment:
        data["comment"] = comment
    return data, {"decision_no": number, "comment": comment}


async def prepare(session: AsyncSession, task: Task, outcome: str, data: dict) -> Prepared:
    return Prepared({"decision_no": retirement.document_number(data.get("decision_no"), LABEL, "decision_no"),
                     "comment": str(data.get("comment") or "").strip()})


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

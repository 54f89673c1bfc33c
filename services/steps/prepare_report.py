"""HR's «Lập báo cáo» of a periodic report (rules/profiles.py `[[reporting]]`): check the figures the records
give (the page shows them live, as xlsx too), write the narrative, submit; the figures are taken from the records
at the submission and go to the head to sign."""
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Person, Task
from rules.clock import local_date
from services import reports
from services.scope import Viewer
from services.steps.base import Outcome, Prepared, StepKind
from workflows.contracts import CompleteTaskInput, OpenTaskInput


async def prepare(session: AsyncSession, task: Task, outcome: str, data: dict) -> Prepared:
    prepared: dict[str, Any] = {"notes": reports.clean_notes(data.get("notes"))}
    if comment := str(data.get("comment") or "").strip():
        prepared["comment"] = comment
    return Prepared(prepared)


async def effect(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                 now: datetime) -> dict[str, Any]:
    return await reports.submit(task, inp, now, session=session)


async def context(session: AsyncSession, viewer: Viewer, task: Task, person: Person | None) -> dict:
    return await reports.task_view(viewer, task, session=session, today=local_date(datetime.now(UTC)))


async def title(session: AsyncSession, label: str, inp: OpenTaskInput, person: Person | None) -> str:
    return await reports.task_title(label, inp.workflow_id, inp.unit_id, session=session)


def notes_form(form) -> tuple[dict[str, Any], dict[str, Any]]:
    notes = {key: str(form.get(f"note_{key}") or "") for key in reports.NOTE_FIELDS}
    return {"notes": notes}, {"notes": notes}


async def mark_late(session: AsyncSession, task: Task) -> None:
    await reports.mark_late(task, session=session)


KIND = StepKind(
    name="prepare_report",
    title="Lập báo cáo",
    outcomes={"submit": Outcome("Nộp báo cáo để thủ trưởng ký", {
        "notes": "Thuyết minh (không bắt buộc): assessment, difficulties, equipment, proposals"})},
    effect=effect,
    prepare=prepare,
    titled=title,
    page_context=context,
    partial="tasks/_prepare_report.html",
    watch_partial="tasks/_report_watch.html",
    form_data=notes_form,
    on_milestone={"escalate_head": mark_late, "escalate_sonoivu": mark_late},
)

"""The head's «Ký báo cáo» (the Director's for a report of the Sở level): sign the PDF of the figures and narrative
HR submitted; the signed PDF is stored on the report, which is then submitted to Sở Nội vụ."""
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Task
from services import reports
from services.steps.base import Outcome, StepKind
from services.steps.prepare_report import context, mark_late, title
from workflows.contracts import CompleteTaskInput


async def effect(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                 now: datetime) -> dict[str, Any]:
    return await reports.sign(settings, task, inp, now, session=session)


KIND = StepKind(
    name="sign_report",
    title="Ký báo cáo",
    outcomes={"sign": Outcome("Ký số và nộp báo cáo")},
    effect=effect,
    titled=title,
    page_context=context,
    partial="tasks/_sign_report.html",
    watch_partial="tasks/_report_watch.html",
    on_milestone={"escalate_sonoivu": mark_late},
    document=reports.document,
)

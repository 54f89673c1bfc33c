"""Sở Nội vụ pulls an arriving person's record from the national CBCCVC database (Quảng Ngãi Đ9.1.a,
Hải Phòng Đ9.1.a: at the receiving unit's written request).

The workflow runs the pull (`national_db.pull`: fetch, identity check, the draft revision of kind `arrival`)
before this completion, with no transaction open during the HTTP call, and adds the draft's id to the data;
the effect checks that draft and closes the task. Not found, unreachable or not matching is a refusal: the
task stays open.
"""
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Person, Task
from models.transfers import TRANSFER_KINDS
from services import arrivals, cv
from services.scope import Viewer
from services.steps.base import Outcome, StepKind
from workflows.contracts import CompleteTaskInput


async def effect(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                 now: datetime) -> dict[str, Any]:
    revision = await arrivals.pulled_draft(task, int(inp.data.get("revision_id") or 0), session=session)
    return {"revision_id": revision.id, "revision": revision.number, "remote_id": str(inp.data.get("remote_id") or "")}


async def page_context(session: AsyncSession, viewer: Viewer, task: Task, person: Person | None) -> dict:
    transfer = await arrivals.transfer_of(task.workflow_id, session=session)
    return {"transfer": transfer, "transfer_kind": TRANSFER_KINDS.get(transfer.kind, "") if transfer else "",
            "sex_label": cv.SEX.get(person.sex, person.sex) if person else ""}


KIND = StepKind(
    name="pull_national",
    title="Đồng bộ hồ sơ người chuyển đến từ CSDL quốc gia",
    outcomes={"done": Outcome("Đã đồng bộ hồ sơ từ CSDL quốc gia")},
    effect=effect,
    page_context=page_context,
    partial="tasks/_pull_national.html",
)

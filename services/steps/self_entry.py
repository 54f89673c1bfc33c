"""The person enters and submits their CV (sơ yếu lý lịch, TT 06/2023/TT-BNV)."""
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Person, Task
from rules.clock import local_date
from services import cv, people, revisions
from services.errors import Invalid
from services.steps.base import Outcome, Prepared, StepKind
from workflows.contracts import CompleteTaskInput


async def prepare_draft(session: AsyncSession, task: Task, outcome: str, data: dict) -> Prepared:
    """The person's working draft, checked before the Update (the activity checks it again)."""
    revision = await people.working_revision(task.subject_person_id, session=session)
    if revision is None or revision.status not in ("draft", "returned"):
        raise Invalid("Chưa có bản sơ yếu lý lịch nháp; hãy lưu nháp trước khi nộp.", "no_draft")
    _, errors = cv.validate(revision.data, local_date(datetime.now(UTC)))
    if errors:
        raise Invalid("Sơ yếu lý lịch chưa hợp lệ: " + " ".join(errors.values()), "invalid_cv", errors=errors)
    return Prepared({"revision_id": revision.id})


async def effect(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                 now: datetime) -> dict[str, Any]:
    revision, clean = await revisions.valid_draft(
        task.subject_person_id, int(inp.data.get("revision_id") or 0), now,
        missing="Không tìm thấy bản sơ yếu lý lịch nháp để nộp.", invalid="Sơ yếu lý lịch chưa hợp lệ", session=session)
    person = await session.get(Person, task.subject_person_id)
    if clean["citizen_id"] != person.citizen_id:
        raise Invalid("Số CCCD khác với số đã đăng ký khi tuyển dụng; đề nghị cán bộ tổ chức kiểm tra.",
                      "citizen_id_mismatch")
    revision.data, revision.status = clean, "submitted"
    revision.submitted_at = revision.updated_at = now
    revision.workflow_id = task.workflow_id
    return {"revision_id": revision.id}


KIND = StepKind(
    name="self_entry",
    title="Tự nhập sơ yếu lý lịch",
    outcomes={"submit": Outcome("Nộp sơ yếu lý lịch", {"revision_id": "Bản sơ yếu lý lịch đã lưu"})},
    effect=effect,
    prepare=prepare_draft,
    partial="tasks/_self_entry.html",
)

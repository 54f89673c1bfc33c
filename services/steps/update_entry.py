"""A change to the record is entered with the digitised document confirmed by the competent body
(Quảng Ngãi Đ5.4, Hải Phòng Đ4.3; Kon Tum Đ10.2 for the unit's entries)."""
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Person, Task
from services import documents, people, revisions
from services.errors import Invalid
from services.scope import Viewer
from services.steps.base import Outcome, StepKind
from services.steps.self_entry import prepare_draft
from workflows.contracts import CompleteTaskInput


async def effect(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                 now: datetime) -> dict[str, Any]:
    revision, clean = await revisions.valid_draft(
        task.subject_person_id, int(inp.data.get("revision_id") or 0), now,
        missing="Không tìm thấy bản cập nhật chưa nộp.", invalid="Thông tin cập nhật chưa hợp lệ", session=session)
    if not await documents.of_revision(revision.id, session=session):
        raise Invalid("Đính kèm bản số hóa của tài liệu đã được cấp có thẩm quyền xác nhận.", "missing_attachment")
    by_hr = revision.kind == "update_state_decision"  # HR's own entry from a decision skips the review
    revision.data, revision.status = clean, ("ready" if by_hr else "submitted")
    revision.submitted_at = revision.updated_at = now
    if by_hr:
        revision.reviewed_by_id, revision.reviewed_at = inp.actor_user_id, now
    return {"revision_id": revision.id}


async def revision_context(session: AsyncSession, viewer: Viewer, task: Task, person: Person | None) -> dict:
    """The working revision's attachments and diff, shown beside the form."""
    revision = await people.working_revision(person.id, session=session) if person else None
    return await revisions.facts(person, revision, viewer=viewer, session=session) if revision else {}


KIND = StepKind(
    name="update_entry",
    title="Cập nhật thông tin hồ sơ",
    outcomes={"submit": Outcome("Nộp thông tin cập nhật",
                                {"revision_id": "Bản cập nhật đã lưu, có tài liệu đính kèm"})},
    effect=effect,
    prepare=prepare_draft,
    page_context=revision_context,
    partial="tasks/_update_entry.html",
)

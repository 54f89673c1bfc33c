"""Starting a change to a record: the person's own facts, or HR's facts from state decisions."""
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy

from models import ProfileRevision, Transfer
from rules.profiles import get_profile
from services import archive, audit, cv, documents, permissions, revisions
from services.onboarding import cancel_if_not_saved
from services.errors import Conflict, Forbidden, Invalid
from services.scope import Viewer, readable_person
from workflows.contracts import UpdateInput
from workflows.profile_update import workflow_id

KINDS = {"update_personal": "Thông tin cá nhân thay đổi", "update_state_decision": "Quyết định của cơ quan có thẩm quyền"}
OPEN_STATUSES = ("draft", "submitted", "returned", "ready", "returned_by_head")


async def start(client: Client, task_queue: str, session: AsyncSession, viewer: Viewer, person_id: int, *,
                kind: str, change_date: date, reason: str, data: dict[str, Any], decision_no: str | None,
                today: date, document: tuple[str, bytes] | None = None, max_bytes: int = 0) -> ProfileRevision:
    """Open the draft revision (with its scanned document, when given) and start its workflow."""
    person = await readable_person(viewer, person_id, session=session)
    archive.refuse_archived(person)
    if kind not in KINDS:
        raise Invalid(f"Loại cập nhật phải là một trong: {', '.join(KINDS)}.", "bad_kind")
    if kind == "update_personal" and viewer.person_id != person.id:
        raise Forbidden("Thông tin cá nhân do chính cá nhân cập nhật.", "forbidden")
    if kind == "update_state_decision":
        if not permissions.is_hr_of(viewer, person.unit_id):
            raise Forbidden("Thông tin từ quyết định do cán bộ tổ chức cập nhật.", "forbidden")
        if not (decision_no or "").strip():
            raise Invalid("Ghi số quyết định làm căn cứ.", "missing_decision_no")
    if len((decision_no or "").strip()) > 64:
        raise Invalid("Số quyết định ghi tối đa 64 ký tự.", "bad_decision_no")
    if person.current_revision_id is None:
        raise Invalid("Hồ sơ chưa được phê duyệt lần đầu; hoàn thành quy trình tiếp nhận trước.", "not_approved_yet")
    if not person.hired_on <= change_date <= today:
        raise Invalid("Ngày thay đổi phải từ ngày tuyển dụng đến hôm nay.", "bad_change_date")
    if not reason.strip():
        raise Invalid("Ghi nội dung thay đổi.", "missing_reason")
    open_update = (await session.execute(select(ProfileRevision).where(
        ProfileRevision.person_id == person.id, ProfileRevision.kind != "onboarding",
        ProfileRevision.status.in_(OPEN_STATUSES)))).scalars().first()
    if open_update is not None:
        raise Conflict(f"Đang có bản cập nhật số {open_update.number} chưa được phê duyệt; hoàn thành bản đó trước.",
                       "update_in_progress", revision_id=open_update.id, workflow_id=open_update.workflow_id)
    moving = (await session.execute(select(Transfer).where(Transfer.person_id == person.id,
                                                           Transfer.status == "open"))).scalars().first()
    if moving is not None:  # its revision is made from the approved version: a change now would be lost under it
        raise Conflict(f"Hồ sơ đang trong một điều chuyển hoặc điều chỉnh tình trạng chưa hoàn tất (số {moving.id}); "
                       "cập nhật thông tin sau khi hoàn tất.", "transfer_in_progress", transfer_id=moving.id,
                       workflow_id=moving.workflow_id)
    current = await session.get(ProfileRevision, person.current_revision_id)
    number = (await session.execute(select(func.max(ProfileRevision.number)).where(
        ProfileRevision.person_id == person.id))).scalar_one()
    known = {k: v for k, v in data.items() if k in cv.FIELDS}
    revision = ProfileRevision(person_id=person.id, number=number + 1, status="draft", kind=kind,
                               data={**current.data, **known}, author_id=viewer.user_id, change_date=change_date,
                               change_reason=reason.strip(), decision_no=(decision_no or "").strip() or None)
    session.add(revision)
    await session.flush()
    revision.workflow_id = workflow_id(revision.id)
    revisions.record_changes(revision.id, viewer.user_id, current.data, revision.data, datetime.now(UTC), session=session)
    if document is not None:
        await documents.attach(viewer, revision.id, *document, max_bytes=max_bytes, session=session)
    profile = get_profile(person.profile, on=change_date)
    await audit.record(actor=viewer.username, action="update.starting", subject=f"person:{person.id}", session=session)
    await session.flush()  # any database refusal comes before the workflow exists
    await client.start_workflow(
        "ProfileUpdate",
        UpdateInput(revision_id=revision.id, person_id=person.id, unit_id=person.unit_id, profile=profile.name,
                    profile_version=profile.version, kind=kind, change_date=change_date.isoformat()),
        id=revision.workflow_id, task_queue=task_queue, id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
    await audit.record(actor=viewer.username, action="update.started", subject=f"person:{person.id}",
                       revision=revision.number, kind=kind, change_date=change_date.isoformat(), session=session)
    cancel_if_not_saved(client, session, revision.workflow_id)
    return revision

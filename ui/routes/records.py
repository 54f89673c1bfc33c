"""Changes to an approved record: the update form (with its scanned document), a revision's page
(attachments, field-by-field diff and who changed what), HR's correction, the author's submission."""
import re
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from api.deps import CurrentUser, SessionDep, StateDep, TemporalDep
from api.params import IdPath
from models import Person
from models.people import REVISION_STATUSES
from services import auth, catalogs, cv, documents, people, permissions, revisions, task_actions, tasks, updates
from services import archive  # the archive is read-only (services/archive.py)
from services.errors import DomainError, Forbidden, Invalid, NotFound
from services.scope import Viewer, readable_person
from ui.views import REVISION_KINDS, UPDATE_FIELDS
from ui.formats import vn_today
from ui.web import check_csrf, flash, redirect, render, safe_next

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)
EDITABLE = ("draft", "returned")
CORRECTABLE = ("submitted", "ready")
UPDATE_KINDS = ("update_personal", "update_state_decision")  # revisions made by «Cập nhật thông tin»


# ---- shared helpers ---------------------------------------------------------------------------

def field_options() -> dict[str, list[tuple[str, str]]]:
    return {"general_education": [(level, level) for level in catalogs.EDUCATION_LEVELS],
            "political_theory": [(level, level) for level in catalogs.POLITICAL_THEORY],
            "grade_code": [(code, f"{code} — {name}") for code, (name, _) in catalogs.GRADES.items()]}


def parse_fields(form) -> dict[str, str]:
    """The update fields as typed (trimmed)."""
    return {name: str(form.get(name) or "").strip() for name in UPDATE_FIELDS}


def typed_changes(values: dict[str, str], base: dict[str, Any]) -> dict[str, Any]:
    """The fields that differ from `base`; an empty field means «unchanged»."""
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if value == "" or value == _as_text(base.get(name)):
            continue
        changes[name] = int(value) if name == "salary_step" and re.fullmatch(r"[0-9]{1,3}", value) else value
    code = changes.get("grade_code")
    if code in catalogs.GRADES and "grade_name" not in changes and not values.get("grade_name"):
        changes["grade_name"] = catalogs.GRADES[code][0]
    return changes


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


async def read_upload(upload: Any, max_bytes: int) -> tuple[str, bytes] | None:
    """(filename, bytes) of an uploaded file, None when no file was chosen."""
    if not isinstance(upload, UploadFile):
        return None
    content = await upload.read(max_bytes + 1)
    if not content and not (upload.filename or "").strip():
        return None
    return upload.filename or "", content


def check_file(filename: str, content: bytes, max_bytes: int) -> None:
    """services.documents' own checks, run before anything is written."""
    documents.check_file(content, max_bytes=max_bytes)


def may_author(viewer: Viewer, person: Person) -> bool:
    return permissions.edits_record(viewer, person)


# ---- the update form --------------------------------------------------------------------------

def default_kind(viewer: Viewer, person: Person, asked: str | None) -> str:
    if asked in updates.KINDS:
        return asked
    return "update_personal" if viewer.person_id == person.id else "update_state_decision"


async def update_form_page(request: Request, session, viewer: Viewer, person: Person, values: dict, *,
                           status_code: int = 200, error: str | None = None, errors: dict | None = None,
                           existing_id: int | None = None):
    current = await people.current_revision(person, session=session)
    return await render(
        request, "records/update_form.html", status_code=status_code, viewer=viewer, person=person, values=values,
        current=current.data if current else {}, current_revision=current, kinds=updates.KINDS,
        fields=cv.FIELDS, field_names=UPDATE_FIELDS, options=field_options(), error=error, errors=errors or {},
        existing_id=existing_id, today=vn_today().isoformat(), may_choose_kind=(
            viewer.person_id == person.id and permissions.is_hr_of(viewer, person.unit_id)),
        max_mb=request.app.state.hoso.settings.attachment_max_bytes // (1024 * 1024))


@router.get("/people/{person_id}/updates/new")
async def new_update(person_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep,
                     kind: str | None = None):
    person = await readable_person(viewer, person_id, session=session)
    archive.refuse_archived(person)
    if person.current_revision_id is None:
        raise Invalid("Hồ sơ chưa được phê duyệt lần đầu; hoàn thành quy trình tiếp nhận trước.", "not_approved_yet")
    values = {"kind": default_kind(viewer, person, kind), "change_date": vn_today().isoformat()}
    if values["kind"] == "update_personal" and viewer.person_id != person.id:
        raise Forbidden("Thông tin cá nhân do chính cá nhân cập nhật.", "forbidden")
    if values["kind"] == "update_state_decision" and not permissions.is_hr_of(viewer, person.unit_id):
        raise Forbidden("Thông tin từ quyết định do cán bộ tổ chức cập nhật.", "forbidden")
    return await update_form_page(request, session, viewer, person, values)


@router.post("/people/{person_id}/updates/new", dependencies=[Csrf])
async def start_update(person_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep,
                       state: StateDep, client: TemporalDep):
    person = await readable_person(viewer, person_id, session=session)
    form = await request.form()
    values: dict[str, Any] = {name: str(form.get(name) or "").strip()
                              for name in ("kind", "change_date", "reason", "decision_no")}
    values.update(parse_fields(form))
    values["kind"] = default_kind(viewer, person, values["kind"])
    max_bytes = state.settings.attachment_max_bytes
    today = vn_today()

    async def again(err: DomainError, errors: dict | None = None):
        await session.rollback()
        fresh = await readable_person(viewer, person_id, session=session)
        return await update_form_page(request, session, viewer, fresh, values, status_code=err.status,
                                      error=err.message, errors=errors or err.extra.get("errors"),
                                      existing_id=err.extra.get("revision_id"))

    # Everything that can be checked is checked first: nothing is started for a refused form.
    try:
        upload = await read_upload(form.get("document"), max_bytes)
        if upload is not None:
            check_file(*upload, max_bytes)
        try:
            change_date = date.fromisoformat(values["change_date"])
        except ValueError:
            raise Invalid("Ngày thay đổi không hợp lệ (nhập ngày/tháng/năm).", "bad_change_date") from None
        current = await people.current_revision(person, session=session)
        changes = typed_changes({k: values[k] for k in UPDATE_FIELDS}, current.data if current else {})
        if current is not None:
            if not changes:
                raise Invalid("Nhập ít nhất một thông tin thay đổi (mục để trống là giữ nguyên).", "no_change")
            _, errors = cv.validate({**current.data, **changes}, today)
            if errors:
                return await again(Invalid("Thông tin thay đổi chưa hợp lệ; vui lòng sửa các mục được đánh dấu.",
                                           "invalid_cv"), errors)
    except DomainError as err:
        return await again(err)
    try:
        revision = await updates.start(client, state.task_queue, session, viewer, person.id, kind=values["kind"],
                                       change_date=change_date, reason=values["reason"], data=changes,
                                       decision_no=values["decision_no"] or None, today=today,
                                       document=upload, max_bytes=max_bytes)
    except DomainError as err:
        return await again(err)
    flash(request, f"Đã tạo bản cập nhật số {revision.number}. Kiểm tra nội dung và tài liệu đính kèm, "
                   "rồi bấm «Nộp bản cập nhật».")
    return redirect(f"/revisions/{revision.id}")


# ---- a revision -------------------------------------------------------------------------------

async def revision_page(request: Request, session, viewer: Viewer, revision_id: int, *, status_code: int = 200,
                        error: str | None = None, errors: dict | None = None, values: dict | None = None,
                        upload_error: str | None = None):
    revision = await revisions.readable_revision(viewer, revision_id, session=session)
    person = await people.get(revision.person_id, session=session)
    working = await people.working_revision(person.id, session=session)
    users = await auth.full_names({revision.author_id, revision.reviewed_by_id} - {None}, session=session)
    is_working = working is not None and working.id == revision.id
    editable = is_working and revision.status in EDITABLE and revision.kind in UPDATE_KINDS
    submit_task = (await tasks.open_task_for(viewer, person.id, "update_entry", session=session)
                   if editable and may_author(viewer, person) else None)
    review_task = (await tasks.open_task_for(viewer, person.id, "review_update", session=session)
                   if revision.status == "submitted" else None)
    may_correct = permissions.is_hr_of(viewer, person.unit_id) and revision.status in CORRECTABLE
    return await render(
        request, "records/revision.html", status_code=status_code, viewer=viewer, revision=revision, person=person,
        kind_label=REVISION_KINDS.get(revision.kind, revision.kind),
        status_label=REVISION_STATUSES.get(revision.status, revision.status), users=users,
        is_current=person.current_revision_id == revision.id, working=working,
        may_attach=editable and may_author(viewer, person), may_edit=editable and may_author(viewer, person),
        may_correct=may_correct, submit_task=submit_task, review_task=review_task,
        fields=cv.FIELDS, field_names=UPDATE_FIELDS, options=field_options(),
        values=values if values is not None else {n: _as_text(revision.data.get(n)) for n in UPDATE_FIELDS},
        error=error, errors=errors or {}, upload_error=upload_error,
        max_mb=request.app.state.hoso.settings.attachment_max_bytes // (1024 * 1024),
        **await revisions.facts(person, revision, viewer=viewer, session=session))


@router.get("/revisions/{revision_id}")
async def show_revision(revision_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep):
    return await revision_page(request, session, viewer, revision_id)


@router.get("/revisions/{revision_id}/attachments/{attachment_id}")
async def download_attachment(revision_id: IdPath, attachment_id: IdPath, viewer: CurrentUser, session: SessionDep):
    revision = await revisions.readable_revision(viewer, revision_id, session=session)  # the viewer's scope
    attachment = await documents.of_revision_by_id(revision.id, attachment_id, session=session)
    ascii_name = attachment.filename.encode("ascii", "ignore").decode().replace('"', "") or "tai-lieu"
    return Response(attachment.content, media_type=attachment.content_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(attachment.filename)}",
        "X-Content-Type-Options": "nosniff"})


@router.post("/revisions/{revision_id}/attachments", dependencies=[Csrf])
async def add_attachment(revision_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep,
                         state: StateDep):
    form = await request.form()
    max_bytes = state.settings.attachment_max_bytes
    back = safe_next(str(form.get("next") or f"/revisions/{revision_id}"))
    try:
        upload = await read_upload(form.get("document"), max_bytes)
        if upload is None:
            raise Invalid("Chọn tệp bản số hóa để đính kèm.", "missing_file")
        attachment = await documents.attach(viewer, revision_id, upload[0], upload[1], max_bytes=max_bytes, session=session)
    except DomainError as err:
        await session.rollback()
        return await revision_page(request, session, viewer, revision_id, status_code=err.status,
                                   upload_error=err.message)
    flash(request, f"Đã đính kèm «{attachment.filename}».")
    return redirect(back)


@router.post("/revisions/{revision_id}/correct", dependencies=[Csrf])
async def correct_revision(revision_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep):
    """HR corrects a submitted revision before approval; the author edits a draft (as PUT /api/revisions/{id})."""
    form = await request.form()
    values = parse_fields(form)
    try:
        revision = await revisions.readable_revision(viewer, revision_id, session=session)
        changes = typed_changes(values, revision.data)
        if not changes:
            raise Invalid("Không có thông tin nào khác với bản hiện tại.", "no_change")
        if revision.status in CORRECTABLE:
            revision = await revisions.correct(viewer, revision_id, changes, session=session)
            message = "Đã hiệu chỉnh; thay đổi được ghi nhận theo từng mục."
        else:
            if revision.kind not in UPDATE_KINDS:  # a first record, an arrival's or a transfer's draft
                raise Invalid("Bản này được sửa trên biểu mẫu sơ yếu lý lịch.", "use_cv_form")
            revision = await people.save_draft(viewer, revision.person_id, changes, session=session)
            message = "Đã lưu thay đổi vào bản cập nhật."
    except DomainError as err:
        await session.rollback()
        return await revision_page(request, session, viewer, revision_id, status_code=err.status, error=err.message,
                                   errors=err.extra.get("errors"), values=values)
    flash(request, message)
    return redirect(f"/revisions/{revision.id}")


@router.post("/revisions/{revision_id}/submit", dependencies=[Csrf])
async def submit_revision(revision_id: IdPath, request: Request, viewer: CurrentUser, session: SessionDep,
                          client: TemporalDep):
    """«Nộp bản cập nhật»: completes the open update_entry task, as the task page does."""
    revision = await revisions.readable_revision(viewer, revision_id, session=session)
    task = await tasks.open_task_for(viewer, revision.person_id, "update_entry", session=session)
    if task is None:
        return await revision_page(request, session, viewer, revision_id, status_code=409, error=(
            "Chưa nộp được: bạn không có nhiệm vụ «Cập nhật thông tin hồ sơ» đang mở "
            "(nếu vừa tạo bản cập nhật, vui lòng tải lại trang sau giây lát)."))
    kind = revision.kind
    try:
        await task_actions.complete(client, session, viewer, task.id, "submit", {})
    except DomainError as err:
        await session.rollback()
        return await revision_page(request, session, viewer, revision_id, status_code=err.status,
                                   error="Chưa nộp được. " + err.message, errors=err.extra.get("errors"))
    flash(request, "Đã nộp bản cập nhật; " + ("bản cập nhật chờ thủ trưởng phê duyệt trong tháng."
                                               if kind == "update_state_decision" else
                                               "cán bộ tổ chức sẽ kiểm tra."))
    return redirect(f"/revisions/{revision_id}")

"""Scanned documents: PDF, JPEG or PNG, recognised by their bytes, kept with their SHA-256."""
import hashlib

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from core.db import any_id
from models import Attachment, ProfileRevision
from services import archive, audit, permissions
from services.errors import Forbidden, Invalid, NotFound
from services.scope import Viewer, readable_person

SIGNATURES = {  # magic bytes → content type
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}


def detect_type(content: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES.items() if content.startswith(magic)), None)


def check_file(content: bytes, *, max_bytes: int) -> str:
    """The content type of an acceptable scan, or a Vietnamese refusal; writes nothing."""
    if not content:
        raise Invalid("Tệp rỗng.", "empty_file")
    if len(content) > max_bytes:
        raise Invalid(f"Tệp vượt quá giới hạn {max_bytes // (1024 * 1024)} MB.", "file_too_large")
    kind = detect_type(content)
    if kind is None:
        raise Invalid("Chỉ nhận bản số hóa dạng PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp, không theo tên).",
                      "bad_file_type")
    return kind


async def attach(viewer: Viewer, revision_id: int, filename: str, content: bytes,
                 *, session: AsyncSession, max_bytes: int) -> Attachment:
    """Check the file first; a refused file leaves nothing behind."""
    revision = await session.get(ProfileRevision, revision_id)
    if revision is None:
        raise Invalid("Không tìm thấy bản cập nhật.", "revision_not_found")
    person = await readable_person(viewer, revision.person_id, session=session)
    if not permissions.edits_record(viewer, person):
        raise Forbidden("Chỉ cá nhân hoặc cán bộ tổ chức được đính kèm tài liệu.", "forbidden")
    archive.refuse_archived(person)
    if revision.kind == "update_state_decision" and not permissions.is_hr_of(viewer, person.unit_id):
        raise Forbidden("Bản cập nhật theo quyết định do cán bộ tổ chức nhập.", "forbidden")
    if revision.status not in ("draft", "returned"):
        raise Invalid("Chỉ đính kèm tài liệu vào bản cập nhật chưa nộp.", "revision_not_editable")
    kind = check_file(content, max_bytes=max_bytes)
    attachment = Attachment(person_id=person.id, revision_id=revision.id, filename=_safe_name(filename),
                            content_type=kind, size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                            content=content, uploaded_by_id=viewer.user_id)
    session.add(attachment)
    await session.flush()
    await audit.record(actor=viewer.username, action="attachment.added", subject=f"revision:{revision.id}",
                       sha256=attachment.sha256, size=attachment.size, content_type=kind, session=session)
    return attachment


async def of_revision_by_id(revision_id: int, attachment_id: int, *, session: AsyncSession) -> Attachment:
    """One attachment of a revision the caller has already read within the viewer's scope."""
    attachment = await session.get(Attachment, attachment_id, populate_existing=True)  # with its content
    if attachment is None or attachment.revision_id != revision_id:
        raise NotFound("Không tìm thấy tài liệu đính kèm.", "attachment_not_found")
    return attachment


def _safe_name(filename: str) -> str:
    name = (filename or "tai-lieu").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:255] or "tai-lieu"


async def of_revision(revision_id: int, *, session: AsyncSession) -> list[Attachment]:
    """A revision's attachments without their contents (scans of up to the upload limit each): of_revision_by_id
    reads one with its content."""
    return (await of_revisions([revision_id], session=session)).get(revision_id, [])


async def of_revisions(revision_ids: list[int], *, session: AsyncSession) -> dict[int, list[Attachment]]:
    """`of_revision` of many revisions in one query (revision id -> attachments, oldest first)."""
    query = (select(Attachment).options(defer(Attachment.content, raiseload=True))
             .where(Attachment.revision_id == any_id(revision_ids)).order_by(Attachment.id))
    files: dict[int, list[Attachment]] = {}
    for attachment in (await session.execute(query)).scalars():
        files.setdefault(attachment.revision_id, []).append(attachment)
    return files


async def listed(revision_ids: list[int], *, session: AsyncSession) -> dict[int, list[tuple[str, str]]]:
    """(filename, SHA-256) of each revision's attachments (of_revisions), what the signed batch shows."""
    return {revision_id: [(f.filename, f.sha256) for f in files]
            for revision_id, files in (await of_revisions(revision_ids, session=session)).items()}


CARRY_OVER = text("""
    INSERT INTO attachments (person_id, revision_id, filename, content_type, size, sha256, content, uploaded_by_id,
                             created_at)
    SELECT person_id, :to_revision, filename, content_type, size, sha256, content, uploaded_by_id, now()
    FROM attachments WHERE revision_id = :from_revision ORDER BY id
""")


async def carry_over(from_revision: int, to_revision: int, *, session: AsyncSession) -> None:
    """A corrected revision keeps the documents already attached to the one returned (copied in the database)."""
    await session.execute(CARRY_OVER, {"from_revision": from_revision, "to_revision": to_revision})

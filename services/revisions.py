"""Revisions of a record: field-level change log, HR corrections before approval, diffs."""
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Person, ProfileRevision, RevisionChange, User
from services import audit, cv
from services.errors import Forbidden, Invalid, NotFound
from services.scope import Viewer, readable_person
from services.tasks import local_date


def record_changes(session: AsyncSession, revision_id: int, user_id: int, old: dict, new: dict,
                   now: datetime) -> list[str]:
    changed = [name for name in new if name in cv.FIELDS and old.get(name) != new.get(name)]
    for name in changed:
        session.add(RevisionChange(revision_id=revision_id, user_id=user_id, field=name,
                                   old=old.get(name), new=new.get(name), at=now))
    return changed


async def readable_revision(session: AsyncSession, viewer: Viewer, revision_id: int) -> ProfileRevision:
    revision = await session.get(ProfileRevision, revision_id)
    if revision is None:
        raise NotFound("Không tìm thấy bản cập nhật.", "revision_not_found")
    await readable_person(session, viewer, revision.person_id)
    return revision


async def correct(session: AsyncSession, viewer: Viewer, revision_id: int, data: dict[str, Any]) -> ProfileRevision:
    """HR corrects a submitted revision before approval, keeping data «đúng, đủ, sạch» (Bình Định II.2.a)."""
    revision = await readable_revision(session, viewer, revision_id)
    if not viewer.has("unit_hr"):
        raise Forbidden("Chỉ cán bộ tổ chức được hiệu chỉnh trước khi phê duyệt.", "forbidden")
    if revision.status != "submitted":  # once accepted it is in the head's batch: frozen
        raise Invalid("Chỉ hiệu chỉnh bản đã nộp, trước khi chấp nhận chuyển phê duyệt.", "revision_not_correctable")
    now = datetime.now(UTC)
    merged = {**revision.data, **{k: v for k, v in data.items() if k in cv.FIELDS}}
    clean, errors = cv.validate(merged, local_date(now))
    if errors:
        raise Invalid("Hiệu chỉnh chưa hợp lệ: " + " ".join(errors.values()), "invalid_cv", errors=errors)
    changed = record_changes(session, revision.id, viewer.user_id, revision.data, clean, now)
    revision.data, revision.updated_at = clean, now
    await audit.record(session, actor=viewer.username, action="revision.corrected", subject=f"revision:{revision.id}",
                       fields=changed)
    return revision


@dataclass
class FieldDiff:
    field: str
    label: str
    old: Any
    new: Any
    changed_by: list[dict] = field(default_factory=list)  # [{username, at, old, new}]


async def base_data(session: AsyncSession, person: Person, revision: ProfileRevision) -> dict:
    """What the revision changes: the record's approved version, else the previous revision."""
    if person.current_revision_id and person.current_revision_id != revision.id:
        current = await session.get(ProfileRevision, person.current_revision_id)
        return dict(current.data)
    previous = (await session.execute(select(ProfileRevision).where(
        ProfileRevision.person_id == person.id, ProfileRevision.number < revision.number)
        .order_by(ProfileRevision.number.desc()).limit(1))).scalars().first()
    return dict(previous.data) if previous else {}


async def diff(session: AsyncSession, viewer: Viewer, revision_id: int) -> list[FieldDiff]:
    revision = await readable_revision(session, viewer, revision_id)
    person = await session.get(Person, revision.person_id)
    return await diff_of(session, person, revision)


async def diff_of(session: AsyncSession, person: Person, revision: ProfileRevision) -> list[FieldDiff]:
    old = await base_data(session, person, revision)
    rows = (await session.execute(
        select(RevisionChange, User.username).join(User, User.id == RevisionChange.user_id)
        .where(RevisionChange.revision_id == revision.id).order_by(RevisionChange.at, RevisionChange.id))).all()
    authors: dict[str, list[dict]] = {}
    for change, username in rows:
        authors.setdefault(change.field, []).append(
            {"username": username, "at": change.at.isoformat(), "old": change.old, "new": change.new})
    return [FieldDiff(name, label, old.get(name), revision.data.get(name), authors.get(name, []))
            for name, (label, _) in cv.FIELDS.items() if old.get(name) != revision.data.get(name)]

"""Revisions of a record: field-level change log, HR corrections before approval, diffs."""
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import any_id
from models import Person, ProfileRevision, RevisionChange, Task, User
from rules.clock import local_date
from services import archive, audit, cv, documents, notify, permissions
from services.actors import actor_user_ids
from services.errors import Forbidden, Invalid, NotFound
from services.scope import Viewer, readable_person


def record_changes(revision_id: int, user_id: int, old: dict, new: dict,
                   now: datetime, *, session: AsyncSession) -> list[str]:
    changed = [name for name in new if name in cv.FIELDS and old.get(name) != new.get(name)]
    for name in changed:
        session.add(RevisionChange(revision_id=revision_id, user_id=user_id, field=name,
                                   old=old.get(name), new=new.get(name), at=now))
    return changed


async def readable_revision(viewer: Viewer, revision_id: int, *, session: AsyncSession) -> ProfileRevision:
    revision = await session.get(ProfileRevision, revision_id)
    if revision is None:
        raise NotFound("Không tìm thấy bản cập nhật.", "revision_not_found")
    await readable_person(viewer, revision.person_id, session=session)
    return revision


async def correct(viewer: Viewer, revision_id: int, data: dict[str, Any], *, session: AsyncSession) -> ProfileRevision:
    """HR corrects a submitted revision before approval, keeping data «đúng, đủ, sạch» (Bình Định II.2.a)."""
    revision = await readable_revision(viewer, revision_id, session=session)
    person = await session.get(Person, revision.person_id)
    if not permissions.is_hr_of(viewer, person.unit_id):
        raise Forbidden("Chỉ cán bộ tổ chức được hiệu chỉnh trước khi phê duyệt.", "forbidden")
    archive.refuse_archived(person)
    if revision.status != "submitted":  # once accepted it is in the head's batch: frozen
        raise Invalid("Chỉ hiệu chỉnh bản đã nộp, trước khi chấp nhận chuyển phê duyệt.", "revision_not_correctable")
    now = datetime.now(UTC)
    merged = {**revision.data, **{k: v for k, v in data.items() if k in cv.FIELDS}}
    clean, errors = cv.validate(merged, local_date(now))
    if errors:
        raise Invalid("Hiệu chỉnh chưa hợp lệ: " + " ".join(errors.values()), "invalid_cv", errors=errors)
    changed = record_changes(revision.id, viewer.user_id, revision.data, clean, now, session=session)
    revision.data, revision.updated_at = clean, now
    await audit.record(actor=viewer.username, action="revision.corrected", subject=f"revision:{revision.id}",
                       fields=changed, session=session)
    return revision


@dataclass
class FieldDiff:
    field: str
    label: str
    old: Any
    new: Any
    changed_by: list[dict] = field(default_factory=list)  # [{username, at, old, new}]


async def base_data_of(pairs: list[tuple[Person, ProfileRevision]], *, session: AsyncSession) -> dict[int, dict]:
    """What each revision changes (revision id → data): the record's approved version, else the previous revision;
    two queries whatever their number."""
    current_ids = {p.current_revision_id for p, r in pairs if p.current_revision_id and p.current_revision_id != r.id}
    currents = {r.id: r.data for r in (await session.execute(
        select(ProfileRevision).where(ProfileRevision.id.in_(current_ids or {-1})))).scalars()}
    first_ones = [(p, r) for p, r in pairs if not p.current_revision_id or p.current_revision_id == r.id]
    earlier: dict[int, list[ProfileRevision]] = {}
    for row in (await session.execute(select(ProfileRevision).where(
            ProfileRevision.person_id.in_({p.id for p, _ in first_ones} or {-1}))
            .order_by(ProfileRevision.number.desc()))).scalars():
        earlier.setdefault(row.person_id, []).append(row)
    first_ids = {r.id for _, r in first_ones}
    bases = {r.id: dict(currents[p.current_revision_id]) for p, r in pairs if r.id not in first_ids}
    for person, revision in first_ones:
        previous = next((row for row in earlier.get(person.id, []) if row.number < revision.number), None)
        bases[revision.id] = dict(previous.data) if previous else {}
    return bases


def changed_fields(old: dict, new: dict) -> list[FieldDiff]:
    """The CV items that differ, in form order, sensitive values masked (what a signed document shows)."""
    return masked_diff([FieldDiff(name, label, old.get(name), new.get(name))
                        for name, (label, _) in cv.FIELDS.items() if old.get(name) != new.get(name)])


async def diff(viewer: Viewer, revision_id: int, *, session: AsyncSession) -> list[FieldDiff]:
    revision = await readable_revision(viewer, revision_id, session=session)
    person = await session.get(Person, revision.person_id)
    return await diff_of(person, revision, reveal=permissions.sees_sensitive(viewer, person), session=session)


async def shown_data(viewer: Viewer, revision: ProfileRevision, *, session: AsyncSession) -> dict[str, Any]:
    """The revision's CV as this viewer may see it (permissions.shown_cv)."""
    return permissions.shown_cv(viewer, await session.get(Person, revision.person_id), revision.data)


def masked_diff(diffs: list[FieldDiff]) -> list[FieldDiff]:
    """The diff with the values of sensitive items masked: that they changed, and who changed them, stays."""
    hidden = cv.MASKED
    return [FieldDiff(d.field, d.label, hidden, hidden, [{**c, "old": hidden, "new": hidden} for c in d.changed_by])
            if d.field in cv.SENSITIVE_FIELDS else d for d in diffs]


async def diff_of(person: Person, revision: ProfileRevision, *,
                  session: AsyncSession, reveal: bool = False) -> list[FieldDiff]:
    """Field by field, what the revision changes; sensitive values masked unless `reveal` (say who may see them:
    permissions.sees_sensitive; a signed document never reveals them)."""
    diffs = await _diff(person, revision, session=session)
    return diffs if reveal else masked_diff(diffs)


async def _diff(person: Person, revision: ProfileRevision, *, session: AsyncSession) -> list[FieldDiff]:
    return (await _diffs([(person, revision)], session=session))[revision.id]


async def _diffs(pairs: list[tuple[Person, ProfileRevision]], *, session: AsyncSession) -> dict[int, list[FieldDiff]]:
    """Each revision's changes against its base (base_data_of), with who changed each field and when."""
    bases = await base_data_of(pairs, session=session)
    rows = (await session.execute(
        select(RevisionChange, User.username).join(User, User.id == RevisionChange.user_id)
        .where(RevisionChange.revision_id == any_id(r.id for _, r in pairs))
        .order_by(RevisionChange.at, RevisionChange.id))).all()
    authors: dict[int, dict[str, list[dict]]] = {}
    for change, username in rows:
        authors.setdefault(change.revision_id, {}).setdefault(change.field, []).append(
            {"username": username, "at": change.at.isoformat(), "old": change.old, "new": change.new})
    return {revision.id: _changes(bases[revision.id], revision.data, authors.get(revision.id, {}))
            for _, revision in pairs}


def _changes(old: dict, new: dict, authors: dict[str, list[dict]]) -> list[FieldDiff]:
    return [FieldDiff(name, label, old.get(name), new.get(name), authors.get(name, []))
            for name, (label, _) in cv.FIELDS.items() if old.get(name) != new.get(name)]


async def facts(person: Person, revision: ProfileRevision, *,
                session: AsyncSession, viewer: Viewer | None = None) -> dict[str, Any]:
    """What every page about a revision shows: its attachments (with uploaders) and its diff, the sensitive
    values masked unless the viewer may see them (no viewer: masked)."""
    return (await facts_of([(person, revision)], session=session, viewer=viewer))[revision.id]


async def facts_of(pairs: list[tuple[Person, ProfileRevision]], *, session: AsyncSession,
                   viewer: Viewer | None = None) -> dict[int, dict[str, Any]]:
    """`facts` of many revisions (a head's batch of hundreds) in a handful of queries: revision id -> facts."""
    files = await documents.of_revisions([r.id for _, r in pairs], session=session)
    uploader_ids = {f.uploaded_by_id for listed in files.values() for f in listed}
    uploaders = dict((await session.execute(select(User.id, User.username).where(
        User.id == any_id(uploader_ids)))).all())
    diffs = await _diffs(pairs, session=session)
    facts = {}
    for person, revision in pairs:
        reveal = viewer is not None and permissions.sees_sensitive(viewer, person)
        facts[revision.id] = {"attachments": files.get(revision.id, []), "uploaders": uploaders,
                              "diff": diffs[revision.id] if reveal else masked_diff(diffs[revision.id])}
    return facts


# ---- the steps of a revision's workflow ------------------------------------------------------

async def valid_draft(person_id: int, revision_id: int, now: datetime, *, session: AsyncSession, missing: str,
                      invalid: str) -> tuple[ProfileRevision, dict[str, Any]]:
    """The person's unsubmitted revision with that id, and its data once valid."""
    revision = await session.get(ProfileRevision, revision_id)
    if revision is None or revision.person_id != person_id or revision.status not in ("draft", "returned"):
        raise Invalid(missing, "no_draft")
    clean, errors = cv.validate(revision.data, local_date(now))
    if errors:
        raise Invalid(f"{invalid}: " + " ".join(errors.values()), "invalid_cv", errors=errors)
    return revision, clean


_SUBMITTED = (select(ProfileRevision).where(ProfileRevision.person_id == bindparam("person_id"),
                                            ProfileRevision.status == "submitted")
              .order_by(ProfileRevision.number.desc()))  # built once: read at every review


async def review(task: Task, *, session: AsyncSession, outcome: str, actor_user_id: int, comment: str,
                 now: datetime) -> ProfileRevision:
    """HR accepts the person's submitted revision for the month's approval, or returns it with a reason."""
    revision = (await session.execute(_SUBMITTED, {"person_id": task.subject_person_id})).scalars().first()
    if revision is None:
        raise Invalid("Không có bản sơ yếu lý lịch chờ kiểm tra.", "nothing_to_review")
    if outcome == "return" and not comment:
        raise Invalid("Ghi rõ lý do trả lại để cá nhân bổ sung.", "missing_comment")
    revision.status = "ready" if outcome == "accept" else "returned"
    revision.review_comment = comment or None
    revision.reviewed_by_id, revision.reviewed_at, revision.updated_at = actor_user_id, now, now
    if outcome == "return":
        person = await actor_user_ids("person", task.unit_id, task.subject_person_id, session=session)
        await notify.notify(user_ids=set(person), key=f"task{task.id}/returned", kind="returned",
                            subject="Sơ yếu lý lịch bị trả lại",
                            body=f"Cán bộ tổ chức trả lại sơ yếu lý lịch: {comment}", task_id=task.id, session=session)
    return revision

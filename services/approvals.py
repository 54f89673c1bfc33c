"""The monthly approval: which unit and month a revision belongs to, the batch, the signature."""
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from core.db import Send, Sent, any_id, pipelined
from models import (Approval, ApprovalItem, Person, PreparedDocument, ProfileRevision, SignedDocument, Task, Unit,
                    User)
from models.approvals import APPROVAL_STATUSES
from models.people import SENSITIVE_CV_FIELDS
from rules.calendar import WorkingCalendar
from rules.deadlines import compute_deadline, due_datetime
from rules.profiles import Profile, get_profile
from rules.clock import VN_TZ, local_date
from services import actors, audit, delegations, documents, national_sync, org, revisions
from services import retirement
from services.errors import Conflict, DomainError, Invalid, NotFound
from services.pdf import render_approval_batch
from services.people import search_key
from services.scope import Viewer
from services.signers import user_signer
from services.signing import ToSign
from workflows.contracts import ApprovalInput, ApprovalOpened, CompleteTaskInput, ProvinceApprovalInput

MONTH_END = time(23, 59, 59)


def month_of(day: date) -> str:
    return f"{day:%Y-%m}"


def next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year + mon // 12}-{mon % 12 + 1:02d}"


def first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:]), 1)


def last_day(month: str) -> date:
    return first_day(next_month(month)) - timedelta(days=1)


def month_for(profile: Profile, today: date, calendar: WorkingCalendar) -> str:
    """A revision reviewed after the month's cutoff rolls into the next month's approval."""
    month = month_of(today)
    if profile.has_rule("monthly_approval"):
        cutoff = compute_deadline(profile, "monthly_approval", today, calendar)
        if cutoff and today > cutoff.due:
            return next_month(month)
    return month


async def approval_unit(profile: Profile, unit_id: int, *, session: AsyncSession) -> int:
    """Own unit (Hải Phòng Đ5: each head approves their own staff) or the department the unit
    belongs to (Kon Tum Đ8.1: the department head approves its own and subordinate units)."""
    if profile.approval_scope != "department":
        return unit_id
    chain = await org.ancestors(unit_id, session=session)  # the unit first, the province root last
    return chain[-2] if len(chain) >= 2 else chain[0]


_PERSON_PLACE = select(Person.id, Person.profile, Person.unit_id).where(Person.id == bindparam("person_id"))


async def target(revision_id: int, today: date, calendar: WorkingCalendar, *, session: AsyncSession) -> ApprovalInput:
    revision = await session.get(ProfileRevision, revision_id)  # kept in the session: the activity then updates it
    # two columns, not the whole person (whose sealed columns would be opened)
    person = (await session.execute(_PERSON_PLACE, {"person_id": revision.person_id})).one()
    profile = get_profile(person.profile, on=today)
    unit_id = await approval_unit(profile, person.unit_id, session=session)
    unit_id = await _above_own_head(unit_id, person.id, session=session)
    month = month_for(profile, today, calendar)
    while await _signed("unit", month, unit_id, session=session):  # the head signed the month: it is closed
        month = next_month(month)
    return ApprovalInput(unit_id=unit_id, month=month, profile=profile.name, profile_version=profile.version)


async def _above_own_head(unit_id: int, person_id: int, *, session: AsyncSession) -> int:
    """Nobody approves a change to their own record: a head's own change goes to the unit above."""
    own = await actors.user_of_person(person_id, session=session)
    chain = await org.ancestors(unit_id, session=session)
    for unit in chain:
        if own is None or own not in await actors.actor_user_ids("unit_head", unit, None, session=session):
            return unit
    return chain[-1]


_SIGNED = select(Approval.id).where(Approval.level == bindparam("level"), Approval.month == bindparam("month"),
                                   Approval.status == "signed")
_UNIT_SIGNED = _SIGNED.where(Approval.unit_id == bindparam("unit_id"))  # built once: asked at every enqueue


async def _signed(level: str, month: str, unit_id: int | None = None, *, session: AsyncSession) -> bool:
    if unit_id is None:
        found = await session.execute(_SIGNED, {"level": level, "month": month})
    else:
        found = await session.execute(_UNIT_SIGNED, {"level": level, "month": month, "unit_id": unit_id})
    return found.first() is not None


async def open_approval(inp: ApprovalInput, workflow_id: str,
                        calendar: WorkingCalendar, *, session: AsyncSession) -> ApprovalOpened:
    profile = get_profile(inp.profile, inp.profile_version)
    deadline = (compute_deadline(profile, "monthly_approval", first_day(inp.month), calendar)
                if profile.has_rule("monthly_approval") else None)
    approval = (await session.execute(select(Approval).where(
        Approval.level == "unit", Approval.unit_id == inp.unit_id, Approval.month == inp.month))).scalars().first()
    if approval is None:
        approval = Approval(level="unit", unit_id=inp.unit_id, month=inp.month, workflow_id=workflow_id,
                            profile=profile.name, profile_version=profile.version,
                            opens_on=deadline.opens if deadline else None, due_on=deadline.due if deadline else None,
                            due_at=due_datetime(deadline.due) if deadline else None,
                            legal_basis=deadline.legal_basis if deadline else None)
        session.add(approval)
        await session.flush()
    opens_at = datetime.combine(deadline.opens, time(0), tzinfo=VN_TZ).isoformat() if deadline and deadline.opens else None
    ends_at = approval.due_at or datetime.combine(last_day(inp.month), MONTH_END, tzinfo=VN_TZ)
    return ApprovalOpened(approval.id, opens_at, ends_at.isoformat())


_LOCKED_STATUSES = (select(ProfileRevision.id, ProfileRevision.status)
                    .where(ProfileRevision.id.in_(bindparam("revision_ids", expanding=True))).with_for_update())
_ADD_ITEM = (insert(ApprovalItem).values(approval_id=bindparam("approval_id"), revision_id=bindparam("revision_id"),
                                         decision="pending")
             .on_conflict_do_update(index_elements=["revision_id"], set_={"approval_id": bindparam("approval_id")},
                                    where=ApprovalItem.decision == "pending"))  # both built once: run at every enqueue


async def add_items(approval_id: int, revision_ids: list[int], *, session: AsyncSession) -> None:
    # A revision withdrawn meanwhile (a cancelled leaving, services/moves.cancel) does not join the batch; the
    # lock waits for a cancel being applied.
    statuses = dict((await session.execute(_LOCKED_STATUSES, {"revision_ids": revision_ids or [-1]})).all())
    withdrawn = {revision_id for revision_id, status in statuses.items() if status == "withdrawn"}
    for revision_id in revision_ids:
        if revision_id in withdrawn:
            continue
        await session.execute(_ADD_ITEM, {"approval_id": approval_id, "revision_id": revision_id})
    approval = await session.get(Approval, approval_id)
    if approval.status == "waiting":
        approval.status = "open"


async def pending_revision_ids(approval_id: int, *, session: AsyncSession) -> list[int]:
    """The revisions still waiting in the batch, in the order they joined it."""
    query = select(ApprovalItem.revision_id).where(ApprovalItem.approval_id == approval_id,
                                                   ApprovalItem.decision == "pending")
    return list((await session.execute(query.order_by(ApprovalItem.id))).scalars())


async def approval_of_task(task: Task, *, session: AsyncSession) -> Approval:
    approval = (await session.execute(select(Approval).where(Approval.workflow_id == task.workflow_id))).scalars().first()
    if approval is None:
        raise NotFound("Không tìm thấy đợt phê duyệt.", "approval_not_found")
    return approval


async def batch_document(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                         now: datetime) -> ToSign:
    """The batch the head (or a valid delegate) signs: approve some revisions, return the others. The PDF is
    the one kept for the task (the preview's) while the digest of what it shows still matches, else rendered
    again and kept; the signing activity signs it outside any transaction."""
    approval = await approval_of_task(task, session=session)
    capacity = await delegations.signing_capacity(session, approval.unit_id, inp.actor_user_id, local_date(now))
    decisions, reasons = _decisions(await pending_revision_ids(approval.id, session=session), inp.data)
    signer = await session.get(User, inp.actor_user_id)
    unit = await session.get(Unit, approval.unit_id)
    shown = {"unit": unit.name, "month": approval.month, "signer": signer.full_name, "capacity": capacity,
             "decisions": decisions, "reasons": reasons}
    # The digest is read before the entries: a change in between leaves a stale digest, never a stale PDF.
    digest = await batch_digest([int(key) for key in decisions], shown, session=session)
    pdf = await _prepared_pdf(task.id, digest, session=session)
    if pdf is None:
        entries = await _batch_entries(decisions, reasons, session=session)
        pdf = render_approval_batch(unit_name=unit.name, month=approval.month, approver_name=signer.full_name,
                                    approver_title=capacity, items=entries)
        await _keep_prepared(task.id, digest, pdf, session=session)
    return _signed_by(settings, unit, approval.month, signer, capacity, pdf,
                      covers={"decisions": decisions, "reasons": reasons, "digest": digest})


# What the batch PDF shows of each revision, as stored: its number and data, the person's name, the data it is
# compared with (revisions.base_data_of: the current version, else the previous revision) and its attachments.
# The data stands as the row's version (xmin: every write to a row gives it a new one), which costs nothing to
# read where hashing 1,000 CVs took half of the build: a write that changes nothing shown, such as a re-sealing,
# only makes the document render again.
ITEMS_FINGERPRINT = text("""
    SELECT encode(sha256(convert_to(coalesce(string_agg(json_build_array(
               r.id, r.number, p.full_name, r.xmin::text, base.id, base.xmin::text,
               (SELECT json_agg(json_build_array(a.filename, a.sha256) ORDER BY a.id)
                FROM attachments a WHERE a.revision_id = r.id))::text, E'\\n' ORDER BY ids.n), ''), 'UTF8')), 'hex')
    FROM unnest(CAST(:ids AS integer[])) WITH ORDINALITY AS ids(id, n)
    JOIN profile_revisions r ON r.id = ids.id
    JOIN people p ON p.id = r.person_id
    LEFT JOIN LATERAL (
        (SELECT c.id, c.xmin FROM profile_revisions c WHERE c.id = p.current_revision_id AND c.id <> r.id)
        UNION ALL
        (SELECT e.id, e.xmin FROM profile_revisions e
         WHERE e.person_id = p.id AND e.number < r.number
           AND (p.current_revision_id IS NULL OR p.current_revision_id = r.id)
         ORDER BY e.number DESC LIMIT 1)
        LIMIT 1) base ON true
""")


async def batch_digest(revision_ids: list[int], shown: dict[str, Any], *, session: AsyncSession) -> str:
    """SHA-256 of everything the batch PDF shows: the header and decisions in `shown`, and each revision as
    stored (one query, no row decrypted)."""
    items = (await session.execute(ITEMS_FINGERPRINT, {"ids": revision_ids})).scalar_one()
    content = json.dumps({"items": items, **shown}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(content.encode()).hexdigest()


async def _prepared_pdf(task_id: int, digest: str, *, session: AsyncSession) -> bytes | None:
    return (await session.execute(select(PreparedDocument.pdf).where(
        PreparedDocument.task_id == task_id, PreparedDocument.digest == digest))).scalar_one_or_none()


async def _keep_prepared(task_id: int, digest: str, pdf: bytes, *, session: AsyncSession) -> None:
    values = {"digest": digest, "pdf": pdf, "created_at": datetime.now(VN_TZ)}
    await session.execute(insert(PreparedDocument).values(task_id=task_id, **values)
                          .on_conflict_do_update(index_elements=["task_id"], set_=values))


async def _batch_entries(decisions: dict[str, str], reasons: dict[str, str], *, session: AsyncSession) -> list[dict]:
    """The rendered entries of the batch, in the decisions' order: one query each for the revisions with
    their people, the data they are compared with, and the attachments."""
    ids = [int(key) for key in decisions]
    found = {revision.id: (person, revision) for revision, person in (await session.execute(
        select(ProfileRevision, Person).join(Person, Person.id == ProfileRevision.person_id)
        .where(ProfileRevision.id == any_id(ids)))).all()}
    pairs = [found[revision_id] for revision_id in ids]
    bases = await revisions.base_data_of(pairs, session=session)
    files = await documents.listed(ids, session=session)
    return [_batch_entry(person, revision, revisions.changed_fields(bases[revision.id], revision.data),
                         files.get(revision.id, []), decisions[str(revision.id)], reasons.get(str(revision.id)))
            for person, revision in pairs]


def _decisions(pending: list[int], data: dict) -> tuple[dict[str, str], dict[str, str]]:
    """One decision per pending revision (approve, or return with a reason), keyed by revision id."""
    given, typed = data.get("decisions") or {}, data.get("reasons") or {}
    decisions, reasons = {}, {}
    for revision_id in pending:
        key = str(revision_id)
        choice = given.get(key, given.get(revision_id))
        if choice not in ("approve", "return"):
            raise Invalid("Chọn phê duyệt hoặc trả lại cho từng hồ sơ trong đợt.", "missing_decision")
        reason = str(typed.get(key) or typed.get(revision_id) or "").strip()
        if choice == "return" and not reason:
            raise Invalid("Ghi lý do cho mỗi hồ sơ bị trả lại.", "missing_reason")
        decisions[key] = choice
        if reason:
            reasons[key] = reason
    return decisions, reasons


async def signed_for(task: Task, inp: CompleteTaskInput, *, session: AsyncSession) -> SignedDocument:
    """The signature the signing activity made for this task and this signer."""
    signed = await session.get(SignedDocument, int(inp.data.get("signature_id") or 0))
    if signed is None or signed.task_id != task.id or signed.signer_id != inp.actor_user_id:
        raise Invalid("Chưa có chữ ký số cho đợt phê duyệt này; vui lòng ký lại.", "not_signed")
    return signed


async def sign(settings: Settings, task: Task, inp: CompleteTaskInput,
               now: datetime, *, session: AsyncSession) -> dict[str, Any]:
    """Apply a batch signed before, outside this transaction (a token or a remote signing service): approved
    revisions become current and go to the outbox, returned ones go back to their authors. Set-wise: a few
    statements whatever the batch's size."""
    approval = await approval_of_task(task, session=session)
    signed = await signed_for(task, inp, session=session)
    async with pipelined(session) as send:
        sent = await _send_batch(approval.id, task.id, signed.covers, now, send)
    return await _apply_sent(approval, sent, signed.pdf, signed.signer_id, signed.signed_as, now, session=session)


async def sign_while_applying(settings: Settings, task: Task, inp: CompleteTaskInput, to_sign: ToSign,
                              now: datetime, *, session: AsyncSession) -> tuple[bytes, dict[str, Any]]:
    """`sign` for a key held in this process, in the transaction that built `to_sign`: the batch's statements
    go to the database first and the PDF is signed while they run (bench/README.md, «Signing»); a batch found
    changed once they have run rolls it all back. The signed PDF and the completion's result."""
    approval = await approval_of_task(task, session=session)
    async with pipelined(session) as send:
        sent = await _send_batch(approval.id, task.id, to_sign.covers, now, send)
        pdf = await to_sign.sign()
    return pdf, await _apply_sent(approval, sent, pdf, inp.actor_user_id, to_sign.signed_as, now, session=session)


@dataclass
class _Sent:
    decisions: dict[str, str]       # what the signature covers: revision id → approve or return
    reasons: dict[str, str]
    pending: Sent                   # the batch as it was before these writes: (revision id, workflow id)
    current: Sent | None = None     # MAKE_CURRENT's rows, if any revision is approved
    outbox: Sent | None = None      # OUTBOX_INSERT's rows, likewise


async def _send_batch(approval_id: int, task_id: int, covers: dict[str, Any], now: datetime, send: Send) -> _Sent:
    """The batch's statements, sent without waiting for them: the batch read as it is (checked by `_apply_sent`),
    the kept preview dropped (signed: done with), the approved and the returned items and revisions, the
    people's current versions and the outbox."""
    decisions, reasons = covers["decisions"], covers["reasons"]
    approved = [int(key) for key, choice in decisions.items() if choice == "approve"]
    returned = [int(key) for key, choice in decisions.items() if choice != "approve"]
    sent = _Sent(decisions, reasons, pending=await send(PENDING, {"approval_id": approval_id}))
    await send(DELETE_PREPARED, {"task_id": task_id})
    if returned:
        await send(RETURN, {"approval_id": approval_id, "ids": returned,
                            "reasons": [reasons.get(str(i)) for i in returned]})
    if approved:
        await send(APPROVE, {"approval_id": approval_id, "ids": approved, "now": now})
        sent.current = await send(MAKE_CURRENT, {"ids": approved})
        sent.outbox = await send(national_sync.OUTBOX_INSERT, national_sync.outbox_params(approved))
    return sent


async def _apply_sent(approval: Approval, sent: _Sent, pdf: bytes, signer_id: int, signed_as: str,
                      now: datetime, *, session: AsyncSession) -> dict[str, Any]:
    """Once the batch's statements have run: the check that the batch is still the one signed, what follows from
    the new current versions, the signature kept on the approval, the audit event, and the completion's result."""
    workflows = dict(await sent.pending.rows())
    if {str(revision_id) for revision_id in workflows} != set(sent.decisions):
        raise Conflict("Đợt phê duyệt vừa có thay đổi sau khi ký; vui lòng tải lại trang và ký lại.",
                       "batch_changed")
    outbox_ids = []
    if sent.current is not None:
        await _after_make_current(await sent.current.rows(), session=session)
        approved = [i for i in workflows if sent.decisions[str(i)] == "approve"]  # in the batch's order
        outbox_ids = await national_sync.outbox_ids(approved, await sent.outbox.rows(), session=session)
    results = [{"revision_id": i, "decision": "approved" if sent.decisions[str(i)] == "approve" else "returned",
                "reason": sent.reasons.get(str(i)), "workflow_id": workflow} for i, workflow in workflows.items()]
    _apply_signature(approval, pdf, signer_id, signed_as, now)
    username = (await session.get(User, signer_id)).username
    await audit.record(actor=username, action="approval.signed", subject=f"approval:{approval.id}",
                       capacity=approval.signed_as,
                       approved=[r["revision_id"] for r in results if r["decision"] == "approved"],
                       returned=[r["revision_id"] for r in results if r["decision"] == "returned"],
                       sha256=approval.signed_pdf_sha256, late=approval.late, session=session)
    return {"decisions": results, "outbox_ids": outbox_ids, "decided_on": local_date(now).isoformat(),
            "late": approval.late, "approval_id": approval.id, "signer_id": signer_id, "signed_as": approval.signed_as}


PENDING = text("""
    SELECT i.revision_id, r.workflow_id FROM approval_items i JOIN profile_revisions r ON r.id = i.revision_id
    WHERE i.approval_id = :approval_id AND i.decision = 'pending' ORDER BY i.id
""")  # as pending_revision_ids, with each revision's workflow
DELETE_PREPARED = text("DELETE FROM prepared_documents WHERE task_id = :task_id")
APPROVE = text("""
    WITH items AS (UPDATE approval_items SET decision = 'approved', reason = NULL
                   WHERE approval_id = :approval_id AND revision_id = ANY(CAST(:ids AS integer[])))
    UPDATE profile_revisions SET status = 'approved', approved_at = :now WHERE id = ANY(CAST(:ids AS integer[]))
""")  # the items and their revisions in one round trip


RETURN = text("""
    WITH returned AS (SELECT * FROM unnest(CAST(:ids AS integer[]), CAST(:reasons AS text[])) AS r(id, reason)),
         items AS (UPDATE approval_items i SET decision = 'returned', reason = r.reason FROM returned r
                   WHERE i.approval_id = :approval_id AND i.revision_id = r.id)
    UPDATE profile_revisions p SET status = 'returned_by_head', review_comment = r.reason
    FROM returned r WHERE p.id = r.id
""")  # each returned item and revision with its own reason, in one round trip


# Each person's newest approved revision of the batch, if newer than their current one, becomes what everyone
# sees, the identity columns included (a value the CV leaves empty keeps the column's; a birth date only in the
# ISO form cv.validate writes). `o` is the row as it was, for RETURNING.
MAKE_CURRENT = text("""
    WITH newest AS (
        SELECT DISTINCT ON (r.person_id) r.person_id, r.id, r.number, r.data
        FROM profile_revisions r WHERE r.id = ANY(CAST(:ids AS integer[]))
        ORDER BY r.person_id, r.number DESC)
    UPDATE people AS p SET current_revision_id = n.id,
           full_name = coalesce(nullif(n.data ->> 'full_name', ''), p.full_name),
           sex = coalesce(nullif(n.data ->> 'sex', ''), p.sex),
           citizen_id = coalesce(nullif(n.data ->> 'citizen_id', ''), p.citizen_id),
           date_of_birth = CASE WHEN n.data ->> 'date_of_birth' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
                                THEN CAST(n.data ->> 'date_of_birth' AS date) ELSE p.date_of_birth END
    FROM newest n
    JOIN people o ON o.id = n.person_id
    WHERE p.id = n.person_id AND NOT EXISTS (
        SELECT FROM profile_revisions c WHERE c.id = p.current_revision_id AND c.number >= n.number)
    RETURNING p.id, p.full_name, o.full_name, o.sex, o.date_of_birth, p.sex, p.date_of_birth
""")
IDENTITY_FIELDS = frozenset({"full_name", "sex", "citizen_id", "date_of_birth"})
if IDENTITY_FIELDS & SENSITIVE_CV_FIELDS:
    raise RuntimeError("MAKE_CURRENT reads the identity fields from the stored JSON: they cannot be sealed")


async def _after_make_current(changed: list[tuple], *, session: AsyncSession) -> None:
    """What MAKE_CURRENT's returned rows call for: a changed name gets its search key, and a changed sex or birth
    date moves the retirement dates (rare: a corrected record). No CV passes through Python."""
    renamed = [(person_id, name) for person_id, name, old_name, *_ in changed if name != old_name]
    if renamed:
        await session.execute(update(Person), [{"id": person_id, "search_name": search_key(name)}
                                               for person_id, name in renamed])
    for person_id, _, _, old_sex, old_born, sex, born in changed:
        if (sex, born) != (old_sex, old_born):
            person = await session.get(Person, person_id, populate_existing=True)
            await retirement.identity_changed(person, old_sex, old_born, session=session)


def _apply_signature(approval: Approval, pdf: bytes, signer_id: int, signed_as: str, now: datetime) -> None:
    approval.signed_pdf, approval.signed_pdf_sha256 = pdf, hashlib.sha256(pdf).hexdigest()
    approval.signed_at, approval.signed_by_id, approval.signed_as = now, signer_id, signed_as
    approval.late = bool(approval.due_at and now > approval.due_at) or approval.late
    approval.status = "signed"


def _batch_entry(person: Person, revision: ProfileRevision, changes: list[revisions.FieldDiff],
                 files: list[tuple[str, str]], choice: str, reason: str | None) -> dict:
    return {
        "person": person.full_name, "revision": revision.number,
        "decision": "Phê duyệt" if choice == "approve" else f"Trả lại: {reason}",
        "changes": [(c.label, _text(c.old), _text(c.new)) for c in changes],
        "attachments": files,
    }


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(f"{p.get('from', '')}–{p.get('to', '')}: {p.get('description', '')}" for p in value)
    return "" if value is None else str(value)


def _to_sign(settings: Settings, unit: Unit, month: str, signer: User, capacity: str, entries: list[dict], *,
             covers: dict[str, Any]) -> ToSign:
    pdf = render_approval_batch(unit_name=unit.name, month=month, approver_name=signer.full_name,
                                approver_title=capacity, items=entries)
    return _signed_by(settings, unit, month, signer, capacity, pdf, covers=covers)


def _signed_by(settings: Settings, unit: Unit, month: str, signer: User, capacity: str, pdf: bytes, *,
               covers: dict[str, Any]) -> ToSign:
    key = user_signer(settings, signer.username, signer.full_name, title=capacity, unit=unit.name)
    return ToSign(pdf=pdf, signer=key, field_name="PheDuyet", signed_as=capacity, covers=covers,
                  reason=f"Phê duyệt dữ liệu CBCCVC tháng {month[5:]}/{month[:4]}", location=unit.name)


# ---- province level (Quảng Ngãi Đ6.2) -------------------------------------------------------

async def province_root(*, session: AsyncSession) -> Unit:
    return (await session.execute(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))).scalars().first()


async def open_province(inp, workflow_id: str, calendar: WorkingCalendar, *, session: AsyncSession) -> ApprovalOpened:
    profile = get_profile(inp.profile, inp.profile_version)
    deadline = compute_deadline(profile, "province_approval", first_day(inp.month), calendar)
    root = await province_root(session=session)
    approval = (await session.execute(select(Approval).where(
        Approval.level == "province", Approval.month == inp.month))).scalars().first()
    if approval is None:
        approval = Approval(level="province", unit_id=root.id, month=inp.month, workflow_id=workflow_id,
                            profile=profile.name, profile_version=profile.version, status="open",
                            opens_on=deadline.opens, due_on=deadline.due, due_at=due_datetime(deadline.due),
                            legal_basis=deadline.legal_basis)
        session.add(approval)
        await session.flush()
    opens_at = datetime.combine(deadline.opens, time(0), tzinfo=VN_TZ).isoformat() if deadline.opens else None
    return ApprovalOpened(approval.id, opens_at, approval.due_at.isoformat())


async def add_units(province_approval_id: int, unit_approval_ids: list[int], *, session: AsyncSession) -> None:
    for approval_id in unit_approval_ids:
        (await session.get(Approval, approval_id)).parent_id = province_approval_id


async def province_input(unit_approval_id: int, *, session: AsyncSession):
    """The province-level approval a signed unit batch reports to, or None if the profile has none."""
    approval = await session.get(Approval, unit_approval_id)
    profile = get_profile(approval.profile, approval.profile_version)
    if not profile.has_rule("province_approval"):
        return None
    month = approval.month
    while await _signed("province", month, session=session):  # a unit signing late joins the next month's
        month = next_month(month)
    return ProvinceApprovalInput(month=month, profile=profile.name, profile_version=profile.version)


DIRECTOR = "Giám đốc Sở Nội vụ"


async def _signed_units(approval: Approval, *, session: AsyncSession) -> list[tuple[Approval, Unit]]:
    return list((await session.execute(select(Approval, Unit).join(Unit, Unit.id == Approval.unit_id).where(
        Approval.parent_id == approval.id, Approval.status == "signed").order_by(Unit.code))).all())


async def province_document(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                            now: datetime) -> ToSign:
    """The sheet the Director signs: every unit's signed batch of the month with its SHA-256."""
    approval = await approval_of_task(task, session=session)
    units = await _signed_units(approval, session=session)
    entries = [{"person": unit.name, "revision": len(await items_view(unit_approval.id, session=session)),
                "decision": "Phê duyệt", "changes": [],
                "attachments": [(f"phe-duyet-{unit.code}-{unit_approval.month}.pdf", unit_approval.signed_pdf_sha256)]}
               for unit_approval, unit in units]
    root = await session.get(Unit, approval.unit_id)
    signer = await session.get(User, inp.actor_user_id)
    return _to_sign(settings, root, approval.month, signer, DIRECTOR, entries,
                    covers={"units": [unit_approval.id for unit_approval, _ in units]})


async def sign_province(settings: Settings, task: Task, inp: CompleteTaskInput,
                        now: datetime, *, session: AsyncSession) -> dict[str, Any]:
    approval = await approval_of_task(task, session=session)
    signed = await signed_for(task, inp, session=session)
    units = await _signed_units(approval, session=session)
    if [unit_approval.id for unit_approval, _ in units] != signed.covers["units"]:
        raise Conflict("Có đơn vị vừa ký phê duyệt sau khi bản cấp tỉnh được ký; vui lòng tải lại trang và ký lại.",
                       "batch_changed")
    _apply_signature(approval, signed.pdf, signed.signer_id, signed.signed_as, now)
    signer = await session.get(User, signed.signer_id)
    await audit.record(actor=signer.username, action="approval.province_signed",
                       subject=f"approval:{approval.id}", units=[u.code for _, u in units], late=approval.late, session=session)
    return {"units": [u.code for _, u in units], "late": approval.late, "approval_id": approval.id}


async def mark_late(workflow_id: str, *, session: AsyncSession) -> None:
    approval = (await session.execute(select(Approval).where(Approval.workflow_id == workflow_id))).scalars().first()
    if approval is not None and approval.status != "signed":
        approval.status, approval.late = "late", True


async def close(approval_id: int, *, session: AsyncSession) -> None:
    approval = await session.get(Approval, approval_id)
    if approval.status in ("waiting",):
        approval.status = "closed"


# ---- reading ---------------------------------------------------------------------------------

async def find(viewer: Viewer, unit_id: int, month: str, *, session: AsyncSession) -> Approval | None:
    if not viewer.sees_unit(unit_id):
        raise NotFound("Đơn vị nằm ngoài phạm vi của bạn.", "unit_out_of_scope")
    return (await session.execute(select(Approval).where(
        Approval.level == "unit", Approval.unit_id == unit_id, Approval.month == month))).scalars().first()


async def readable_approval(viewer: Viewer, approval_id: int, *,
                            session: AsyncSession, signed: bool = False) -> Approval:
    """An approval of a unit in the viewer's scope (with its signed PDF when `signed`), else 404."""
    approval = await session.get(Approval, approval_id)
    if approval is None or not viewer.sees_unit(approval.unit_id) or (signed and not approval.signed_pdf):
        raise NotFound("Không tìm thấy bản phê duyệt đã ký." if signed else "Không tìm thấy đợt phê duyệt.",
                       "approval_not_found")
    return approval


async def signing_tasks(workflow_ids: list[str], *, session: AsyncSession) -> dict[str, int]:
    """The signing task of each approval workflow (workflow id → task id)."""
    rows = await session.execute(select(Task.workflow_id, Task.id).where(
        Task.workflow_id.in_(workflow_ids or ["-"]), Task.kind == "sign_approval").order_by(Task.id))
    return dict(rows.all())


async def batch_view(viewer: Viewer, task: Task, today: date, *, session: AsyncSession) -> dict[str, Any]:
    """The head's batch: the approval, its revisions (short diff, attachments' hashes), in what
    capacity the viewer may sign today (or why not), and who signed once it is signed."""
    approval = await approval_of_task(task, session=session)
    decided = {row["revision_id"]: row for row in await items_view(approval.id, session=session)}
    ids = await pending_revision_ids(approval.id, session=session) if task.status == "open" else list(decided)
    found = {revision.id: (person, revision) for revision, person in (await session.execute(
        select(ProfileRevision, Person).join(Person, Person.id == ProfileRevision.person_id)
        .where(ProfileRevision.id == any_id(ids)))).all()}
    pairs = [found[revision_id] for revision_id in ids]
    facts = await revisions.facts_of(pairs, session=session)
    batch = [{"revision": revision, "person": person, "item": decided.get(revision.id), **facts[revision.id]}
             for person, revision in pairs]
    capacity, capacity_error = None, None
    if task.status == "open":
        try:
            capacity = await delegations.signing_capacity(session, approval.unit_id, viewer.user_id, today)
        except DomainError as err:
            capacity_error = err.message
    signer = await session.get(User, approval.signed_by_id) if approval.signed_by_id else None
    unit = await session.get(Unit, approval.unit_id)
    return {"approval": approval, "batch": batch, "capacity": capacity, "capacity_error": capacity_error,
            "approval_unit": unit.name if unit else "", "signer": signer,
            "approval_status": APPROVAL_STATUSES.get(approval.status, approval.status)}


async def items_view(approval_id: int, *, session: AsyncSession) -> list[dict]:
    rows = (await session.execute(
        select(ApprovalItem, ProfileRevision, Person).join(ProfileRevision, ProfileRevision.id == ApprovalItem.revision_id)
        .join(Person, Person.id == ProfileRevision.person_id).where(ApprovalItem.approval_id == approval_id)
        .order_by(ApprovalItem.id))).all()
    return [{"revision_id": rev.id, "person_id": person.id, "full_name": person.full_name, "number": rev.number,
             "kind": rev.kind, "decision": item.decision, "reason": item.reason, "status": rev.status}
            for item, rev, person in rows]


async def month_overview(viewer: Viewer, month: str, *, session: AsyncSession) -> list[dict]:
    """Every unit in scope and its approval for the month: on time, late, pending, none."""
    units = await org.units_in(None if viewer.unit_scope is None else set(viewer.unit_scope), session=session)
    approvals = {a.unit_id: a for a in (await session.execute(select(Approval).where(
        Approval.level == "unit", Approval.month == month))).scalars()}
    overview = []
    for unit in units:
        approval = approvals.get(unit.id)
        overview.append({"unit": unit, "approval": approval, "state": _state(approval)})
    return overview


def _state(approval: Approval | None) -> str:
    if approval is None:
        return "none"
    if approval.status == "signed":
        return "late" if approval.late else "on_time"
    return "late" if approval.late else ("pending" if approval.status == "open" else approval.status)

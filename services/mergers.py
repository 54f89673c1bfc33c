"""Unit mergers and dissolutions (the 2025 reorganisation): Sở Nội vụ names the old unit, its successor, the
date and the decision; the workflow `merger/{id}` (workflows/merger.py) moves everyone of the old unit and of its
sub-units to the successor, batch by batch, and then closes them.

Exactly once: each person's move (services/placements.move: unit, login, placement and audit row) and their
`merger_moves` row are written in the same transaction, and the unique key (merger_id, person_id) refuses a
second one, so a batch cut short by a crash leaves nothing and a resumed merger moves no one twice. Archived
records (people who have left) stay with the unit they left from: their history ends there.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError

from models import Merger, MergerMove, Person, Unit, User
from services import admin, audit, org, permissions, placements
from services.errors import Conflict, Invalid, NotFound, Unavailable
from services.onboarding import cancel_if_not_saved
from services.scope import Viewer
from workflows.contracts import MergerInput, MergerProgress

MAX_ID = 2**31 - 1
MAX_DECISION_NO = 64
# A merger may be recorded after the fact (the 2025 reorganisation took effect on 01/07/2025) or ahead of its date;
# beyond these bounds the date is a typing mistake.
BEHIND_DAYS = 731
AHEAD_DAYS = 366
BATCH_SIZE = 100
BATCHES_PER_RUN = 20
MOVED_STATUSES = ("onboarding", "active")  # archived records stay where they left from
MERGER_STARTS_LOCK = 7_340_001  # pg_advisory_xact_lock key: one merger start at a time, checks included


def workflow_id(merger_id: int) -> str:
    return f"merger/{merger_id}"


@dataclass
class MergerRequest:
    from_unit_id: int
    to_unit_id: int
    effective_on: date
    decision_no: str


def closed(unit: Unit, on: date | None = None) -> bool:
    """The unit no longer takes people: it has a successor, or its validity ended (before `on`, when given)."""
    return unit.successor_id is not None or (unit.valid_to is not None and (on is None or unit.valid_to < on))


async def _unit(unit_id: int, label: str, *, session: AsyncSession) -> Unit:
    unit = await session.get(Unit, unit_id) if 1 <= unit_id <= MAX_ID else None
    if unit is None:
        raise Invalid(f"{label} không tồn tại.", "unknown_unit")
    return unit


def _check_request(req: MergerRequest, today: date) -> str:
    decision_no = (req.decision_no or "").strip()
    if not decision_no:
        raise Invalid("Ghi số quyết định sáp nhập, giải thể làm căn cứ.", "missing_decision_no")
    if len(decision_no) > MAX_DECISION_NO:
        raise Invalid(f"Số quyết định ghi tối đa {MAX_DECISION_NO} ký tự.", "bad_decision_no")
    earliest, latest = today - timedelta(days=BEHIND_DAYS), today + timedelta(days=AHEAD_DAYS)
    if not earliest <= req.effective_on <= latest:
        raise Invalid(f"Ngày quyết định có hiệu lực phải từ {earliest:%d/%m/%Y} đến {latest:%d/%m/%Y}.",
                      "bad_effective_on")
    return decision_no


async def _check_units(old: Unit, successor: Unit, on: date, *, session: AsyncSession) -> set[int]:
    """The old unit's subtree, once the pair is acceptable on that date."""
    if successor.id == old.id:
        raise Invalid("Đơn vị tiếp nhận trùng với đơn vị bị sáp nhập.", "same_unit")
    if closed(old, on):
        raise Conflict(f"Đơn vị «{old.name}» đã giải thể hoặc sáp nhập"
                       f"{f' từ {old.valid_to + timedelta(days=1):%d/%m/%Y}' if old.valid_to else ''}.",
                       "unit_closed")
    if old.valid_from is not None and old.valid_from >= on:
        raise Invalid(f"Đơn vị «{old.name}» có hiệu lực từ {old.valid_from:%d/%m/%Y}; ngày sáp nhập phải sau ngày đó.",
                      "bad_effective_on")
    subtree = await org.subtree_ids({old.id}, session=session)
    if successor.id in subtree:
        raise Invalid(f"Đơn vị tiếp nhận «{successor.name}» trực thuộc đơn vị bị sáp nhập; chọn đơn vị ngoài "
                      "đơn vị đó.", "successor_inside")
    if closed(successor, on):
        raise Invalid(f"Đơn vị tiếp nhận «{successor.name}» đã giải thể hoặc sáp nhập, không còn tiếp nhận hồ sơ.",
                      "successor_closed")
    if successor.valid_from is not None and successor.valid_from > on:
        raise Invalid(f"Đơn vị tiếp nhận «{successor.name}» chỉ có hiệu lực từ {successor.valid_from:%d/%m/%Y}.",
                      "successor_not_yet_valid")
    return subtree


async def _refuse_overlap(old: Unit, successor: Unit, subtree: set[int], *, session: AsyncSession) -> None:
    """A running merger touching the same units: the old unit is already being merged (it, a unit above or a unit
    below it), the successor is being merged itself, or people are being moved into the old unit."""
    for running in (await session.execute(select(Merger).where(Merger.status == "running"))).scalars():
        theirs = await org.subtree_ids({running.from_unit_id}, session=session)
        if old.id in theirs or running.from_unit_id in subtree:
            raise Conflict(f"Đơn vị «{old.name}» đang trong một đợt sáp nhập chưa hoàn tất (số {running.id}).",
                           "merger_in_progress", merger_id=running.id, workflow_id=running.workflow_id)
        if successor.id in theirs:
            raise Conflict(f"Đơn vị tiếp nhận «{successor.name}» đang bị sáp nhập (đợt số {running.id}).",
                           "successor_merging", merger_id=running.id, workflow_id=running.workflow_id)
        if running.to_unit_id in subtree:
            raise Conflict(f"Đơn vị «{old.name}» đang tiếp nhận người từ đợt sáp nhập số {running.id}; chờ đợt đó "
                           "hoàn tất.", "unit_receiving", merger_id=running.id, workflow_id=running.workflow_id)


def _to_move(merger: Merger, units: set[int]):
    """The people this merger has still to move: in the old unit or below, not archived, not moved by it yet."""
    already = exists().where(MergerMove.merger_id == merger.id, MergerMove.person_id == Person.id)
    return select(Person).where(Person.unit_id.in_(units), Person.status.in_(MOVED_STATUSES), ~already)


async def _count(query, *, session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()


async def start(client: Client, task_queue: str, viewer: Viewer, req: MergerRequest, *, session: AsyncSession,
                today: date, batch_size: int = BATCH_SIZE, batches_per_run: int = BATCHES_PER_RUN) -> Merger:
    """Check the request, store the merger and start its workflow, as one step: nothing half-saved."""
    permissions.require(viewer, permissions.ADMINISTERS)
    decision_no = _check_request(req, today)
    old = await _unit(req.from_unit_id, "Đơn vị bị sáp nhập", session=session)
    successor = await _unit(req.to_unit_id, "Đơn vị tiếp nhận", session=session)
    # concurrent starts wait here, then see each other's committed merger
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=MERGER_STARTS_LOCK))
    subtree = await _check_units(old, successor, req.effective_on, session=session)
    await _refuse_overlap(old, successor, subtree, session=session)
    merger = Merger(from_unit_id=old.id, to_unit_id=successor.id, effective_on=req.effective_on,
                    decision_no=decision_no, created_by_id=viewer.user_id)
    session.add(merger)
    await session.flush()
    merger.workflow_id = workflow_id(merger.id)
    merger.total = await _count(_to_move(merger, subtree), session=session)
    await audit.record(actor=viewer.username, action="merger.started", subject=f"unit:{old.id}", merger=merger.id,
                       to_unit_id=successor.id, effective_on=req.effective_on.isoformat(), decision_no=decision_no,
                       units=sorted(subtree), people=merger.total, session=session)
    await session.flush()
    inp = MergerInput(merger_id=merger.id, from_unit_id=old.id, to_unit_id=successor.id,
                      effective_on=req.effective_on.isoformat(), batch_size=batch_size,
                      batches_per_run=batches_per_run)
    try:
        await client.start_workflow("UnitMerger", inp, id=merger.workflow_id, task_queue=task_queue,
                                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
    except RPCError as err:
        raise Unavailable("Hệ thống quy trình tạm thời không phản hồi; chưa có gì được lưu, vui lòng thử lại.",
                          "workflow_unavailable") from err
    cancel_if_not_saved(client, session, merger.workflow_id)
    return merger


# ---- reading --------------------------------------------------------------------------------------

def mergers_query(viewer: Viewer):
    """The mergers this viewer may read: all for the province roles; for a unit's HR and head, those from or to a
    unit in their scope."""
    query = select(Merger)
    if viewer.unit_scope is None:
        return query
    units = viewer.unit_scope or {-1}
    return query.where(or_(Merger.from_unit_id.in_(units), Merger.to_unit_id.in_(units)))


async def readable_merger(viewer: Viewer, merger_id: int, *, session: AsyncSession) -> Merger:
    merger = (await session.execute(mergers_query(viewer).where(Merger.id == merger_id))).scalars().first()
    if merger is None:
        raise NotFound("Không tìm thấy đợt sáp nhập hoặc đợt sáp nhập nằm ngoài phạm vi của bạn.", "merger_not_found")
    return merger


async def list_mergers(viewer: Viewer, *, session: AsyncSession) -> list[Merger]:
    query = mergers_query(viewer).order_by(Merger.created_at.desc(), Merger.id.desc())
    return list((await session.execute(query)).scalars())


async def affected_units(merger: Merger, *, session: AsyncSession) -> list[Unit]:
    """The old unit and its sub-units (closed with the successor once the merger is done), by code."""
    units = await org.subtree_ids({merger.from_unit_id}, session=session)
    return list((await session.execute(select(Unit).where(Unit.id.in_(units)).order_by(Unit.code))).scalars())


async def units_for_choice(*, session: AsyncSession) -> list[tuple[Unit, int]]:
    """The unit tree (unit, depth) for the form; closed units are marked by the page and refused by `start`."""
    return await admin.unit_tree(session=session)


# ---- the workflow's steps (activities/mergers.py) ---------------------------------------------------

async def _locked(merger_id: int, *, session: AsyncSession) -> Merger:
    """The merger, locked for this transaction: two attempts of a batch never run side by side."""
    merger = (await session.execute(select(Merger).where(Merger.id == merger_id).with_for_update())).scalars().first()
    if merger is None:  # the request that starts the workflow commits right after starting it: try again
        raise LookupError(f"merger {merger_id} not committed yet")
    return merger


async def _actor(merger: Merger, *, session: AsyncSession) -> str:
    username = (await session.execute(select(User.username).where(User.id == merger.created_by_id))).scalar()
    return username or "system"


async def move_batch(merger_id: int, limit: int, *, session: AsyncSession, beat=lambda: None) -> MergerProgress:
    """Move up to `limit` people not yet moved by this merger, each with their merger_moves row; update the
    progress (moved, total) the page reads. `beat` is called after each person (the activity's heartbeat)."""
    merger = await _locked(merger_id, session=session)
    if merger.status == "done":
        return MergerProgress(moved=0, total_moved=merger.moved, remaining=0)
    units = await org.subtree_ids({merger.from_unit_id}, session=session)
    batch = list((await session.execute(_to_move(merger, units).order_by(Person.id).limit(max(1, limit))
                                        .with_for_update())).scalars())
    actor = await _actor(merger, session=session)
    for person in batch:
        from_unit_id = person.unit_id
        current = await placements.open_placement(person.id, session=session)
        on = max(merger.effective_on, current.from_on) if current is not None else merger.effective_on
        await placements.move(person, merger.to_unit_id, on, session=session, actor=actor, merger_id=merger.id)
        session.add(MergerMove(merger_id=merger.id, person_id=person.id, from_unit_id=from_unit_id))
        beat()
    await session.flush()
    moved = (await session.execute(select(func.count()).select_from(MergerMove)
                                   .where(MergerMove.merger_id == merger.id))).scalar_one()
    remaining = await _count(_to_move(merger, units), session=session)
    merger.moved, merger.total = moved, moved + remaining
    return MergerProgress(moved=len(batch), total_moved=moved, remaining=remaining)


async def finish(merger_id: int, *, session: AsyncSession, now: datetime) -> int:
    """Close the old unit and its sub-units (valid to the day before the date, successor set) and mark the merger
    done; if someone arrived in them since the last batch, close nothing and return how many are left."""
    merger = await _locked(merger_id, session=session)
    if merger.status == "done":
        return 0
    units = await org.subtree_ids({merger.from_unit_id}, session=session)
    remaining = await _count(_to_move(merger, units), session=session)
    if remaining:
        merger.total = merger.moved + remaining
        return remaining
    last_day = merger.effective_on - timedelta(days=1)
    actor = await _actor(merger, session=session)
    rows = (await session.execute(select(Unit).where(Unit.id.in_(units)).order_by(Unit.id).with_for_update()))
    for unit in rows.scalars():
        if unit.successor_id is not None:
            continue  # closed before, towards its own successor
        valid_to = min(unit.valid_to, last_day) if unit.valid_to is not None else last_day
        if unit.valid_from is not None:
            valid_to = max(valid_to, unit.valid_from)
        await audit.record(actor=actor, action="unit.merged", subject=f"unit:{unit.id}", merger=merger.id,
                           successor_id=merger.to_unit_id, old_valid_to=unit.valid_to and unit.valid_to.isoformat(),
                           valid_to=valid_to.isoformat(), session=session)
        unit.valid_to, unit.successor_id = valid_to, merger.to_unit_id
    merger.status, merger.finished_at, merger.total = "done", now, merger.moved
    await audit.record(actor=actor, action="merger.done", subject=f"unit:{merger.from_unit_id}", merger=merger.id,
                       moved=merger.moved, session=session)
    await session.flush()
    return 0

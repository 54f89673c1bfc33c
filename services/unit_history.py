"""A person's unit history as people read it (the person page and GET /api/people/{id}): each placement with its
unit, how the person came there (hire, transfer, the unit's merger with its decision) and, for a unit that has
since closed, the day it ended and its successor."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Merger, Transfer, Unit
from models.transfers import TRANSFER_KINDS
from services import placements
from services.scope import Viewer, readable_person

HOW = {"hire": "Tuyển dụng, tiếp nhận", "merger": "Sáp nhập đơn vị"}


@dataclass
class UnitPeriod:
    unit_id: int
    unit_code: str
    unit_name: str
    from_on: date
    to_on: date | None
    how: str                 # "hire", "merger" or a TRANSFER_KINDS key
    how_label: str
    decision_no: str | None  # the transfer's or the merger's decision
    transfer_id: int | None
    merger_id: int | None
    unit_valid_to: date | None  # the unit's last day (a closed unit's, or one planned)
    successor_id: int | None
    successor_name: str | None


async def of(viewer: Viewer, person_id: int, *, session: AsyncSession) -> list[UnitPeriod]:
    """Oldest first; 404 outside the viewer's scope, as the person."""
    person = await readable_person(viewer, person_id, session=session)
    rows = await placements.history(person.id, session=session)
    transfers = {t.id: t for t in (await session.execute(select(Transfer).where(
        Transfer.id.in_({p.transfer_id for p, _ in rows if p.transfer_id} or {-1})))).scalars()}
    mergers = {m.id: m for m in (await session.execute(select(Merger).where(
        Merger.id.in_({p.merger_id for p, _ in rows if p.merger_id} or {-1})))).scalars()}
    successors = dict((await session.execute(select(Unit.id, Unit.name).where(
        Unit.id.in_({u.successor_id for _, u in rows if u.successor_id} or {-1})))).all())
    periods = []
    for placement, unit in rows:
        merger, transfer = mergers.get(placement.merger_id), transfers.get(placement.transfer_id)
        if merger is not None:
            how, decision_no = "merger", merger.decision_no
        elif transfer is not None:
            how, decision_no = transfer.kind, transfer.decision_no
        else:
            how, decision_no = "hire", None
        periods.append(UnitPeriod(
            unit_id=unit.id, unit_code=unit.code, unit_name=unit.name, from_on=placement.from_on,
            to_on=placement.to_on, how=how, how_label=HOW.get(how) or TRANSFER_KINDS.get(how, how),
            decision_no=decision_no, transfer_id=placement.transfer_id, merger_id=placement.merger_id,
            unit_valid_to=unit.valid_to,
            successor_id=unit.successor_id, successor_name=successors.get(unit.successor_id)))
    return periods

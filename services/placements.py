"""Where a record belongs: the one move that changes a person's unit, and the unit history it leaves.

Every change of unit (a transfer's handover, a merger) goes through `move`: the person's unit, their
login's unit and the open placement change together, so at every moment a person belongs to exactly
one unit and the scope of who sees the record switches at that instant (services/scope.py reads
people.unit_id).
"""
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Person, Placement, Unit, User
from services import audit


async def move(person: Person, to_unit_id: int, on: date, *, session: AsyncSession, actor: str,
               transfer_id: int | None = None, merger_id: int | None = None) -> Placement:
    """Move the record to `to_unit_id` from day `on`: close the open placement, open the new one."""
    from_unit_id = person.unit_id
    current = await open_placement(person.id, session=session)
    if current is not None:
        current.to_on = max(current.from_on, on - timedelta(days=1))
    placement = Placement(person_id=person.id, unit_id=to_unit_id, from_on=on, transfer_id=transfer_id,
                          merger_id=merger_id)
    session.add(placement)
    person.unit_id = to_unit_id
    user = (await session.execute(select(User).where(User.person_id == person.id))).scalars().first()
    if user is not None:
        user.unit_id = to_unit_id
    await audit.record(actor=actor, action="person.moved", subject=f"person:{person.id}", from_unit_id=from_unit_id,
                       to_unit_id=to_unit_id, on=on.isoformat(), transfer=transfer_id, merger=merger_id,
                       session=session)
    await session.flush()
    return placement


async def close(person: Person, on: date, *, session: AsyncSession) -> None:
    """The person left the service on `on`: their last placement ends that day."""
    current = await open_placement(person.id, session=session)
    if current is not None:
        current.to_on = max(current.from_on, on)


async def open_placement(person_id: int, *, session: AsyncSession) -> Placement | None:
    return (await session.execute(select(Placement).where(
        Placement.person_id == person_id, Placement.to_on.is_(None)).order_by(Placement.id.desc()))).scalars().first()


async def history(person_id: int, *, session: AsyncSession) -> list[tuple[Placement, Unit]]:
    """The person's units, oldest first (callers check the viewer may read the person)."""
    rows = await session.execute(select(Placement, Unit).join(Unit, Unit.id == Placement.unit_id)
                                 .where(Placement.person_id == person_id).order_by(Placement.from_on, Placement.id))
    return [(placement, unit) for placement, unit in rows]

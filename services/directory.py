"""Sở Nội vụ's directory: the accounts with their roles, and the working calendar's overrides.
Nothing here commits: the caller's unit of work does."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import CalendarOverride, RoleGrant, User
from services import audit
from services.errors import Invalid


@dataclass
class OverrideInput:
    """A day the government adds off or declares worked, with the document that says so."""
    day: date
    working: bool
    source: str
    note: str = ""


async def users_with_roles(*, session: AsyncSession) -> list[tuple[User, list[str]]]:
    """Every account by username, with its role codes sorted (`person` for a person's own account)."""
    users = (await session.execute(select(User).order_by(User.username))).scalars().all()
    roles: dict[int, set[str]] = {}
    for grant in (await session.execute(select(RoleGrant))).scalars():
        roles.setdefault(grant.user_id, set()).add(grant.role)
    for user in users:
        if user.person_id is not None:
            roles.setdefault(user.id, set()).add("person")
    return [(user, sorted(roles.get(user.id, ()))) for user in users]


async def calendar_overrides(*, session: AsyncSession) -> list[CalendarOverride]:
    return list((await session.execute(select(CalendarOverride).order_by(CalendarOverride.day))).scalars())


async def save_override(*, session: AsyncSession, override: OverrideInput, actor: str) -> CalendarOverride:
    """Add or replace the day's override; it applies to deadlines computed from now on."""
    source = override.source.strip()
    if len(source) < 5:
        raise Invalid("Ghi rõ văn bản làm căn cứ (số, ngày).", "missing_source")
    if len(source) > 255:
        raise Invalid("Văn bản làm căn cứ ghi tối đa 255 ký tự.", "bad_source")
    row = await session.get(CalendarOverride, override.day)
    if row is None:
        row = CalendarOverride(day=override.day, working=override.working, source=source, note=override.note,
                               created_by=actor)
        session.add(row)
    else:
        row.working, row.source, row.note = override.working, source, override.note
    await audit.record(actor=actor, action="calendar.override", subject=f"day:{override.day}",
                       working=override.working, source=override.source, session=session)
    return row

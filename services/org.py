"""Units and the subtree queries every scope is built on."""
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models import Unit


async def subtree_ids(roots: set[int], *, session: AsyncSession) -> set[int]:
    """The given units and every unit below them."""
    if not roots:
        return set()
    rows = await session.execute(text(
        """
        WITH RECURSIVE tree(id) AS (
            SELECT id FROM units WHERE id = ANY(:roots)
            UNION SELECT u.id FROM units u JOIN tree t ON u.parent_id = t.id
        ) SELECT id FROM tree
        """
    ).bindparams(roots=list(roots)))
    return {row[0] for row in rows}


async def units_in(unit_ids: set[int] | None, *, session: AsyncSession) -> list[Unit]:
    query = select(Unit).order_by(Unit.code)
    if unit_ids is not None:
        query = query.where(Unit.id.in_(unit_ids or {-1}))
    return list((await session.execute(query)).scalars())


async def get_unit(unit_id: int, *, session: AsyncSession) -> Unit | None:
    return await session.get(Unit, unit_id)


async def ancestors(unit_id: int, *, session: AsyncSession) -> list[int]:
    """The unit and its parents, nearest first."""
    rows = await session.execute(text(
        """
        WITH RECURSIVE up(id, parent_id, depth) AS (
            SELECT id, parent_id, 0 FROM units WHERE id = :uid
            UNION SELECT u.id, u.parent_id, up.depth + 1 FROM units u JOIN up ON u.id = up.parent_id
        ) SELECT id FROM up ORDER BY depth
        """
    ).bindparams(uid=unit_id))
    return [row[0] for row in rows]




async def unit_names(*, session: AsyncSession) -> dict[int, str]:
    return dict((await session.execute(select(Unit.id, Unit.name))).all())

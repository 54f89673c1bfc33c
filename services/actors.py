"""Who acts for a role at a unit, who holds a written delegation, who is a task's candidate."""
from datetime import date

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models import Delegation, RoleGrant, TaskCandidate, User


NEAREST_HOLDERS = text("""
    WITH RECURSIVE up(id, parent_id, depth) AS (
        SELECT id, parent_id, 0 FROM units WHERE id = :unit_id
        UNION SELECT u.id, u.parent_id, up.depth + 1 FROM units u JOIN up ON u.id = up.parent_id
    ), held AS (
        SELECT g.user_id, up.depth FROM up JOIN role_grants g ON g.unit_id = up.id AND g.role = :role
        WHERE up.depth >= :from_depth
    )
    SELECT user_id, depth FROM held WHERE depth = (SELECT min(depth) FROM held)
""")  # the unit's chain and its nearest holders in one statement instead of one per level


_USER_OF_PERSON = select(User.id).where(User.person_id == bindparam("person_id"))  # built once: run at every step


async def actor_user_ids(role: str, unit_id: int, person_id: int | None, *, session: AsyncSession) -> dict[int, str]:
    """The users who act in `role` for a unit: its own holders, else the nearest ancestor's."""
    if role == "person":
        user = await user_of_person(person_id, session=session)
        return {user: "Chính cá nhân"} if user is not None else {}
    if role == "superior_hr":  # the higher authority that manages the unit (Kon Tum Đ11.2, Nghệ An Đ10.2)
        rows = await _nearest_holders("unit_hr", unit_id, 1, session=session)
        if rows:
            return {user_id: "Cán bộ tổ chức của cơ quan cấp trên quản lý" for user_id, _ in rows}
        rows = (await session.execute(select(RoleGrant.user_id).where(RoleGrant.role == "sonoivu_admin"))).all()
        return {row[0]: "Sở Nội vụ (đơn vị không có cơ quan cấp trên quản lý)" for row in rows}
    if role in ("unit_hr", "unit_head"):
        rows = await _nearest_holders(role, unit_id, 0, session=session)
        return {user_id: "Được giao tại đơn vị" if depth == 0 else "Được giao tại đơn vị cấp trên"
                for user_id, depth in rows}
    rows = (await session.execute(select(RoleGrant.user_id).where(RoleGrant.role == role))).all()
    return {row[0]: "Vai trò cấp tỉnh" for row in rows}


async def _nearest_holders(role: str, unit_id: int, from_depth: int, *, session: AsyncSession) -> list:
    """(user_id, depth) of the holders of `role` at the nearest unit, `from_depth` levels up or more, that has any."""
    params = {"unit_id": unit_id, "role": role, "from_depth": from_depth}
    return (await session.execute(NEAREST_HOLDERS, params)).all()


async def user_of_person(person_id: int | None, *, session: AsyncSession) -> int | None:
    """The login of a person's own record, if they have one."""
    if person_id is None:
        return None
    return (await session.execute(_USER_OF_PERSON, {"person_id": person_id})).scalar()


async def others(users: dict[int, str], unit_id: int, person_id: int | None, *, session: AsyncSession) -> dict[int, str]:
    """Nobody reviews or approves their own record: without the person's own login, and when that
    leaves nobody (HR's own CV), the unit's head (Sở Nội vụ hears of it if the task is late)."""
    own = await user_of_person(person_id, session=session)
    if own is None or own not in users:
        return users
    rest = {user: reason for user, reason in users.items() if user != own}
    if rest:
        return rest
    heads = await actor_user_ids("unit_head", unit_id, None, session=session)
    return {user: "Thay cán bộ tổ chức (hồ sơ của chính cán bộ tổ chức)" for user in heads if user != own}


async def delegate_ids(session: AsyncSession, unit_id: int, on: date) -> dict[int, str]:
    """The deputies holding a written delegation for the unit that is valid that day and not revoked."""
    rows = await session.execute(select(Delegation.delegate_id, Delegation.document_no).where(
        Delegation.unit_id == unit_id, Delegation.revoked_at.is_(None), Delegation.valid_from <= on,
        Delegation.valid_to >= on))
    return {user_id: f"Ủy quyền theo văn bản số {number}" for user_id, number in rows}


async def candidate_ids(task_id: int, *, session: AsyncSession) -> set[int]:
    """The users who may complete the task (watchers excluded)."""
    rows = await session.execute(select(TaskCandidate.user_id).where(
        TaskCandidate.task_id == task_id, TaskCandidate.can_complete))
    return {row[0] for row in rows}

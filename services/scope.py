"""Who sees what: one permission-aware scope per viewer, used by every read and write.

Province roles (Sở Nội vụ, auditor) see the whole province; unit HR and heads see their unit
and its subordinate units; a person sees only themself (Nghệ An Đ12.2; Quảng Ngãi Đ8).
"""
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Person, RoleGrant, Task, TaskCandidate, User
from models.accounts import PROVINCE_ROLES, UNIT_ROLES
from services import org
from services.errors import NotFound


@dataclass(frozen=True)
class Viewer:
    user_id: int
    username: str
    full_name: str
    unit_id: int | None
    person_id: int | None
    roles: frozenset[str]
    unit_grants: tuple[tuple[str, int], ...]
    unit_scope: frozenset[int] | None  # None: the whole province
    # each unit role → the units it counts for: where it was granted and the units below
    role_units: tuple[tuple[str, frozenset[int]], ...] = ()

    @property
    def province_wide(self) -> bool:
        return bool(self.roles & PROVINCE_ROLES)

    @property
    def read_only(self) -> bool:
        """The auditor (thanh tra) reads everything and writes nothing."""
        return self.roles == {"auditor"}

    def has(self, role: str) -> bool:
        return role in self.roles

    def has_at(self, role: str, unit_id: int | None) -> bool:
        """A unit role counts only for the units it was granted for (and those below them);
        a province role counts everywhere."""
        if role in PROVINCE_ROLES:
            return role in self.roles
        return any(held == role and unit_id in units for held, units in self.role_units)

    def sees_unit(self, unit_id: int) -> bool:
        return self.unit_scope is None or unit_id in self.unit_scope


async def load_viewer(user_id: int, *, session: AsyncSession) -> Viewer | None:
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    grants = list((await session.execute(select(RoleGrant).where(RoleGrant.user_id == user_id))).scalars())
    roles = {g.role for g in grants}
    if user.person_id is not None:
        roles.add("person")
    unit_grants = tuple((g.role, g.unit_id) for g in grants if g.role in UNIT_ROLES and g.unit_id)
    role_units = []
    for role in sorted({r for r, _ in unit_grants}):
        role_units.append((role, frozenset(await org.subtree_ids({u for r, u in unit_grants if r == role}, session=session))))
    role_units = tuple(role_units)
    scope = None if roles & PROVINCE_ROLES else frozenset().union(*(units for _, units in role_units))
    return Viewer(user.id, user.username, user.full_name, user.unit_id, user.person_id,
                  frozenset(roles), unit_grants, scope, role_units)


def people_query(viewer: Viewer):
    """Select of the people this viewer may read."""
    query = select(Person)
    if viewer.unit_scope is None:
        return query
    conditions = [Person.unit_id.in_(viewer.unit_scope or {-1})]
    if viewer.person_id is not None:
        conditions.append(Person.id == viewer.person_id)
    return query.where(or_(*conditions))


async def readable_person(viewer: Viewer, person_id: int, *, session: AsyncSession) -> Person:
    person = (await session.execute(people_query(viewer).where(Person.id == person_id))).scalars().first()
    if person is None:
        raise NotFound("Không tìm thấy hồ sơ hoặc hồ sơ nằm ngoài phạm vi của bạn.", "person_not_found")
    return person


def tasks_query(viewer: Viewer):
    """Select of the tasks this viewer may read: their unit scope, plus tasks they are candidate for."""
    query = select(Task)
    if viewer.unit_scope is None:
        return query
    mine = select(TaskCandidate.task_id).where(TaskCandidate.user_id == viewer.user_id)
    return query.where(or_(Task.unit_id.in_(viewer.unit_scope or {-1}), Task.id.in_(mine)))

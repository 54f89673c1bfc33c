"""Who sees what: one permission-aware scope per viewer, used by every read and write.

Province roles (Sở Nội vụ, auditor) see the whole province; unit HR and heads see their unit
and its subordinate units; a person sees only themself (Nghệ An Đ12.2; Quảng Ngãi Đ8).
"""
from dataclasses import dataclass

from sqlalchemy import ARRAY, Integer, Row, TextClause, any_, bindparam, or_, select, text, union
from sqlalchemy.ext.asyncio import AsyncSession

from models import Person, Task, TaskCandidate
from models.accounts import PROVINCE_ROLES, UNIT_ROLES
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


# The user, their grants and, per unit role, the units it counts for (the granted units and those below), in one
# round trip: every request loads its viewer. `who` is a select of one row (user_id, last_seen_at): the user by
# id, or the live session's (services/auth.session_viewer).
_VIEWER = """
    WITH RECURSIVE who AS ({who}),
    grants AS (SELECT role, unit_id FROM role_grants WHERE user_id = (SELECT user_id FROM who)),
    tree(role, id) AS (
        SELECT role, unit_id FROM grants WHERE unit_id IS NOT NULL AND role = ANY(:unit_roles)
        UNION SELECT tree.role, u.id FROM units u JOIN tree ON u.parent_id = tree.id)
    SELECT u.id, u.username, u.full_name, u.unit_id, u.person_id, who.last_seen_at,
           ARRAY(SELECT role FROM grants) AS grant_roles, ARRAY(SELECT unit_id FROM grants) AS grant_units,
           ARRAY(SELECT role FROM tree) AS tree_roles, ARRAY(SELECT id FROM tree) AS tree_units
    FROM who JOIN users u ON u.id = who.user_id WHERE u.is_active"""


def viewer_statement(who: str) -> TextClause:
    """The viewer's statement for `who` (see _VIEWER); its rows make a Viewer with viewer_of."""
    return text(_VIEWER.format(who=who)).bindparams(unit_roles=sorted(UNIT_ROLES))


_BY_ID = viewer_statement("SELECT CAST(:user_id AS integer) AS user_id, CAST(NULL AS timestamptz) AS last_seen_at")


def viewer_of(user: Row) -> Viewer:
    grants = list(zip(user.grant_roles, user.grant_units))
    roles = {role for role, _ in grants}
    if user.person_id is not None:
        roles.add("person")
    unit_grants = tuple((role, unit_id) for role, unit_id in grants if role in UNIT_ROLES and unit_id)
    below: dict[str, set[int]] = {}
    for role, unit_id in zip(user.tree_roles, user.tree_units):
        below.setdefault(role, set()).add(unit_id)
    role_units = tuple((role, frozenset(below[role])) for role in sorted(below))
    scope = None if roles & PROVINCE_ROLES else frozenset().union(*(units for _, units in role_units))
    return Viewer(user.id, user.username, user.full_name, user.unit_id, user.person_id,
                  frozenset(roles), unit_grants, scope, role_units)


async def load_viewer(user_id: int, *, session: AsyncSession) -> Viewer | None:
    """The active user's viewer; None for an unknown or inactive one."""
    user = (await session.execute(_BY_ID, {"user_id": user_id})).first()
    return viewer_of(user) if user is not None else None


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


# The viewer's values in the task scope's statements, which are built once per shape (tasks.py caches them).
VIEWER_ID = bindparam("viewer_id", type_=Integer)
UNIT_SCOPE = bindparam("unit_scope", type_=ARRAY(Integer))


def task_reach(viewer: Viewer) -> str:
    """"province" (every task) or "units" (the viewer's unit scope plus their candidacies)."""
    return "province" if viewer.unit_scope is None else "units"


def task_scope_params(viewer: Viewer) -> dict:
    return {"viewer_id": viewer.user_id, "unit_scope": sorted(viewer.unit_scope or ())}


def visible_task_ids(reach: str, *conditions):
    """Select of (id, due_at) of the tasks a viewer of this reach may read that meet `conditions` (on Task):
    their unit scope's tasks and those they are candidate for. A UNION, not an OR, so that each side uses its
    own index (the open tasks of the units; the viewer's candidacies) instead of a scan of the province's."""
    in_units = select(Task.id, Task.due_at).where(*conditions).correlate(None)
    if reach == "province":
        return in_units
    return union(in_units.where(Task.unit_id == any_(UNIT_SCOPE)), candidate_task_ids(*conditions))


def candidate_task_ids(*conditions):
    """Select of (id, due_at) of the tasks meeting `conditions` the viewer is candidate for (or watches)."""
    return (select(Task.id, Task.due_at).join(TaskCandidate, TaskCandidate.task_id == Task.id)
            .where(TaskCandidate.user_id == VIEWER_ID, *conditions).correlate(None))


def tasks_query(reach: str, *conditions):
    """Select of the tasks a viewer of this reach may read that meet `conditions`: their unit scope, plus tasks they
    are candidate for; the viewer's values are bound at execute (`task_scope_params`). Pass the conditions here
    rather than to the select, so that both sides of the scope use them."""
    visible = visible_task_ids(reach, *conditions).subquery()
    return select(Task).where(Task.id.in_(select(visible.c.id)))

"""Who may do what: the role lists of the pages and the API, and the checks tied to a unit.

A unit role counts only for the unit it was granted for and the units below it
(`Viewer.has_at`); a province role counts across the province.
"""
from services.errors import Forbidden
from services.scope import Viewer

SEES_UNIT_TASKS = ("unit_hr", "unit_head", "sonoivu_admin", "sonoivu_director", "auditor")
REGISTERS_HIRES = ("unit_hr", "sonoivu_admin")
SEES_APPROVALS = ("sonoivu_admin", "sonoivu_director", "auditor", "unit_head", "unit_hr")
RECORDS_DELEGATIONS = ("unit_head", "sonoivu_admin")
SEES_OUTBOX = ("sonoivu_admin", "auditor")
READS_ADMINISTRATION = ("sonoivu_admin", "auditor")
ADMINISTERS = ("sonoivu_admin",)


def may(viewer: Viewer, roles: tuple[str, ...]) -> bool:
    return any(viewer.has(role) for role in roles)


def require(viewer: Viewer, roles: tuple[str, ...]) -> None:
    if not may(viewer, roles):
        raise Forbidden("Bạn không có quyền thực hiện thao tác này.", "forbidden")


def is_hr_of(viewer: Viewer, unit_id: int | None) -> bool:
    """The unit's HR official (granted at the unit or above it)."""
    return viewer.has_at("unit_hr", unit_id)


def edits_record(viewer: Viewer, person) -> bool:
    """The person themself, or the HR official of the person's unit."""
    return viewer.person_id == person.id or is_hr_of(viewer, person.unit_id)


def sees_work_in_progress(viewer: Viewer, person) -> bool:
    """Revisions not yet approved: the person, their unit's HR, and the province level."""
    return edits_record(viewer, person) or viewer.province_wide

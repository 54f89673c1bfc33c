"""Who may do what: the role lists of the pages and the API, and the checks tied to a unit.

A unit role counts only for the unit it was granted for and the units below it
(`Viewer.has_at`); a province role counts across the province.
"""
from services import cv
from services.errors import Forbidden
from services.scope import Viewer

SEES_UNIT_TASKS = ("unit_hr", "unit_head", "sonoivu_admin", "sonoivu_director", "auditor")
REGISTERS_HIRES = ("unit_hr", "sonoivu_admin")
STARTS_TRANSFERS = ("unit_hr", "sonoivu_admin")  # a move, an arrival or a leaving (services/transfers.py)
SEES_APPROVALS = ("sonoivu_admin", "sonoivu_director", "auditor", "unit_head", "unit_hr")
RECORDS_DELEGATIONS = ("unit_head", "sonoivu_admin")
SEES_OUTBOX = ("sonoivu_admin", "auditor")
READS_ADMINISTRATION = ("sonoivu_admin", "auditor")
ADMINISTERS = ("sonoivu_admin",)
SEES_SENSITIVE_DATA = ("sonoivu_admin",)  # beyond the person and their unit's HR: see sees_sensitive
USES_TEMPORAL_CODEC = ("sonoivu_admin", "auditor")  # /codec: the Temporal Web UI decrypting workflow history


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


def sees_sensitive(viewer: Viewer, person) -> bool:
    """The sensitive CV items (services/cv.SENSITIVE_FIELDS: ethnicity, religion, ...; Nghị định 13/2023/NĐ-CP
    Điều 2.4) in clear: the person themself, the HR official of the person's unit and Sở Nội vụ's administrator.
    Heads, the director and the auditor see them masked (they sign and oversee, they need not know them)."""
    return edits_record(viewer, person) or may(viewer, SEES_SENSITIVE_DATA)


def shown_cv(viewer: Viewer, person, data: dict) -> dict:
    """The CV data as this viewer may see it: a copy, masked where sees_sensitive says no."""
    return dict(data) if sees_sensitive(viewer, person) else cv.masked(data)

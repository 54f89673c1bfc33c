"""Small read helpers shared by the pages (labels, names, deadline states)."""
from datetime import UTC, datetime, timedelta

from models import Task
from models.tasks import ESCALATION_LEVELS
from services import arrivals, catalogs, cv, moves, permissions
from services.scope import Viewer
from services.tasks import DUE_SOON_DAYS
from ui.formats import vn_date

def sees_unit_tasks(viewer: Viewer) -> bool:
    return permissions.may(viewer, permissions.SEES_UNIT_TASKS)


def may_hire(viewer: Viewer) -> bool:
    return permissions.may(viewer, permissions.REGISTERS_HIRES)


def deadline_state(task: Task, now: datetime | None = None) -> str:
    """'done', 'overdue', 'due_soon' or 'ok': drives the colour of a row."""
    now = now or datetime.now(UTC)
    if task.status != "open":
        return "done"
    if task.due_at is None:
        return "ok"
    if task.due_at < now:
        return "overdue"
    if task.due_at < now + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return "ok"


def escalation_label(task: Task) -> str:
    return ESCALATION_LEVELS.get(task.escalation_level, str(task.escalation_level))


CV_DATE_FIELDS = ("date_of_birth", "citizen_id_issued_on", "salary_from")


def cv_rows(data: dict) -> list[dict]:
    """The CV as (label, shown value) rows in the order of the form; work history kept as a list."""
    rows = []
    for name, (label, required) in cv.FIELDS.items():
        value = data.get(name)
        if name == "work_history":
            rows.append({"name": name, "label": label, "history": value if isinstance(value, list) else []})
            continue
        if name == "sex":
            value = cv.SEX.get(value, value)
        elif name in CV_DATE_FIELDS:
            value = vn_date(value)
        elif name == "grade_code" and value in catalogs.GRADES:
            value = f"{value} — {catalogs.GRADES[value][0]}"
        rows.append({"name": name, "label": label, "value": "" if value is None else str(value),
                     "required": required, "masked": name in cv.SENSITIVE_FIELDS and value == cv.MASKED})
    return rows


# ---- records: updates, revisions, approvals ---------------------------------------------------

# The CV fields an update form offers (TT 06/2023 items that change over a career).
UPDATE_FIELDS = ("residence", "phone", "other_names", "general_education", "qualification", "political_theory",
                 "position", "grade_code", "grade_name", "salary_step", "salary_coefficient", "salary_from")
REVISION_KINDS = {"onboarding": "Lập hồ sơ lần đầu", "update_personal": "Cá nhân cập nhật thông tin",
                  "update_state_decision": "Cập nhật theo quyết định", "import": "Chuyển từ hệ thống cũ",
                  **moves.REVISION_KINDS, **arrivals.REVISION_KINDS}
APPROVAL_STATES = {"on_time": "Đúng hạn", "late": "Trễ hạn", "pending": "Đang chờ ký", "none": "Chưa có hồ sơ",
                   "waiting": "Chưa đến kỳ phê duyệt", "closed": "Đã đóng, không có hồ sơ"}


def cv_value(name: str, value) -> str:
    """One CV value as shown to people (dates dd/mm/yyyy, sex and grade by name, history as lines)."""
    if value in (None, "", []):
        return ""
    if isinstance(value, list):
        return "; ".join(f"{p.get('from', '')}–{p.get('to', '')}: {p.get('description', '')}"
                         for p in value if isinstance(p, dict))
    if name == "sex":
        return cv.SEX.get(value, str(value))
    if name in CV_DATE_FIELDS:
        return vn_date(value)
    if name == "grade_code" and value in catalogs.GRADES:
        return f"{value} — {catalogs.GRADES[value][0]}"
    return str(value)


def may_see_approvals(viewer: Viewer) -> bool:
    return permissions.may(viewer, permissions.SEES_APPROVALS)


def may_delegate(viewer: Viewer) -> bool:
    return permissions.may(viewer, permissions.RECORDS_DELEGATIONS)


def may_see_sync(viewer: Viewer) -> bool:
    return permissions.may(viewer, permissions.SEES_OUTBOX)

"""The inbox: my tasks and my unit's tasks, by due date, with the latest notifications."""
import math
from datetime import UTC, datetime

from fastapi import APIRouter, Request

from api.deps import CurrentUser, SessionDep
from api.params import id_of
from rules.clock import local_date
from services import notify, org, people, scorecards, tasks
from ui.views import deadline_state, escalation_label, sees_unit_tasks
from ui.web import render

router = APIRouter(include_in_schema=False)
FILTERS = {"open": "Đang mở", "overdue": "Quá hạn", "due_soon": "Sắp đến hạn", "done": "Đã xong"}


@router.get("/")
async def inbox(request: Request, viewer: CurrentUser, session: SessionDep, scope: str = "mine",
                filter: str = "open", page: str = "1"):
    if scope not in ("mine", "unit") or not sees_unit_tasks(viewer):
        scope = "mine"
    if filter not in FILTERS:
        filter = "open"
    number = id_of(page) or 1
    listed = await tasks.inbox(viewer, scope=scope, status="done" if filter == "done" else "open",
                               overdue=filter == "overdue", due_soon=filter == "due_soon",
                               offset=(number - 1) * tasks.PAGE_SIZE, session=session)
    rows = listed.rows
    subjects = await people.names({t.subject_person_id for t in rows if t.subject_person_id}, session=session)
    units = await org.unit_names(session=session)
    now = datetime.now(UTC)
    items = [{"task": t, "assignees": t.assignees, "person": subjects.get(t.subject_person_id),
              "unit": units.get(t.unit_id, ""), "state": deadline_state(t, now), "escalation": escalation_label(t)}
             for t in rows]
    notes = await notify.unread(viewer.user_id, limit=8, session=session)
    return await render(request, "inbox/index.html", viewer=viewer, items=items, scope=scope, filter=filter,
                        filters=FILTERS, show_unit_tab=sees_unit_tasks(viewer), notes=notes,
                        paging=_paging(listed, number), overview=await _overview(viewer, session, now))


def _paging(listed: tasks.InboxPage, number: int) -> dict:
    """Where this page starts and ends among all the tasks, and the pages before and after (a page past the
    end leads back to the last one)."""
    end = listed.offset + len(listed.rows)
    pages = math.ceil(listed.total / listed.limit)
    return {"first": listed.offset + 1, "last": end, "total": listed.total,
            "previous": min(number - 1, pages) if number > 1 and pages else None,
            "next": number + 1 if end < listed.total and listed.rows else None}


async def _overview(viewer, session, now: datetime) -> dict | None:
    """The month's scorecard on the home page: the province's total for Sở Nội vụ, the unit's for a head."""
    month = f"{local_date(now):%Y-%m}"
    if viewer.province_wide:
        rows = [scorecards.totals(await scorecards.month(viewer, month, session=session, now=now), month)]
        rows[0].unit_name = "Toàn tỉnh"
        return {"title": f"Tuân thủ thời hạn toàn tỉnh tháng {month[5:]}/{month[:4]}", "rows": rows, "month": month}
    headed = {unit for role, unit in viewer.unit_grants if role == "unit_head"}
    if headed:
        rows = [s for s in await scorecards.month(viewer, month, session=session, now=now) if s.unit_id in headed]
        return {"title": f"Tuân thủ thời hạn của đơn vị tháng {month[5:]}/{month[:4]}", "rows": rows, "month": month}
    return None

"""Scorecards through the API, the pages and the home pages, on the dev server."""
import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from models import Task
from rules.clock import local_date
from rules.deadlines import due_datetime


async def _late_task(db, unit_id: int) -> str:
    today = local_date(datetime.now(UTC))
    due = today.replace(day=1)
    async with db.session() as session:
        session.add(Task(workflow_id="test/late", step_key="s", kind="self_entry", title="Việc trễ", unit_id=unit_id,
                         actor_role="person", rule="self_entry", profile="quang-ngai", profile_version="2025-01-01",
                         started_on=due, due_on=due, due_at=due_datetime(due), status="done",
                         completed_at=due_datetime(due) + timedelta(hours=1), escalation_level=1))
    return f"{today:%Y-%m}"


async def test_scorecards_api_pages_and_home(api, db, org):
    month = await _late_task(db, org.units["SYT"])
    inspector = await api("thanhtra")
    rows = (await inspector.get(f"/api/scorecards?month={month}")).json()
    syt = next(r for r in rows if r["unit_code"] == "SYT")
    assert (syt["due"], syt["on_time"], syt["late"], syt["escalated"], syt["on_time_rate"]) == (1, 0, 1, 1, 0.0)
    assert {"unit_id", "unit_code", "due", "on_time", "late", "open_overdue", "escalated", "on_time_rate"} <= set(syt)
    sheet = load_workbook(io.BytesIO((await inspector.get(f"/api/scorecards.xlsx?month={month}")).content)).active
    assert any(row[0] == "SYT" and row[5] == 1 for row in sheet.iter_rows(min_row=2, values_only=True))
    assert (await inspector.get("/api/scorecards?month=2026-13")).status_code == 422

    page = await inspector.get(f"/scorecards?month={month}")
    assert page.status_code == 200 and "<svg" in page.text and 'id="unit-SYT"' in page.text
    assert "cdn" not in page.text.lower()
    unit_page = await inspector.get(f"/scorecards/units/{org.units['SYT']}?month={month}")
    assert unit_page.status_code == 200 and "self_entry: 1" in unit_page.text
    home = await inspector.get("/")
    assert "Tuân thủ thời hạn toàn tỉnh" in home.text and "Toàn tỉnh" in home.text

    head = await api("head.syt")
    home = (await head.get("/")).text
    assert "Tuân thủ thời hạn của đơn vị" in home and "Sở Y tế" in home
    outsider = await api("hr.sgd")
    rows = (await outsider.get(f"/api/scorecards?month={month}")).json()
    assert "SYT" not in {r["unit_code"] for r in rows}
    assert (await outsider.get(f"/scorecards/units/{org.units['SYT']}?month={month}")).status_code == 404

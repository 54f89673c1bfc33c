"""Sở Nội vụ's audit of a person's workflows through the API and the pages, on the dev server."""
from datetime import UTC, datetime

from rules.clock import local_date
from tests.helpers import open_task

HIRE = {"full_name": "Trần Thị Bích", "sex": "nu", "date_of_birth": "1994-05-20", "citizen_id": "051194004321",
        "hired_on": None, "kind": "vien_chuc", "email": "bich@example.vn"}


async def test_person_workflows_and_history(api, db, org):
    hr = await api("hr.syt")
    body = {**HIRE, "unit_id": org.units["SYT"], "hired_on": local_date(datetime.now(UTC)).isoformat()}
    hired = (await hr.post("/api/hires", json=body)).json()
    person_id, wid = hired["person_id"], hired["workflow_id"]
    await open_task(db, wid, "create_account")

    inspector = await api("thanhtra")
    runs = (await inspector.get(f"/api/audit/people/{person_id}/workflows")).json()
    assert [(r["workflow_id"], r["type"], r["status"]) for r in runs] == [(wid, "Onboarding", "RUNNING")]
    history = await inspector.get(f"/api/audit/workflows/{wid}/history")
    assert history.status_code == 200, history.text
    events = history.json()["events"]
    assert events[0]["type"] == "WORKFLOW_EXECUTION_STARTED" and events[0]["reading"] == "Quy trình bắt đầu"
    assert any((e["reading"] or "").startswith("Mở nhiệm vụ (bước account)") for e in events)
    assert [t["kind"] for t in history.json()["tasks"]] == ["create_account"]

    page = await inspector.get(f"/people/{person_id}/workflows")
    assert page.status_code == 200 and "Tiếp nhận, lập hồ sơ mới" in page.text
    page = await inspector.get(f"/audit/workflows/{wid}")
    assert page.status_code == 200 and "Mở nhiệm vụ (bước account)" in page.text and "Diễn biến" in page.text
    assert "workflow-history-link" in (await inspector.get(f"/people/{person_id}")).text

    outsider = await api("hr.sgd")
    assert (await outsider.get(f"/api/audit/workflows/{wid}/history")).status_code == 404
    assert (await outsider.get(f"/api/audit/people/{person_id}/workflows")).status_code == 404
    assert (await inspector.get("/api/audit/workflows/onboarding/999999/history")).status_code == 404

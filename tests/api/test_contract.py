"""The HTTP contract of DESIGN.md, against the real dev server, worker and PostgreSQL."""
import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select, text

from models import Person
from rules.calendar import WorkingCalendar
from rules.clock import local_date
from tests.helpers import CITIZEN_ID, CV_VALID

# Hired today: the account's deadline (7 working days) is then always ahead, and the deadline arithmetic with
# fixed dates and holidays is checked through /api/deadline below.
HIRE = {"full_name": "Nguyễn Văn An", "sex": "nam", "date_of_birth": "1995-03-15", "citizen_id": CITIZEN_ID,
        "hired_on": local_date(datetime.now(UTC)).isoformat(), "kind": "cong_chuc", "email": "an@example.vn"}


async def poll(client, url: str, ready, tries: int = 100):
    """The workflow opens the next task a moment after the previous completes."""
    for _ in range(tries):
        body = (await client.get(url)).json()
        if ready(body):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never became ready")


async def open_task_of(client, kind: str, person_id: int, tries: int = 100) -> dict:
    for _ in range(tries):
        rows = (await client.get("/api/tasks", params={"scope": "unit"})).json()
        found = [t for t in rows if t["kind"] == kind and t["subject_person_id"] == person_id]
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {kind} task")


async def test_login_me_logout_and_lockout(api, db):
    """No lockout: five failures make the next attempt wait (429, Retry-After), and the right password
    gets in once the wait has passed."""
    client = await api("hr.syt")
    me = (await client.get("/api/me")).json()
    assert me["username"] == "hr.syt" and me["roles"] == ["unit_hr"] and me["unit_id"]
    assert (await client.post("/api/auth/logout")).status_code == 200
    assert (await client.get("/api/me")).status_code == 401

    anonymous = await api()
    for _ in range(5):
        bad = await anonymous.post("/api/auth/login", json={"username": "hr.sgd", "password": "sai"})
        assert bad.status_code == 401 and bad.json()["code"] == "bad_credentials"
    from tests.conftest import PASSWORD
    async with db.session() as session:  # the 1 s delay runs from now, however slow the machine
        await session.execute(text("UPDATE login_throttle SET blocked_until = now() + interval '1 second' "
                                   "WHERE key = 'user:hr.sgd'"))
    delayed = await anonymous.post("/api/auth/login", json={"username": "hr.sgd", "password": PASSWORD})
    assert delayed.status_code == 429 and delayed.headers["retry-after"] == "1"
    assert delayed.json()["code"] == "login_delayed" and "đợi 1 giây" in delayed.json()["detail"]
    async with db.session() as session:  # the second has passed
        await session.execute(text("UPDATE login_throttle SET blocked_until = now() - interval '1 second' "
                                   "WHERE key = 'user:hr.sgd'"))
    assert (await anonymous.post("/api/auth/login", json={"username": "hr.sgd", "password": PASSWORD})).status_code == 200
    async with db.session() as session:  # the success cleared the account's count (loopback has none)
        assert (await session.execute(text("SELECT count(*) FROM login_throttle"))).scalar() == 0


async def test_units_and_users_follow_scope(api, org):
    hr = await api("hr.syt")
    codes = {u["code"] for u in (await hr.get("/api/units")).json()}
    assert codes == {"SYT", "SYT-DS", "SYT-BV", "SYT-VP", "SYT-NVY"}
    admin = await api("sonoivu")
    assert len((await admin.get("/api/units")).json()) == len(org.units)
    users = (await admin.get("/api/admin/users")).json()
    assert {"username": "sonoivu", "full_name": "Quản trị Sở Nội vụ", "roles": ["sonoivu_admin"],
            "unit_id": org.units["SNV"]} in users
    forbidden = await hr.get("/api/admin/users")
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"


async def test_hire_then_tasks_timeline_and_completion(api, org, db):
    hr = await api("hr.syt")
    created = await hr.post("/api/hires", json={**HIRE, "unit_id": org.units["SYT"]})
    assert created.status_code == 201, created.text
    person_id = created.json()["person_id"]
    assert created.json()["workflow_id"] == f"onboarding/{person_id}"

    again = await hr.post("/api/hires", json={**HIRE, "unit_id": org.units["SYT"]})
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_hire" and str(person_id) in again.json()["detail"]
    assert again.json()["person_id"] == person_id

    task = await open_task_of(hr, "create_account", person_id)
    account_due = WorkingCalendar().add_working_days(datetime.fromisoformat(HIRE["hired_on"]).date(), 7).isoformat()
    assert task["due_on"] == account_due
    assert task["due_at"].endswith("+07:00") and "Điều 5 khoản 2" in task["legal_basis"]
    assert task["assignee"] == "hr.syt" and task["escalation_level"] == 0 and task["status"] == "open"
    mine = (await hr.get("/api/tasks", params={"scope": "mine"})).json()
    assert [t["id"] for t in mine] == [task["id"]]

    detail = (await hr.get(f"/api/tasks/{task['id']}")).json()
    assert detail["outcomes"] == ["done"] and "username" in detail["data"]["done"]

    head = await api("head.syt")
    foreign = await head.post(f"/api/tasks/{task['id']}/complete", json={"outcome": "done", "data": {"username": "x.y"}})
    assert foreign.status_code == 403 and foreign.json()["code"] == "not_your_task"
    other_unit = await api("hr.sgd")
    assert (await other_unit.get(f"/api/tasks/{task['id']}")).status_code == 404

    done = await hr.post(f"/api/tasks/{task['id']}/complete", json={"outcome": "done", "data": {"username": "an.nguyenvan"}})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "done" and body["activation"]["username"] == "an.nguyenvan"
    code = body["activation"]["code"]
    stale = await hr.post(f"/api/tasks/{task['id']}/complete", json={"outcome": "done", "data": {"username": "an.nguyenvan"}})
    assert stale.status_code == 409 and stale.json()["code"] == "task_not_open"

    person = await api()
    activated = await person.post("/api/auth/activate", json={"username": "an.nguyenvan", "code": code,
                                                               "password": "mat-khau-rieng"})
    assert activated.status_code == 200
    me = (await person.get("/api/me")).json()
    assert me["roles"] == ["person"]
    entry = await poll(person, "/api/tasks", lambda rows: rows)
    assert [t["kind"] for t in entry] == ["self_entry"]

    invalid = await person.put(f"/api/people/{person_id}/cv", json={**CV_VALID, "salary_coefficient": "2.67"})
    assert invalid.status_code == 200  # a draft keeps anything
    refused = await person.post(f"/api/tasks/{entry[0]['id']}/complete", json={"outcome": "submit"})
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_cv"
    assert "salary_coefficient" in refused.json()["errors"] and "2.34" in refused.json()["detail"]
    await person.put(f"/api/people/{person_id}/cv", json={"salary_coefficient": "2.34"})
    submitted = await person.post(f"/api/tasks/{entry[0]['id']}/complete", json={"outcome": "submit"})
    assert submitted.status_code == 200, submitted.text

    review = await open_task_of(hr, "review_entry", person_id)
    no_reason = await hr.post(f"/api/tasks/{review['id']}/complete", json={"outcome": "return", "data": {}})
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "missing_comment"
    accepted = await hr.post(f"/api/tasks/{review['id']}/complete", json={"outcome": "accept"})
    assert accepted.status_code == 200

    timeline = (await person.get(f"/api/people/{person_id}/timeline")).json()
    assert [s["kind"] for s in timeline] == ["create_account", "self_entry", "review_entry"]
    assert all(s["status"] == "done" and s["done_at"] for s in timeline)
    assert timeline[0]["actor"] == "hr.syt" and timeline[1]["actor"] == "an.nguyenvan"
    assert timeline[0]["on_time"] is True and timeline[0]["due_on"] == account_due
    for _ in range(50):
        if (await person.get(f"/api/people/{person_id}")).json()["status"] == "active":
            break
        await asyncio.sleep(0.1)
    record = (await person.get(f"/api/people/{person_id}")).json()
    assert record["status"] == "active" and record["cv"] is None  # nothing approved yet
    assert record["working"]["status"] == "ready"


async def test_bad_hires_get_vietnamese_reasons_and_nothing_is_saved(api, org, db):
    hr = await api("hr.syt")
    cases = [
        ({"citizen_id": "12345"}, 422, "bad_citizen_id", "12 chữ số"),
        ({"citizen_id": "999095001234"}, 422, "bad_citizen_id", "Mã tỉnh"),
        ({"citizen_id": "051195001234"}, 422, "bad_citizen_id", "giới tính"),
        ({"date_of_birth": "2030-01-01"}, 422, "bad_birth_date", "tương lai"),
        ({"date_of_birth": "2012-01-01", "citizen_id": "051212001234"}, 422, "bad_birth_date", "18 tuổi"),
        ({"unit_id": 999999}, 422, "unknown_unit", "Đơn vị không tồn tại"),
        ({"unit_id": org.units["SGD"]}, 403, "unit_out_of_scope", "phạm vi"),
        ({"sex": "khac"}, 422, "bad_sex", "Giới tính"),
        ({"date_of_birth": "15/03/1995"}, 422, "invalid_request", "ngày sinh"),
    ]
    for change, status, code, words in cases:
        response = await hr.post("/api/hires", json={**HIRE, "unit_id": org.units["SYT"], **change})
        assert response.status_code == status, (change, response.text)
        assert response.json()["code"] == code and words in response.json()["detail"], response.json()
    async with db.session() as session:
        assert (await session.execute(select(func.count(Person.id)))).scalar_one() == 0


async def test_people_scope_and_search(api, org):
    hr = await api("hr.syt")
    first = (await hr.post("/api/hires", json={**HIRE, "unit_id": org.units["SYT"]})).json()
    other = await api("hr.sgd")
    second = (await other.post("/api/hires", json={**HIRE, "full_name": "Đặng Thị Ánh", "sex": "nu",
                                                    "citizen_id": "051195004321", "unit_id": org.units["SGD"]})).json()
    assert (await hr.get(f"/api/people/{second['person_id']}")).status_code == 404
    assert (await hr.get(f"/api/people/{second['person_id']}/timeline")).status_code == 404
    for query in ("nguyen van an", "Nguyễn Văn", "an", CITIZEN_ID[:6]):
        found = (await hr.get("/api/search", params={"q": query})).json()
        assert [p["id"] for p in found] == [first["person_id"]], query
    admin = await api("thanhtra")
    assert {p["id"] for p in (await admin.get("/api/search", params={"q": "dang thi anh"})).json()} == {second["person_id"]}
    assert (await admin.get("/api/search", params={"status": "archived"})).json() == []


async def test_deadline_endpoint(api):
    client = await api()
    ok = (await client.get("/api/deadline", params={"profile": "quang-ngai", "rule": "account_creation",
                                                     "start": "2026-02-10"})).json()
    assert ok["due"] == "2026-02-26" and "Điều 5 khoản 2" in ok["legal_basis"]
    assert ok["rule"] == "account_creation" and ok["profile"] == "quang-ngai"
    monthly = (await client.get("/api/deadline", params={"profile": "hai-phong", "rule": "monthly_approval",
                                                          "start": "2026-02-03"})).json()
    assert monthly["due"] == "2026-02-28" and monthly["opens"] == "2026-02-24"
    bad_profile = await client.get("/api/deadline", params={"profile": "ha-noi", "rule": "self_entry", "start": "2026-02-10"})
    assert bad_profile.status_code == 422 and "quang-ngai" in bad_profile.json()["detail"]
    bad_rule = await client.get("/api/deadline", params={"profile": "binh-dinh", "rule": "monthly_approval",
                                                          "start": "2026-02-10"})
    assert bad_rule.status_code == 422 and "self_entry" in bad_rule.json()["detail"]


async def test_healthz(api):
    client = await api()
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"database": "ok", "temporal": "ok", "worker": "ok"}

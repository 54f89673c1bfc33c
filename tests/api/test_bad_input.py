"""No 500s on bad input (issue 8, item 6): the cases schemathesis found, kept as plain regressions, and the
refusals that only a race or a database constraint can reach."""
import asyncio

import pytest
import sqlalchemy.exc
from fastapi import APIRouter
from httpx import ASGITransport, AsyncClient

from api.main import create_app
from api.params import MAX_ID, id_of, storable
from core.config import Settings
from services import people
from tests.api.test_contract import HIRE, open_task_of


def test_storable_text_and_ascii_ids():
    assert storable("Nguyễn Văn An 😀") and storable("")
    assert not storable("a\x00b") and not storable("\ud800") and not storable("x\udfff")
    assert id_of("12") == 12 and id_of(" 7 ") == 7 and id_of(str(MAX_ID)) == MAX_ID
    for bad in ("²", "٣", "１", "0", "-1", str(MAX_ID + 1), "1" * 5000, "", "1e3"):
        assert id_of(bad) is None, bad


async def test_bad_ids_enums_and_text_are_refused_in_vietnamese(api, org):
    hr = await api("hr.syt")
    for path in ("/api/tasks/99999999999", "/api/people/2147483648", "/api/revisions/0", "/api/tasks/abc",
                 "/api/delegations?unit_id=-5", "/api/approvals?unit_id=10675408523467076841504768&month=2026-01",
                 "/api/tasks?status=", "/api/tasks?scope=all", "/api/search?status=",
                 "/api/approvals?unit_id=1&month=٢٠٢٦-01"):
        response = await hr.get(path)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["code"] == "invalid_request" and "không hợp lệ" in response.json()["detail"]
    outbox = await (await api("sonoivu")).get("/api/sync/outbox", params={"status": ""})
    assert outbox.status_code == 422 and "trạng thái không hợp lệ" in outbox.json()["detail"]
    deadline = await hr.get("/api/deadline", params={"profile": "quang-ngai", "rule": "self_entry",
                                                     "start": "9999-12-31"})
    assert deadline.status_code == 422 and deadline.json()["code"] == "bad_date"
    anonymous = await api()
    for body in ('{"username": "a\\u0000", "code": "x", "password": "y"}',
                 '{"username": "\\ud800", "code": "x", "password": "y"}'):
        refused = await anonymous.post("/api/auth/activate", content=body,
                                       headers={"content-type": "application/json"})
        assert refused.status_code == 422 and refused.json()["code"] == "unstorable_text", refused.text
    assert (await hr.get("/api/search", params={"q": "An\x00"})).json()["code"] == "unstorable_text"
    hire = await hr.post("/api/hires", json={**HIRE, "unit_id": 2**40})
    assert hire.status_code == 422, hire.text
    long_name = await hr.post("/api/hires", json={**HIRE, "unit_id": org.units["SYT"], "full_name": "Nguyễn " * 50})
    assert long_name.status_code == 422 and long_name.json()["code"] == "bad_name"


async def test_json_fields_have_types(api, db, dev_env, task_queue, org):
    """A string where `decisions` expects an object, a CV item of the wrong type: 422, nothing stored."""
    hr = await api("hr.syt")
    person_id = (await hr.post("/api/hires", json={**HIRE, "unit_id": org.units["SYT"]})).json()["person_id"]
    task = await open_task_of(hr, "create_account", person_id)
    for data in ({"decisions": "approve"}, {"decisions": ["12"]}, {"decisions": {"12": "maybe"}},
                 {"decisions": {"abc": "approve"}}, {"reasons": "x"}, {"username": ["a"]}, {"unknown": 1}):
        refused = await hr.post(f"/api/tasks/{task['id']}/complete", json={"outcome": "done", "data": data})
        assert refused.status_code == 422, (data, refused.text)
    not_an_object = await hr.post(f"/api/tasks/{task['id']}/complete", json={"outcome": "done", "data": "x"})
    assert not_an_object.status_code == 422
    for body in ({"work_history": "nay"}, {"work_history": [{"from": 1}]}, {"salary_step": [1]}, {"phone": {"a": 1}},
                 {"salary_step": 1001}, {"residence": "x" * 501}, {"not_a_cv_item": "x"}):
        refused = await hr.put(f"/api/people/{person_id}/cv", json=body)
        assert refused.status_code == 422, (body, refused.text)
    saved = await hr.put(f"/api/people/{person_id}/cv", json={"salary_step": "²", "phone": "０９０５"})
    assert saved.status_code == 200 and saved.json()["data"]["salary_step"] == "²"  # a draft keeps what was typed


async def test_a_duplicate_hire_racing_the_unique_index_is_the_same_409(api, org):
    hr = await api("hr.syt")
    body = {**HIRE, "unit_id": org.units["SYT"]}
    answers = await asyncio.gather(*(hr.post("/api/hires", json=body) for _ in range(3)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409], [a.text for a in answers]
    winner = next(a.json()["person_id"] for a in answers if a.status_code == 201)
    for refused in (a.json() for a in answers if a.status_code == 409):
        assert refused["code"] == "duplicate_hire" and refused["person_id"] == winner


async def test_the_race_lost_at_the_insert_answers_as_the_check_would(api, org, monkeypatch):
    """The check before the insert saw nothing (the other registration had not committed): the unique index
    refuses the insert, and the answer is the sequential duplicate's, naming the record that won."""
    hr = await api("hr.syt")
    body = {**HIRE, "unit_id": org.units["SYT"]}
    first = await hr.post("/api/hires", json=body)
    real = people._refuse_duplicate
    calls = []

    async def too_early(session, viewer, inp):  # the first check runs before the other commit
        calls.append(inp.citizen_id)
        if len(calls) > 1:
            await real(session, viewer, inp)

    monkeypatch.setattr(people, "_refuse_duplicate", too_early)
    raced = await hr.post("/api/hires", json=body)
    assert len(calls) == 2 and raced.status_code == 409, raced.text
    assert raced.json()["code"] == "duplicate_hire" and raced.json()["person_id"] == first.json()["person_id"]

    async def never(session, viewer, inp):  # no record to name: the unique index's own 409
        return None

    monkeypatch.setattr(people, "_refuse_duplicate", never)
    conflict = await hr.post("/api/hires", json=body)
    assert conflict.status_code == 409 and conflict.json()["code"] == "conflict"
    assert "trùng" in conflict.json()["detail"]


class _Diag:
    def __init__(self, detail: str = ""):
        self.message_detail, self.constraint_name = detail, "some_constraint"


class _Orig(Exception):
    def __init__(self, sqlstate: str, detail: str = ""):
        super().__init__(detail)
        self.sqlstate, self.diag = sqlstate, _Diag(detail)


@pytest.mark.parametrize(("sqlstate", "detail", "status", "code"), [
    ("23505", "Key (citizen_id)=(1) already exists.", 409, "conflict"),
    ("23503", 'Key (unit_id)=(5) is not present in table "units".', 422, "unknown_reference"),
    ("23503", 'Key (id)=(5) is still referenced from table "people".', 409, "in_use"),
    ("23502", "", 422, "invalid_data"),
])
async def test_integrity_errors_answer_4xx_on_api_and_pages(sqlstate, detail, status, code):
    app = create_app(Settings(secret_key="test-secret"))
    router = APIRouter()

    @router.get("/api/boom")
    @router.get("/boom")
    async def boom():
        raise sqlalchemy.exc.IntegrityError("INSERT ...", {}, _Orig(sqlstate, detail))

    @router.get("/api/too-big")
    async def too_big():
        raise sqlalchemy.exc.DataError("SELECT ...", {}, _Orig("22003", "integer out of range"))

    app.include_router(router)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as client:
        answer = await client.get("/api/boom")
        assert (answer.status_code, answer.json()["code"]) == (status, code)
        page = await client.get("/boom")
        assert page.status_code == status and page.headers["content-type"].startswith("text/html")
        assert "<html" in page.text
        too_big = await client.get("/api/too-big")
        assert too_big.status_code == 422 and too_big.json()["code"] == "invalid_data"


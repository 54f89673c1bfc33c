"""Unit mergers over the API and the pages (issue 6, case 7), on the real app, dev server, worker and PostgreSQL:
who may start one, every refusal with nothing stored, the progress, the closed units (no hire, no new merger) and
each person's unit history."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from models import AuditEvent, Merger, Person
from rules.clock import local_date
from tests.helpers import until
from tests.ui.test_pages import csrf_of
from tests.workflows.test_merger import insert_people

DECISION = "1234/QĐ-UBND"


def today():
    return local_date(datetime.now(UTC))


def body(org, old: str, new: str, on=None, **extra) -> dict:
    return {"from_unit_id": org.units[old], "to_unit_id": org.units[new],
            "effective_on": (on or today()).isoformat(), "decision_no": DECISION, **extra}


async def stored(db) -> tuple[int, int]:
    """Mergers and their start audit rows."""
    async with db.session() as session:
        mergers = (await session.execute(select(func.count()).select_from(Merger))).scalar_one()
        audited = (await session.execute(select(func.count()).select_from(AuditEvent)
                                         .where(AuditEvent.action == "merger.started"))).scalar_one()
    return mergers, audited


async def done(client, merger_id: int) -> dict | None:
    merger = (await client.get(f"/api/mergers/{merger_id}")).json()
    return merger if merger["status"] == "done" else None


async def test_only_the_sonoivu_admin_starts_a_merger(api, org, db):
    for login in ("hr.syt", "head.syt", "giamdoc.snv", "thanhtra"):
        refused = await (await api(login)).post("/api/mergers", json=body(org, "SYT-DS", "SYT"))
        assert refused.status_code == 403, (login, refused.text)
        expected = ("read_only", "Thanh tra chỉ được xem") if login == "thanhtra" else ("forbidden", "không có quyền")
        assert refused.json()["code"] == expected[0] and expected[1] in refused.json()["detail"]
    assert (await (await api()).post("/api/mergers", json=body(org, "SYT-DS", "SYT"))).status_code == 401
    assert await stored(db) == (0, 0)


async def test_each_refusal_is_a_vietnamese_4xx_and_stores_nothing(api, org, db):
    boss = await api("sonoivu")
    refusals = [
        (body(org, "SYT", "SYT"), 422, "same_unit", "trùng"),
        (body(org, "SYT", "SYT-DS"), 422, "successor_inside", "trực thuộc"),
        (body(org, "SYT", "SGD", today() - timedelta(days=800)), 422, "bad_effective_on", "Ngày quyết định"),
        (body(org, "SYT", "SGD", today() + timedelta(days=400)), 422, "bad_effective_on", "Ngày quyết định"),
        (body(org, "SYT", "SGD", decision_no="  "), 422, "missing_decision_no", "số quyết định"),
        (body(org, "SYT", "SGD", decision_no="Q" * 65), 422, "bad_decision_no", "64 ký tự"),
        ({**body(org, "SYT", "SGD"), "to_unit_id": 2_000_000_000}, 422, "unknown_unit", "không tồn tại"),
        ({**body(org, "SYT", "SGD"), "from_unit_id": 0}, 422, "invalid_request", "không hợp lệ"),
        ({**body(org, "SYT", "SGD"), "effective_on": "31/12/2026"}, 422, "invalid_request", "không hợp lệ"),
        (body(org, "SYT", "SGD", extra="x"), 422, "invalid_request", "không hợp lệ"),
    ]
    for sent, status, code, words in refusals:
        response = await boss.post("/api/mergers", json=sent)
        assert (response.status_code, response.json()["code"]) == (status, code), (sent, response.text)
        assert words in response.json()["detail"], response.text
    assert await stored(db) == (0, 0)

    # a merger waiting for its date is running: the units it touches refuse another one
    waiting = await boss.post("/api/mergers", json=body(org, "SYT-DS", "SYT", today() + timedelta(days=30)))
    assert waiting.status_code == 201, waiting.text
    merger_id = waiting.json()["merger_id"]
    assert waiting.json() == {"merger_id": merger_id, "workflow_id": f"merger/{merger_id}"}
    receiving = await boss.post("/api/mergers", json=body(org, "P-KT", "P-CT", today() + timedelta(days=30)))
    assert receiving.status_code == 201, receiving.text
    busy = [
        (body(org, "SYT-DS", "SGD"), "merger_in_progress"),   # the same unit
        (body(org, "SYT", "SGD"), "merger_in_progress"),      # a unit above one being merged
        (body(org, "STC", "SYT-DS"), "successor_merging"),    # a successor that is being merged itself
        (body(org, "P-CT", "X-BS"), "unit_receiving"),        # a unit receiving another merger's people
    ]
    for sent, code in busy:
        response = await boss.post("/api/mergers", json=sent)
        assert (response.status_code, response.json()["code"]) == (409, code), (sent, response.text)
        assert response.json()["merger_id"] in (merger_id, receiving.json()["merger_id"])
    assert await stored(db) == (2, 2)


async def test_a_merged_unit_is_closed_and_stays_in_each_history(api, org, db):
    boss, hr, other = await api("sonoivu"), await api("hr.syt"), await api("hr.sgd")
    people = await insert_people(db, [org.units["SYT-BV"]], 3, first=700)
    on = today() - timedelta(days=10)
    started = await boss.post("/api/mergers", json=body(org, "SYT-BV", "SYT", on))
    assert started.status_code == 201, started.text
    merger_id = started.json()["merger_id"]
    finished = await until(lambda: done(boss, merger_id), timeout=60)
    assert (finished["moved"], finished["total"], finished["status_label"]) == (3, 3, "Đã hoàn tất")
    assert (finished["from_unit_name"], finished["to_unit_name"]) == ("Bệnh viện Đa khoa tỉnh", "Sở Y tế")
    assert finished["effective_on"] == on.isoformat() and finished["decision_no"] == DECISION

    # who reads it: Sở Nội vụ and the units involved, not the others
    assert [m["id"] for m in (await boss.get("/api/mergers")).json()] == [merger_id]
    assert (await hr.get(f"/api/mergers/{merger_id}")).status_code == 200
    assert (await other.get(f"/api/mergers/{merger_id}")).status_code == 404
    assert (await other.get("/api/mergers")).json() == []

    record = (await hr.get(f"/api/people/{people[0]}")).json()
    assert record["unit_id"] == org.units["SYT"]
    first, second = record["units"]
    assert (first["unit_code"], first["to_on"], first["how"], first["successor_name"], first["unit_valid_to"]) == (
        "SYT-BV", (on - timedelta(days=1)).isoformat(), "hire", "Sở Y tế", (on - timedelta(days=1)).isoformat())
    assert (second["unit_code"], second["from_on"], second["to_on"], second["how"], second["how_label"],
            second["decision_no"], second["merger_id"]) == (
        "SYT", on.isoformat(), None, "merger", "Sáp nhập đơn vị", DECISION, merger_id)

    # a closed unit takes no one: no hire, no merger from it, none into it
    hire = await hr.post("/api/hires", json={
        "full_name": "Trần Văn Mới", "sex": "nam", "date_of_birth": "1995-03-15", "citizen_id": "051095007777",
        "unit_id": org.units["SYT-BV"], "hired_on": today().isoformat(), "kind": "vien_chuc"})
    assert hire.status_code == 422 and hire.json()["code"] == "unit_closed", hire.text
    assert "đã giải thể hoặc sáp nhập" in hire.json()["detail"]
    again = await boss.post("/api/mergers", json=body(org, "SYT-BV", "SGD"))
    assert (again.status_code, again.json()["code"]) == (409, "unit_closed")
    into = await boss.post("/api/mergers", json=body(org, "STC", "SYT-BV"))
    assert (into.status_code, into.json()["code"]) == (422, "successor_closed")
    async with db.session() as session:
        assert (await session.execute(select(func.count()).select_from(Person)
                                      .where(Person.citizen_id == "051095007777"))).scalar_one() == 0
    assert await stored(db) == (1, 1)


async def test_the_pages_start_a_merger_and_show_its_progress(api, org, db):
    boss, hr = await api("sonoivu"), await api("hr.syt")
    assert 'href="/mergers"' in (await boss.get("/")).text
    assert 'href="/mergers"' not in (await hr.get("/")).text
    assert "Bắt đầu sáp nhập" not in (await hr.get("/mergers")).text
    token = await csrf_of(boss, "/mergers")
    form = {"csrf": token, "from_unit_id": str(org.units["SYT-DS"]), "to_unit_id": str(org.units["SYT"]),
            "decision_no": DECISION}
    denied = await hr.post("/mergers", data={**form, "csrf": await csrf_of(hr, "/mergers"),
                                             "effective_on": today().isoformat()})
    assert denied.status_code == 403

    same = await boss.post("/mergers", data={**form, "to_unit_id": str(org.units["SYT-DS"]),
                                             "effective_on": today().strftime("%d/%m/%Y")})
    assert same.status_code == 422 and "Đơn vị tiếp nhận trùng với đơn vị bị sáp nhập." in same.text
    assert f'value="{DECISION}"' in same.text
    bad_date = await boss.post("/mergers", data={**form, "effective_on": "31/02/2026"})
    assert bad_date.status_code == 422 and "Ngày quyết định có hiệu lực không hợp lệ" in bad_date.text
    bad_id = await boss.post("/mergers", data={**form, "from_unit_id": "²", "effective_on": "01/07/2026"})
    assert bad_id.status_code == 422 and "Đơn vị bị sáp nhập không hợp lệ." in bad_id.text
    assert await stored(db) == (0, 0)

    later = today() + timedelta(days=20)
    started = await boss.post("/mergers", data={**form, "effective_on": later.strftime("%d/%m/%Y")})
    assert started.status_code == 303, started.text
    page = await boss.get(started.headers["location"])
    assert "Đã bắt đầu sáp nhập «Chi cục Dân số» vào «Sở Y tế»" in page.text
    assert '<meta http-equiv="refresh" content="60">' in page.text and f"Chờ đến ngày quyết định có hiệu lực ({later:%d/%m/%Y})" in page.text

    people = await insert_people(db, [org.units["SGD-LK"]], 2, first=800)
    now = await boss.post("/mergers", data={**form, "from_unit_id": str(org.units["SGD-LK"]),
                                            "to_unit_id": str(org.units["SGD"]), "effective_on": today().isoformat()})
    assert now.status_code == 303, now.text
    merger_id = int(now.headers["location"].rsplit("/", 1)[1])
    await until(lambda: done(boss, merger_id), timeout=60)
    progress = (await boss.get(f"/mergers/{merger_id}")).text
    assert 'http-equiv="refresh"' not in progress and "Đã hoàn tất" in progress
    assert 'id="merger-moved">2<' in progress and 'id="merger-total">2<' in progress
    assert "Đã sáp nhập</span> Sở Giáo dục và Đào tạo" in progress
    listing = (await boss.get("/mergers")).text
    assert f'id="merger-{merger_id}"' in listing and "Trường THPT Lê Khiết" in listing
    assert f'<option value="{org.units["SGD-LK"]}"' not in listing  # a closed unit is no longer offered

    person = (await (await api("hr.sgd")).get(f"/people/{people[0]}")).text
    assert "Quá trình công tác tại các đơn vị" in person and "Sáp nhập đơn vị" in person
    assert "Đã sáp nhập vào Sở Giáo dục và Đào tạo" in person and f"{today():%d/%m/%Y}" in person

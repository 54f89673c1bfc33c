"""The transfers API (issue 6): a move, an arrival or a leaving is started, listed in scope, read with its steps and
cancelled; every refusal of services/transfers is a Vietnamese 4xx with nothing stored. Against the real dev
server, worker and PostgreSQL."""
import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from models import Person, Placement, ProfileRevision, Transfer, Unit
from rules.clock import local_date
from tests.helpers import CV_VALID

HIRED = date(2020, 1, 2)


def today() -> date:
    return local_date(datetime.now(UTC))


async def approved_person(db, unit_id: int, *, name: str = "Nguyễn Văn An", citizen_id: str = "051095001234",
                          status: str = "active", profile: str = "quang-ngai", **extra) -> int:
    """A record whose first version is approved, placed in its unit since its hire."""
    async with db.session() as session:
        person = Person(full_name=name, search_name="", sex="nam", date_of_birth=date(1995, 3, 15),
                        citizen_id=citizen_id, unit_id=unit_id, kind="cong_chuc", hired_on=HIRED, status=status,
                        profile=profile, profile_version="2025-1", **extra)
        session.add(person)
        await session.flush()
        revision = ProfileRevision(person_id=person.id, number=1, status="approved",
                                   data={**CV_VALID, "full_name": name, "citizen_id": citizen_id},
                                   approved_at=datetime(2020, 2, 1, tzinfo=UTC))
        session.add(revision)
        await session.flush()
        person.current_revision_id = revision.id
        session.add(Placement(person_id=person.id, unit_id=unit_id, from_on=HIRED))
        return person.id


async def counts(db) -> tuple[int, int]:
    async with db.session() as session:
        return ((await session.execute(select(func.count(Transfer.id)))).scalar_one(),
                (await session.execute(select(func.count(Person.id)))).scalar_one())


def move(person_id: int, to_unit_id: int | None, **change) -> dict:
    return {"person_id": person_id, "kind": "intra_province", "to_unit_id": to_unit_id,
            "reason": "Điều động theo yêu cầu công tác", "decision_no": "123/QĐ-UBND",
            "effective_on": today().isoformat(), **change}


async def test_a_move_is_started_listed_in_scope_and_read_with_its_steps(api, db, org):
    person_id = await approved_person(db, org.units["SYT"])
    hr = await api("hr.syt")
    started = await hr.post("/api/transfers", json=move(person_id, org.units["SGD"]))
    assert started.status_code == 201, started.text
    body = started.json()
    assert body == {"transfer_id": body["transfer_id"], "workflow_id": f"transfer/{body['transfer_id']}"}

    detail = (await hr.get(f"/api/transfers/{body['transfer_id']}")).json()
    assert detail["person_id"] == person_id and detail["full_name"] == "Nguyễn Văn An"
    assert (detail["kind"], detail["from_unit_id"], detail["to_unit_id"], detail["status"]) == \
        ("intra_province", org.units["SYT"], org.units["SGD"], "open")
    assert detail["from_unit"] == "Sở Y tế" and detail["to_unit"] == "Sở Giáo dục và Đào tạo"
    assert detail["kind_label"] == "Điều động, chuyển công tác trong tỉnh" and detail["stage_label"]
    assert detail["decision_no"] == "123/QĐ-UBND" and detail["effective_on"] == today().isoformat()
    assert isinstance(detail["tasks"], list)
    for task in detail["tasks"]:
        assert task["workflow_id"] == body["workflow_id"]

    # the sending and the receiving unit see it; a third unit does not, and gets 404 for it
    assert [t["id"] for t in (await hr.get("/api/transfers")).json()] == [body["transfer_id"]]
    receiving = await api("hr.sgd")
    assert [t["id"] for t in (await receiving.get("/api/transfers", params={"status": "all"})).json()] == \
        [body["transfer_id"]]
    third = await api("hr.stc")
    assert (await third.get("/api/transfers", params={"status": "all"})).json() == []
    assert (await third.get(f"/api/transfers/{body['transfer_id']}")).status_code == 404
    assert (await hr.get("/api/transfers", params={"status": "done"})).json() == []
    assert (await hr.get("/api/transfers", params={"status": "archived"})).status_code == 422

    # one open transfer per person: the second is a 409 naming the first, and nothing more is stored
    again = await hr.post("/api/transfers", json=move(person_id, org.units["STC"]))
    assert again.status_code == 409 and again.json()["code"] == "transfer_in_progress", again.text
    assert "chưa hoàn tất" in again.json()["detail"] and again.json()["transfer_id"] == body["transfer_id"]
    leaving = await hr.post("/api/transfers", json=move(person_id, None, kind="leaving", reason="retirement"))
    assert leaving.status_code == 409 and leaving.json()["code"] == "transfer_in_progress"
    assert await counts(db) == (1, 1)


async def test_refusals_say_why_in_vietnamese_and_store_nothing(api, db, org):
    person_id = await approved_person(db, org.units["SYT"])
    archived_id = await approved_person(db, org.units["SYT"], name="Trần Văn Cũ", citizen_id="051060002222",
                                        status="archived", left_on=date(2026, 1, 31), leave_reason="retirement")
    async with db.session() as session:  # Sở Tài chính merged into Sở Nội vụ
        merged = await session.get(Unit, org.units["STC"])
        merged.successor_id, merged.valid_to = org.units["SNV"], date(2025, 6, 30)
    hr = await api("hr.syt")
    before = await counts(db)
    cases = [
        (move(person_id, org.units["SYT"]), 422, "same_unit", "trùng với đơn vị hiện tại"),
        (move(person_id, 2**31 - 1), 422, "unknown_unit", "không tồn tại"),
        (move(person_id, org.units["STC"]), 422, "unit_closed", "đã giải thể hoặc sáp nhập"),
        (move(archived_id, org.units["SGD"]), 409, "person_archived", "đã lưu trữ"),
        (move(person_id, org.units["SGD"], effective_on="2019-12-31"), 422, "bad_effective_on",
         "trước ngày tuyển dụng (02/01/2020)"),
        (move(person_id, org.units["SGD"], kind="leaving", reason="retirement"), 422, "to_unit_not_allowed",
         "không có đơn vị đến"),
        (move(person_id, None, kind="leaving", reason="vacation"), 422, "bad_reason", "Nghỉ hưu"),
        (move(person_id, None), 422, "missing_to_unit", "Chọn đơn vị đến"),
        (move(person_id, org.units["SGD"], reason=" "), 422, "missing_reason", "Ghi lý do"),
        (move(person_id, org.units["SGD"], decision_no=" "), 422, "missing_decision_no", "số quyết định"),
        (move(person_id, org.units["SGD"], kind="internal"), 422, "not_same_agency", "thuộc cơ quan khác"),
        (move(person_id, org.units["SYT-VP"]), 422, "same_agency", "cùng cơ quan"),
        (move(person_id, org.units["SGD"], effective_on=(today() + timedelta(days=400)).isoformat()), 422,
         "bad_effective_on", "quá xa"),
        (move(person_id, org.units["SGD"], kind="transfer"), 422, "invalid_request", "loại không hợp lệ"),
        (move(person_id, org.units["SGD"], effective_on="0001-01-01"), 422, "invalid_request", "không hợp lệ"),
        (move(person_id, org.units["SGD"], extra=1), 422, "invalid_request", "không hợp lệ"),
        (move(person_id, org.units["SGD"], decision_no="1" * 65), 422, "invalid_request", "số quyết định"),
        (move(person_id, org.units["SGD"], kind="arrival"), 409, "person_exists", "đã có hồ sơ"),
        ({**move(None, org.units["SYT"], kind="arrival"), "person": None}, 422, "missing_person", "họ tên"),
    ]
    for body, status, code, words in cases:
        response = await hr.post("/api/transfers", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["code"] == code and words in response.json()["detail"], (body, response.json())
    assert await counts(db) == before

    # outside the scope, the record is not found; a role that does not move records is refused
    other = await api("hr.sgd")
    assert (await other.post("/api/transfers", json=move(person_id, org.units["SGD"]))).status_code == 404
    head = await api("head.syt")
    refused = await head.post("/api/transfers", json=move(person_id, org.units["SGD"]))
    assert refused.status_code == 403 and "không có quyền" in refused.json()["detail"], refused.text
    auditor = await api("thanhtra")
    assert (await auditor.post("/api/transfers", json=move(person_id, org.units["SGD"]))).status_code == 403
    assert await counts(db) == before


async def test_a_leaving_and_an_arrival_are_started(api, db, org):
    person_id = await approved_person(db, org.units["SYT-BV"])
    hr = await api("hr.syt-bv")
    leaving = await hr.post("/api/transfers", json=move(person_id, None, kind="leaving", reason="retirement"))
    assert leaving.status_code == 201, leaving.text
    detail = (await hr.get(f"/api/transfers/{leaving.json()['transfer_id']}")).json()
    assert (detail["kind"], detail["to_unit_id"], detail["reason"], detail["reason_label"]) == \
        ("leaving", None, "retirement", "Nghỉ hưu")

    arrival = {"person_id": None, "kind": "arrival", "to_unit_id": org.units["SYT-BV"],
               "reason": "Tiếp nhận từ Bộ Y tế", "decision_no": "45/QĐ-SYT", "effective_on": today().isoformat(),
               "paper_file_on": today().isoformat(),
               "person": {"full_name": "Lê Thị Hà", "sex": "nu", "date_of_birth": "1990-05-01",
                          "citizen_id": "001190004567", "kind": "vien_chuc"}}
    bad = await hr.post("/api/transfers", json={**arrival, "person": {**arrival["person"], "citizen_id": "001090004567"}})
    assert bad.status_code == 422 and bad.json()["code"] == "bad_citizen_id", bad.text
    assert await counts(db) == (1, 1)
    started = await hr.post("/api/transfers", json=arrival)
    assert started.status_code == 201, started.text
    detail = (await hr.get(f"/api/transfers/{started.json()['transfer_id']}")).json()
    assert detail["kind"] == "arrival" and detail["from_unit_id"] is None and detail["full_name"] == "Lê Thị Hà"
    assert detail["paper_file_on"] == today().isoformat()
    arrived = (await hr.get(f"/api/people/{detail['person_id']}")).json()
    assert arrived["unit_id"] == org.units["SYT-BV"] and arrived["citizen_id"] == "001190004567"
    again = await hr.post("/api/transfers", json=arrival)  # the same person arriving twice: their record exists
    assert again.status_code == 409, again.text
    assert await counts(db) == (2, 2)


async def test_a_cancelled_transfer_leaves_the_record_where_it_was(api, db, org):
    person_id = await approved_person(db, org.units["SYT"])
    hr = await api("hr.syt")
    started = (await hr.post("/api/transfers", json=move(person_id, org.units["SGD"]))).json()
    transfer_id = started["transfer_id"]
    refused = await hr.post(f"/api/transfers/{transfer_id}/cancel", json={"reason": "x" * 256})
    assert refused.status_code == 422
    outsider = await api("hr.stc")
    assert (await outsider.post(f"/api/transfers/{transfer_id}/cancel", json={"reason": "Nhầm"})).status_code == 404
    for _ in range(100):  # the workflow takes the cancel once it has started
        cancelled = await hr.post(f"/api/transfers/{transfer_id}/cancel", json={"reason": "Quyết định bị thu hồi"})
        if cancelled.status_code != 409:
            break
        await asyncio.sleep(0.1)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancel_reason"] == "Quyết định bị thu hồi"
    assert all(t["status"] != "open" for t in cancelled.json()["tasks"])
    person = (await hr.get(f"/api/people/{person_id}")).json()
    assert person["unit_id"] == org.units["SYT"] and person["status"] == "active"
    twice = await hr.post(f"/api/transfers/{transfer_id}/cancel", json={"reason": "Lần nữa"})
    assert twice.status_code == 409, twice.text
    # the person may be moved again
    assert (await hr.post("/api/transfers", json=move(person_id, org.units["STC"]))).status_code == 201


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_an_archived_record_is_read_only_for_everyone(api, db, org):
    """The archive (Quảng Ngãi Đ9.5, Kon Tum Đ12.3): no CV edit, update, document or correction; 409 with why."""
    person_id = await approved_person(db, org.units["SYT"], name="Trần Văn Cũ", citizen_id="051060002222",
                                      status="archived", left_on=date(2026, 1, 31), leave_reason="retirement")
    async with db.session() as session:  # a correction left from before the leaving, and a draft
        submitted = ProfileRevision(person_id=person_id, number=2, status="submitted", kind="update_personal",
                                    data={**CV_VALID, "phone": "0905000111"}, change_date=date(2026, 1, 5))
        draft = ProfileRevision(person_id=person_id, number=3, status="draft", kind="update_state_decision",
                                data=dict(CV_VALID), change_date=date(2026, 1, 6), decision_no="1/QĐ")
        session.add_all([submitted, draft])
        await session.flush()
        submitted_id, draft_id = submitted.id, draft.id
    hr = await api("hr.syt")  # the HR of the unit, who could edit any record of it
    refusals = [
        await hr.put(f"/api/people/{person_id}/cv", json={"phone": "0905999888"}),
        await hr.post(f"/api/people/{person_id}/updates", json={
            "kind": "update_state_decision", "change_date": "2026-01-20", "reason": "Nâng lương",
            "decision_no": "9/QĐ", "data": {"salary_step": 2}}),
        await hr.post(f"/api/revisions/{draft_id}/attachments", files={"file": ("qd.png", PNG, "image/png")}),
        await hr.put(f"/api/revisions/{submitted_id}", json={"phone": "0905000222"}),
    ]
    for response in refusals:
        assert response.status_code == 409, (response.request.url, response.text)
        assert response.json()["code"] == "person_archived"
        assert "Hồ sơ đã lưu trữ (Nghỉ hưu từ 31/01/2026)" in response.json()["detail"]
    async with db.session() as session:
        revisions = (await session.execute(select(ProfileRevision).where(ProfileRevision.person_id == person_id)
                                           .order_by(ProfileRevision.number))).scalars().all()
        assert [r.number for r in revisions] == [1, 2, 3]
        assert revisions[1].data["phone"] == "0905000111"
    # still found by those entitled, read as it was
    assert (await hr.get(f"/api/people/{person_id}")).json()["status"] == "archived"
    assert [p["id"] for p in (await hr.get("/api/search", params={"q": "tran van cu", "status": "archived"})).json()] \
        == [person_id]
    assert (await hr.get("/api/search", params={"q": "tran van cu"})).json() == []
    assert (await (await api("hr.sgd")).get("/api/search", params={"q": "tran van cu", "status": "all"})).json() == []

"""The pages of transfers, leavings, arrivals and the archive, over HTTP (no browser): who sees the buttons, the
forms refuse bad input in Vietnamese on the same form with the values kept and nothing stored, the transfers in
progress and a transfer's page with its cancel."""
import asyncio
from datetime import date

from sqlalchemy import func, select

from models import Person, Transfer, Unit
from tests.api.test_transfers import approved_person, today
from tests.ui.test_pages import csrf_of


async def counts(db) -> tuple[int, int]:
    async with db.session() as session:
        return ((await session.execute(select(func.count(Transfer.id)))).scalar_one(),
                (await session.execute(select(func.count(Person.id)))).scalar_one())


async def test_the_person_page_offers_moves_and_leaving_to_hr_and_sonoivu_only(api, db, org):
    person_id = await approved_person(db, org.units["SYT"])
    for username in ("hr.syt", "sonoivu"):
        page = await (await api(username)).get(f"/people/{person_id}")
        assert page.status_code == 200
        assert "Điều động / chuyển công tác" in page.text and "Nghỉ hưu / thôi việc" in page.text, username
        assert f'href="/people/{person_id}/transfers/new"' in page.text
    for username in ("head.syt", "thanhtra"):
        page = await (await api(username)).get(f"/people/{person_id}")
        assert page.status_code == 200 and 'id="start-transfer"' not in page.text, username
        assert (await (await api(username)).get(f"/people/{person_id}/transfers/new")).status_code == 403
    nav = await (await api("hr.syt")).get("/transfers")
    assert nav.status_code == 200 and 'href="/transfers"' in nav.text and "Điều chuyển đang thực hiện" in nav.text


async def test_a_move_refused_keeps_the_form_then_starts_and_is_listed(api, db, org):
    person_id = await approved_person(db, org.units["SYT"])
    async with db.session() as session:  # Sở Tài chính merged into Sở Nội vụ: no longer offered
        merged = await session.get(Unit, org.units["STC"])
        merged.successor_id, merged.valid_to = org.units["SNV"], date(2025, 6, 30)
    hr = await api("hr.syt")
    form_page = await hr.get(f"/people/{person_id}/transfers/new")
    assert form_page.status_code == 200 and 'id="transfer-form"' in form_page.text
    assert f'<option value="{org.units["SGD"]}"' in form_page.text
    assert f'<option value="{org.units["SYT"]}"' not in form_page.text  # the person's own unit
    assert f'<option value="{org.units["STC"]}"' not in form_page.text
    assert 'name="paper_file_on"' not in form_page.text  # Quảng Ngãi counts nothing from a paper file
    kon_tum = await approved_person(db, org.units["SYT"], name="Y Blông", citizen_id="062095001111", profile="kon-tum")
    assert 'name="paper_file_on"' in (await hr.get(f"/people/{kon_tum}/transfers/new")).text  # Kon Tum Đ10.2
    token = await csrf_of(hr, f"/people/{person_id}/transfers/new")
    form = {"csrf": token, "kind": "intra_province", "to_unit_id": str(org.units["SGD"]),
            "reason": "Điều động theo yêu cầu công tác", "decision_no": "77/QĐ-UBND",
            "effective_on": today().isoformat()}
    cases = [
        ({"to_unit_id": str(org.units["SYT-VP"])}, 422, "cùng cơ quan"),
        ({"to_unit_id": str(org.units["STC"])}, 422, "đã giải thể hoặc sáp nhập"),
        ({"to_unit_id": ""}, 422, "Chọn đơn vị đến"),
        ({"to_unit_id": "²"}, 422, "Chọn đơn vị đến"),
        ({"effective_on": "2019-12-31"}, 422, "trước ngày tuyển dụng (02/01/2020)"),
        ({"effective_on": "31/12/2026"}, 422, "Ngày văn bản có hiệu lực không hợp lệ"),
        ({"decision_no": ""}, 422, "số quyết định"),
        ({"kind": "internal"}, 422, "thuộc cơ quan khác"),
    ]
    for change, status, words in cases:
        response = await hr.post(f"/people/{person_id}/transfers/new", data={**form, **change})
        assert response.status_code == status, (change, response.text)
        assert words in response.text and 'id="form-error"' in response.text, change
        assert 'id="transfer-form"' in response.text
        if "reason" not in change:
            assert 'value="Điều động theo yêu cầu công tác"' in response.text  # what was typed is kept
    assert await counts(db) == (0, 2)
    assert (await hr.post(f"/people/{person_id}/transfers/new", data={**form, "csrf": "khac"})).status_code == 403

    started = await hr.post(f"/people/{person_id}/transfers/new", data=form)
    assert started.status_code == 303, started.text
    location = started.headers["location"]
    transfer_id = int(location.rsplit("/", 1)[1])
    page = await hr.get(location)
    assert page.status_code == 200 and "Điều động, chuyển công tác trong tỉnh số" in page.text
    assert "Đã lập điều động, chuyển công tác trong tỉnh" in page.text  # the flash
    assert "77/QĐ-UBND" in page.text and today().strftime("%d/%m/%Y") in page.text
    assert 'id="cancel-form"' in page.text

    listed = await hr.get("/transfers")
    assert f'id="transfer-{transfer_id}"' in listed.text
    assert "Sở Y tế → Sở Giáo dục và Đào tạo" in listed.text and "Nguyễn Văn An" in listed.text
    receiving = await (await api("hr.sgd")).get("/transfers")
    assert f'id="transfer-{transfer_id}"' in receiving.text
    other = await api("hr.sgd-lk")
    assert f'id="transfer-{transfer_id}"' not in (await other.get("/transfers", params={"status": "all"})).text
    assert (await other.get(location)).status_code == 404
    assert f'id="transfer-{transfer_id}"' not in (await hr.get("/transfers", params={"status": "done"})).text

    # the person's page names the open transfer; the buttons wait for it to end
    person_page = await hr.get(f"/people/{person_id}")
    assert 'id="open-transfer"' in person_page.text and f'href="/transfers/{transfer_id}"' in person_page.text
    assert 'id="start-transfer"' not in person_page.text
    again = await hr.post(f"/people/{person_id}/transfers/new", data={**form, "to_unit_id": str(org.units["SNV"])})
    assert again.status_code == 409 and "chưa hoàn tất" in again.text and f"/transfers/{transfer_id}" in again.text
    assert await counts(db) == (1, 2)


async def test_a_leaving_refused_then_started(api, db, org):
    person_id = await approved_person(db, org.units["SYT-BV"])
    hr = await api("hr.syt-bv")
    page = await hr.get(f"/people/{person_id}/leaving/new")
    assert page.status_code == 200
    for label in ("Nghỉ hưu", "Thôi việc", "Buộc thôi việc", "Từ trần", "Chuyển công tác ra ngoài tỉnh",
                  "Chuyển sang khối Đảng, đoàn thể"):
        assert f">{label}</option>" in page.text
    token = await csrf_of(hr, f"/people/{person_id}/leaving/new")
    form = {"csrf": token, "reason": "retirement", "decision_no": "12/QĐ-BV", "effective_on": today().isoformat()}
    for change, words in (({"reason": ""}, "Chọn lý do nghỉ"), ({"reason": "vacation"}, "Lý do phải là một trong"),
                          ({"effective_on": ""}, "không hợp lệ")):
        response = await hr.post(f"/people/{person_id}/leaving/new", data={**form, **change})
        assert response.status_code == 422 and words in response.text, change
        assert 'value="12/QĐ-BV"' in response.text
    assert await counts(db) == (0, 1)
    started = await hr.post(f"/people/{person_id}/leaving/new", data=form)
    assert started.status_code == 303, started.text
    page = await hr.get(started.headers["location"])
    assert "Nghỉ hưu, thôi việc, chuyển ra ngoài số" in page.text and "Lý do nghỉ" in page.text
    listed = await hr.get("/transfers")
    assert "Bệnh viện Đa khoa tỉnh → Nghỉ hưu" in listed.text


async def test_an_arrival_refused_stores_no_one_then_starts(api, db, org):
    hr = await api("hr.syt")
    listed = await hr.get("/transfers")
    assert 'href="/transfers/arrival/new"' in listed.text and "Tiếp nhận người chuyển đến" in listed.text
    assert 'href="/transfers/arrival/new"' not in (await (await api("head.syt")).get("/transfers")).text
    assert (await (await api("head.syt")).get("/transfers/arrival/new")).status_code == 403
    page = await hr.get("/transfers/arrival/new")
    assert page.status_code == 200 and f'<option value="{org.units["SGD"]}"' not in page.text  # outside the scope
    token = await csrf_of(hr, "/transfers/arrival/new")
    form = {"csrf": token, "full_name": "Lê Thị Hà", "sex": "nu", "date_of_birth": "1990-05-01",
            "citizen_id": "001190004567", "person_kind": "vien_chuc", "email": "", "to_unit_id": str(org.units["SYT"]),
            "reason": "Chuyển từ Bộ Y tế", "decision_no": "45/QĐ-SYT", "effective_on": today().isoformat()}
    for change, status, words in (({"citizen_id": "001090004567"}, 422, "không khớp"),
                                  ({"date_of_birth": ""}, 422, "Ngày sinh không hợp lệ"),
                                  ({"to_unit_id": str(org.units["SGD"])}, 403, "ngoài phạm vi"),
                                  ({"reason": ""}, 422, "Ghi lý do")):
        response = await hr.post("/transfers/arrival/new", data={**form, **change})
        assert response.status_code == status and words in response.text, (change, response.text)
        assert 'value="Lê Thị Hà"' in response.text and 'id="arrival-form"' in response.text
    assert await counts(db) == (0, 0)
    started = await hr.post("/transfers/arrival/new", data=form)
    assert started.status_code == 303, started.text
    page = await hr.get(started.headers["location"])
    assert "Tiếp nhận từ bộ, ngành, tỉnh khác số" in page.text and "Lê Thị Hà" in page.text
    assert await counts(db) == (1, 1)


async def test_the_archive_is_read_only_on_the_pages_and_found_by_search(api, db, org):
    person_id = await approved_person(db, org.units["SYT"], name="Trần Văn Cũ", citizen_id="051060002222",
                                      status="archived", left_on=date(2026, 1, 31), leave_reason="retirement")
    hr = await api("hr.syt")
    page = await hr.get(f"/people/{person_id}")
    assert page.status_code == 200 and 'id="archived-notice"' in page.text
    assert "Hồ sơ đã lưu trữ" in page.text and "Nghỉ hưu" in page.text and "31/01/2026" in page.text
    for hidden in ("Sửa sơ yếu lý lịch", "Nhập sơ yếu lý lịch", "Cập nhật theo quyết định", "Cập nhật thông tin</a>",
                   'id="start-transfer"', 'id="start-leaving"'):
        assert hidden not in page.text, hidden
    for path in (f"/people/{person_id}/cv", f"/people/{person_id}/updates/new?kind=update_state_decision",
                 f"/people/{person_id}/transfers/new", f"/people/{person_id}/leaving/new"):
        response = await hr.get(path)
        assert response.status_code == 409 and "Hồ sơ đã lưu trữ (Nghỉ hưu từ 31/01/2026)" in response.text, path
    token = await csrf_of(hr, "/search")
    saved = await hr.post(f"/people/{person_id}/cv", data={"csrf": token, "phone": "0905999888", "action": "save"})
    assert saved.status_code == 409 and "đã lưu trữ" in saved.text

    search = await hr.get("/search", params={"q": "tran van cu", "status": "archived"})
    assert f'href="/people/{person_id}"' in search.text and "archived-mark" in search.text
    assert ">Đang công tác</option>" in search.text and ">Đã lưu trữ</option>" in search.text
    assert ">Tất cả</option>" in search.text
    assert f'href="/people/{person_id}"' in (await hr.get("/search", params={"q": "Trần", "status": "all"})).text
    assert f'href="/people/{person_id}"' not in (await hr.get("/search", params={"q": "tran van cu"})).text


async def test_a_transfer_is_cancelled_from_its_page(api, db, org):
    person_id = await approved_person(db, org.units["SYT"])
    hr = await api("hr.syt")
    token = await csrf_of(hr, f"/people/{person_id}/transfers/new")
    started = await hr.post(f"/people/{person_id}/transfers/new", data={
        "csrf": token, "kind": "internal", "to_unit_id": str(org.units["SYT-NVY"]), "reason": "Sắp xếp bộ phận",
        "decision_no": "5/QĐ-SYT", "effective_on": today().isoformat()})
    assert started.status_code == 303, started.text
    location = started.headers["location"]
    head_page = await (await api("head.syt")).get(location)
    assert head_page.status_code == 200 and 'id="cancel-form"' not in head_page.text
    empty = await hr.post(f"{location}/cancel", data={"csrf": token, "cancel_reason": " "})
    assert empty.status_code == 422 and "Ghi lý do hủy" in empty.text and 'id="cancel-form"' in empty.text
    for _ in range(100):  # the workflow takes the cancel once it has started
        cancelled = await hr.post(f"{location}/cancel", data={"csrf": token, "cancel_reason": "Quyết định bị thu hồi"})
        if cancelled.status_code != 409:
            break
        await asyncio.sleep(0.1)
    assert cancelled.status_code == 303, cancelled.text
    page = await hr.get(location)
    assert "Đã hủy điều chuyển" in page.text and "Quyết định bị thu hồi" in page.text
    assert 'id="cancel-form"' not in page.text
    person_page = await hr.get(f"/people/{person_id}")
    assert 'id="start-transfer"' in person_page.text and "Sở Y tế" in person_page.text

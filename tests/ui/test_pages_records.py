"""The record pages without a browser: roles, refusals in Vietnamese with values kept, delegations."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from models import Delegation
from rules.clock import local_date
from tests.helpers import CITIZEN_ID
from tests.ui.test_pages import csrf_of


async def test_approvals_sync_and_delegation_pages(api, org, db):
    today = local_date(datetime.now(UTC))
    director = await api("giamdoc.snv")
    response = await director.get("/approvals")
    assert response.status_code == 200 and f"Phê duyệt dữ liệu tháng {today:%m/%Y}" in response.text
    assert "Sở Y tế" in response.text and "Chưa có hồ sơ" in response.text
    response = await director.get("/approvals", params={"month": "2026-02"})
    assert "tháng 02/2026" in response.text
    assert (await director.get("/sync")).status_code == 403

    auditor = await api("thanhtra")
    response = await auditor.get("/sync")
    assert response.status_code == 200 and "Chờ gửi" in response.text and "Gửi lỗi, đang thử lại" in response.text

    person = await api("hr.syt")
    assert (await person.get("/delegations")).status_code == 403
    assert (await person.get("/approvals")).status_code == 200  # HR sees their scope

    head = await api("head.syt")
    response = await head.get("/delegations")
    assert response.status_code == 200 and "Văn bản ủy quyền của Sở Y tế" in response.text
    token = await csrf_of(head, "/delegations")
    form = {"csrf": token, "unit_id": str(org.units["SYT"]), "delegate": "khong.co.ai", "document_no": "15/GUQ-SYT",
            "valid_from": today.isoformat(), "valid_to": (today + timedelta(days=30)).isoformat()}
    refused = await head.post("/delegations", data=form)
    assert refused.status_code == 422 and "Không tìm thấy người được ủy quyền." in refused.text
    assert 'value="15/GUQ-SYT"' in refused.text
    created = await head.post("/delegations", data={**form, "delegate": "hr.syt"})
    assert created.status_code == 303
    async with db.session() as session:
        delegation = (await session.execute(select(Delegation))).scalars().one()
    page = await head.get(created.headers["location"])
    assert "15/GUQ-SYT" in page.text and "Còn hiệu lực" in page.text
    revoked = await head.post(f"/delegations/{delegation.id}/revoke", data={"csrf": token})
    assert revoked.status_code == 303
    assert "Đã thu hồi" in (await head.get(revoked.headers["location"])).text
    other = await head.get("/delegations", params={"unit_id": str(org.units["SGD"])})
    assert other.status_code == 404


async def test_updates_need_an_approved_record(api, org):
    hr = await api("hr.syt")
    token = await csrf_of(hr, "/hires/new")
    hired = await hr.post("/hires/new", data={
        "csrf": token, "full_name": "Nguyễn Văn An", "sex": "nam", "date_of_birth": "1995-03-15",
        "citizen_id": CITIZEN_ID, "unit_id": str(org.units["SYT"]), "hired_on": "2026-11-02", "kind": "cong_chuc",
        "email": ""})
    person_id = int(hired.headers["location"].rsplit("/", 1)[1])
    response = await hr.get(f"/people/{person_id}/updates/new?kind=update_state_decision")
    assert response.status_code == 422 and "Hồ sơ chưa được phê duyệt lần đầu" in response.text
    response = await hr.get(f"/people/{person_id}/export.pdf")
    assert response.status_code == 409 and "Hồ sơ chưa có phiên bản được phê duyệt để xuất." in response.text
    assert (await hr.get("/revisions/999999")).status_code == 404
    page = await hr.get(f"/people/{person_id}")
    assert "Các phiên bản hồ sơ" in page.text and "Cập nhật theo quyết định" not in page.text

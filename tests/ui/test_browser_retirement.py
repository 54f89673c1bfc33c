"""A retirement in a real browser, from the foreseen notice to the archive: the daily scan finds a
person who has reached the retirement age (Bộ luật Lao động 2019 Đ169, Nghị định 135/2020), HR
records the notice and the decision, the status change goes through the head's signed approval, the
record is archived and the person's login stops working.

Nghệ An's profile: no monthly cutoff, so the approval opens at once whatever today's date is.
"""
import uuid
from datetime import UTC, date, datetime

from playwright.async_api import Page, expect

from models import Person
from rules.clock import local_date
from rules.retirement import retirement_date
from tests.conftest import PASSWORD
from tests.helpers import imported_person, open_task
from tests.ui.browser import login, logout, reload_until
from workflows.contracts import RetirementScanInput

NAME, LOGIN, HIRED = "Lê Văn Thành", "thanh.levan", date(1990, 8, 1)
BORN = date(1965, 1, 15)         # a man born 01/1965 reaches 61 years 6 months in 07/2026: retires 31/07/2026
CITIZEN_ID = "051065001234"


async def person_at_retirement_age(db, unit_id: int) -> int:
    return await imported_person(db, unit_id, name=NAME, citizen_id=CITIZEN_ID, born=BORN, hired_on=HIRED,
                                 profile="nghe-an", login=LOGIN, password=PASSWORD)


async def open_from_inbox(page: Page, base: str, title: str) -> None:
    link = await reload_until(page, f"{base}/", f"a:has-text('{title}')")
    await link.first.click()


async def test_retirement_from_notice_to_archive(page: Page, base_url: str, db, org, dev_env, task_queue):
    base = base_url
    person_id = await person_at_retirement_age(db, org.units["SYT"])
    retires = retirement_date("nam", BORN)
    assert retires == date(2026, 7, 31) and retires < local_date(datetime.now(UTC))

    # The daily scan (a Temporal Schedule in production) finds the person and starts their retirement.
    await dev_env.client.execute_workflow("RetirementScan", RetirementScanInput(),
                                          id=f"retirement-scan-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
    wid = f"retirement/{person_id}"
    await open_task(db, wid, "retirement_notice")

    await login(page, base, "hr.syt")
    await page.goto(f"{base}/people/{person_id}")
    await expect(page.locator("#retirement-date")).to_contain_text("31/07/2026")
    await open_from_inbox(page, base, "Thông báo nghỉ hưu")
    await page.fill("input[name=notice_no]", "12/TB-SYT")
    await page.click("button:has-text('Xác nhận đã thông báo')")
    await open_task(db, wid, "retirement_decision")
    await open_from_inbox(page, base, "Quyết định nghỉ hưu")
    await page.fill("input[name=decision_no]", "345/QĐ-SYT")
    await page.click("button:has-text('Ghi quyết định nghỉ hưu')")

    # On the date (already passed) the leaving starts: HR changes the record's status.
    await open_from_inbox(page, base, "Điều chỉnh tình trạng hồ sơ")
    await expect(page.locator("main")).to_contain_text("345/QĐ-SYT")
    await page.click("button:has-text('Điều chỉnh tình trạng')")
    await expect(page.locator(".flash, .notice").first).to_be_visible()
    await logout(page, base)

    # The head signs the month's batch with the status change.
    await login(page, base, "head.syt")
    await open_from_inbox(page, base, "Ký số phê duyệt dữ liệu tháng")
    await expect(page.locator("tr.batch-row")).to_contain_text(NAME)
    await page.get_by_label("Chọn tất cả").check()
    await page.click("button:has-text('Ký số và phê duyệt')")
    await expect(page.locator(".notice-ok")).to_contain_text("1 hồ sơ phê duyệt")

    # The record is in the archive: read-only, still found by those entitled, the login refused.
    await reload_until(page, f"{base}/people/{person_id}", "#archived-notice")
    await expect(page.locator("#archived-notice")).to_contain_text("Nghỉ hưu")
    await page.goto(f"{base}/search?q=le+van+thanh&status=archived")
    await expect(page.locator("main")).to_contain_text(NAME)
    await logout(page, base)
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", LOGIN)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button:has-text('Đăng nhập')")
    await expect(page).to_have_url(f"{base}/login")
    async with db.session() as session:
        person = await session.get(Person, person_id)
        assert (person.status, person.leave_reason, person.left_on) == ("archived", "retirement", retires)

"""Case 2 of the transfers in a real browser: the sending side releases the record, the receiving
side accepts it (the handover: access switches), then the person checks their data.

Nghệ An's profile: the transfer is made by the authorities that manage the units (Đ10.2,
`superior_hr`), so Sở Y tế's HR sends for its hospital and Sở Giáo dục's HR receives for its school.
"""
from datetime import UTC, date, datetime

from playwright.async_api import Page, expect
from sqlalchemy import select

from models import Person, Transfer, User
from rules.clock import local_date
from tests.conftest import PASSWORD
from tests.helpers import CITIZEN_ID, imported_person, open_task
from tests.ui.browser import login, logout, reload_until

NAME, BORN, HIRED, LOGIN = "Nguyễn Văn An", date(1995, 3, 15), date(2015, 3, 2), "an.nguyenvan"


async def approved_person(db, unit_id: int, profile: str) -> int:
    """A record brought over from the previous system (approved), in a unit, with its login."""
    return await imported_person(db, unit_id, name=NAME, citizen_id=CITIZEN_ID, born=BORN, hired_on=HIRED,
                                 profile=profile, login=LOGIN, password=PASSWORD)


async def open_the_task(page: Page, base: str, title_part: str) -> None:
    link = await reload_until(page, f"{base}/", f"a:has-text('{title_part}')")
    await link.first.click()


async def test_transfer_between_units_through_the_browser(page: Page, base_url: str, db, org):
    base = base_url
    person_id = await approved_person(db, org.units["SYT-BV"], "nghe-an")
    today = local_date(datetime.now(UTC))

    # Sở Y tế's HR (the managing authority) starts the transfer from the person's page.
    await login(page, base, "hr.syt")
    await page.goto(f"{base}/people/{person_id}")
    await page.click("#start-transfer")
    await page.select_option("#kind", "intra_province")
    await page.select_option("#to_unit_id", str(org.units["SGD-LK"]))
    await page.fill("#reason", "Điều động theo yêu cầu công tác")
    await page.fill("#decision_no", "125/QĐ-SGD")
    await page.fill("#effective_on", today.isoformat())
    await page.click("#submit-transfer")
    await expect(page.locator("main")).to_contain_text("Điều động, chuyển công tác trong tỉnh")
    async with db.session() as session:
        transfer = (await session.execute(select(Transfer).where(Transfer.person_id == person_id))).scalars().one()
    wid = transfer.workflow_id

    # The sending side releases the record; until the handover the school's side cannot read it.
    await open_task(db, wid, "release_record")
    await open_the_task(page, base, "Chuyển hồ sơ")
    await page.click("button:has-text('Chuyển hồ sơ')")
    await expect(page.locator(".flash, .notice").first).to_be_visible()
    await logout(page, base)

    await login(page, base, "hr.sgd")
    response = await page.goto(f"{base}/people/{person_id}")
    assert response.status == 404
    await open_task(db, wid, "receive_record")
    await open_the_task(page, base, "Tiếp nhận")
    await page.click("button:has-text('Tiếp nhận')")
    await expect(page.locator(".flash, .notice").first).to_be_visible()
    # The handover: the school's side now reads the record, Sở Y tế's hospital no longer does.
    response = await page.goto(f"{base}/people/{person_id}")
    assert response.status == 200
    await expect(page.locator("main")).to_contain_text("Trường THPT Lê Khiết")
    await logout(page, base)
    await login(page, base, "hr.syt-bv")
    assert (await page.goto(f"{base}/people/{person_id}")).status == 404
    await logout(page, base)

    # The person checks their data in the new unit; the move goes to the month's approval.
    await login(page, base, LOGIN)
    await open_task(db, wid, "confirm_record")
    await open_the_task(page, base, "Kiểm tra dữ liệu hồ sơ")
    await page.click("button:has-text('Xác nhận dữ liệu')")
    await expect(page.locator(".flash, .notice").first).to_be_visible()
    page_of_transfer = await reload_until(page, f"{base}/transfers/{transfer.id}",
                                          "main:has-text('Chờ phê duyệt dữ liệu tháng')")
    await expect(page_of_transfer).to_be_visible()
    async with db.session() as session:
        person = await session.get(Person, person_id)
        assert person.unit_id == org.units["SGD-LK"]
        user = (await session.execute(select(User).where(User.username == LOGIN))).scalars().one()
        assert user.unit_id == org.units["SGD-LK"]

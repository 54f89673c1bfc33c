"""The onboarding happy path through the real pages, in a real browser (Debian's chromium).

The app runs under uvicorn in this test's event loop, on the real Temporal dev server with a
worker, so every page calls the same services and workflows as production.
"""
import re

from playwright.async_api import Page, expect
from sqlalchemy import select

from models import Person, Task
from tests.helpers import CITIZEN_ID, CV_VALID
from tests.ui.browser import login, logout, reload_until

SCREENSHOT = "/tmp/hoso-inbox.png"
NAME = "Nguyễn Văn An"
BAD_CITIZEN_ID = "000095001234"  # 12 digits, but «000» is no province's code
DMY = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")


async def fill_cv(page: Page, data: dict) -> None:
    for name, value in data.items():
        if name == "work_history":
            for number, period in enumerate(value):
                await page.fill(f"input[name=wh_from_{number}]", period["from"])
                await page.fill(f"input[name=wh_to_{number}]", period["to"])
                await page.fill(f"input[name=wh_description_{number}]", period["description"])
        elif name in ("general_education", "political_theory", "grade_code", "sex"):
            await page.select_option(f"select[name={name}]", str(value))
        else:
            await page.fill(f"input[name={name}]", str(value))


async def test_onboarding_through_the_browser(page: Page, base_url: str, db, org):
    base = base_url

    # HR of Sở Y tế logs in.
    await login(page, base, "hr.syt")
    await expect(page.locator("header")).to_contain_text("Võ Thị Lan")
    await expect(page.locator("header")).to_contain_text("Cán bộ tổ chức")

    # Bad input: a citizen ID of no province is refused in Vietnamese; the values are kept; nobody is created.
    await page.click("a:has-text('Đăng ký tuyển dụng')")
    await expect(page).to_have_url(f"{base}/hires/new")
    await page.fill("input[name=full_name]", NAME)
    await page.select_option("select[name=sex]", "nam")
    await page.fill("input[name=date_of_birth]", "1995-03-15")
    await page.fill("input[name=citizen_id]", BAD_CITIZEN_ID)
    await page.select_option("select[name=unit_id]", str(org.units["SYT"]))
    await page.select_option("select[name=kind]", "cong_chuc")
    await page.click("button:has-text('Đăng ký và bắt đầu quy trình')")
    await expect(page.locator(".notice-error")).to_contain_text("Mã tỉnh nơi đăng ký khai sinh «000»")
    await expect(page.locator("input[name=full_name]")).to_have_value(NAME)
    async with db.session() as session:
        assert (await session.execute(select(Person).where(Person.citizen_id == BAD_CITIZEN_ID))).first() is None
        assert (await session.execute(select(Person))).first() is None

    # The same form, corrected: registered, the onboarding workflow starts.
    await page.fill("input[name=citizen_id]", CITIZEN_ID)
    await page.click("button:has-text('Đăng ký và bắt đầu quy trình')")
    await expect(page).to_have_url(re.compile(rf"{base}/people/\d+$"))
    await expect(page.locator(".notice-ok")).to_contain_text("Đã đăng ký; quy trình tiếp nhận đã bắt đầu")
    person_id = int(page.url.rsplit("/", 1)[1])
    await expect(page.locator("h1")).to_have_text(NAME)

    # The inbox shows the account task, with its due date (dd/mm/yyyy) and legal basis.
    row = (await reload_until(page, f"{base}/", f"tr:has(a:has-text('Tạo lập tài khoản cá nhân: {NAME}'))")).first
    async with db.session() as session:
        task = (await session.execute(select(Task).where(Task.subject_person_id == person_id,
                                                         Task.kind == "create_account"))).scalar_one()
    assert task.due_on is not None and task.legal_basis
    await expect(row).to_contain_text(f"{task.due_on:%d/%m/%Y}")
    await expect(row).to_contain_text(task.legal_basis)
    await expect(row).to_contain_text("hr.syt")
    await expect(page.locator("aside")).to_contain_text(f"Nhiệm vụ mới: Tạo lập tài khoản cá nhân: {NAME}")
    await page.screenshot(path=SCREENSHOT, full_page=True)

    # HR creates the account: the one-time activation code is shown once.
    await row.locator("a", has_text="Tạo lập tài khoản cá nhân").click()
    await expect(page).to_have_url(f"{base}/tasks/{task.id}")
    await expect(page.locator("main")).to_contain_text(task.legal_basis)
    await expect(page.locator("input[name=username]")).to_have_value("an.nguyenvan")
    await page.click("button:has-text('Tạo tài khoản')")
    await expect(page.locator("main")).to_contain_text("Mã kích hoạt chỉ hiển thị một lần")
    username = (await page.locator("#activation-username").inner_text()).strip()
    code = (await page.locator("#activation-code").inner_text()).strip()
    assert username == "an.nguyenvan" and len(code) >= 12
    await page.goto(f"{base}/tasks/{task.id}")
    await expect(page.locator("main")).not_to_contain_text(code)
    await logout(page, base)

    # The person activates their account with the code, and finds their task.
    await page.goto(f"{base}/activate")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=code]", code)
    await page.fill("input[name=password]", "mat-khau-moi-2026")
    await page.fill("input[name=password2]", "mat-khau-moi-2026")
    await page.click("button:has-text('Kích hoạt và đăng nhập')")
    await expect(page).to_have_url(f"{base}/")
    await reload_until(page, f"{base}/", f"a:has-text('Tự nhập sơ yếu lý lịch: {NAME}')")

    # The CV form: the citizen ID of the hire is there; a missing field is refused, nothing typed is lost.
    await page.goto(f"{base}/people/{person_id}/cv")
    await expect(page.locator("input[name=citizen_id]")).to_have_value(CITIZEN_ID)
    await expect(page.locator("input[name=full_name]")).to_have_value(NAME)
    await fill_cv(page, {**CV_VALID, "religion": ""})
    await page.click("button:has-text('Lưu và nộp')")
    await expect(page.locator("#f-religion .field-error")).to_have_text("7. Tôn giáo: bắt buộc nhập.")
    await page.screenshot(path="/tmp/hoso-cv-errors.png", full_page=True)
    await expect(page.locator("input[name=birthplace]")).to_have_value(CV_VALID["birthplace"])
    await expect(page.locator("input[name=wh_description_0]")).to_have_value(
        CV_VALID["work_history"][0]["description"])
    await page.fill("input[name=religion]", CV_VALID["religion"])
    await page.click("button:has-text('Lưu và nộp')")
    await expect(page).to_have_url(f"{base}/people/{person_id}")
    await expect(page.locator(".notice-ok")).to_contain_text("Đã nộp sơ yếu lý lịch")
    await logout(page, base)

    # HR reviews the submitted CV and accepts it.
    await login(page, base, "hr.syt")
    review = await reload_until(page, f"{base}/", f"a:has-text('Kiểm tra sơ yếu lý lịch: {NAME}')")
    await review.first.click()
    await expect(page.locator(".cv-view")).to_contain_text(CV_VALID["qualification"])
    await expect(page.locator(".cv-view")).to_contain_text("01.003 — Chuyên viên")
    await page.screenshot(path="/tmp/hoso-review.png", full_page=True)
    await page.click("button:has-text('Chấp nhận')")
    await expect(page.locator(".notice-ok")).to_contain_text("Đã hoàn thành nhiệm vụ")

    # The timeline: three steps, all done on time; the workflow makes the person active.
    await reload_until(page, f"{base}/people/{person_id}", "#person-status:has-text('Đang công tác')")
    steps = page.locator("table.timeline tbody tr")
    await expect(steps).to_have_count(3)
    for number, kind in enumerate(("Tạo lập tài khoản cá nhân", "Tự nhập sơ yếu lý lịch", "Kiểm tra sơ yếu lý lịch")):
        await expect(steps.nth(number)).to_contain_text(kind)
        await expect(steps.nth(number)).to_contain_text("Đúng hạn")
        assert DMY.search(await steps.nth(number).inner_text())
    await page.screenshot(path="/tmp/hoso-person.png", full_page=True)

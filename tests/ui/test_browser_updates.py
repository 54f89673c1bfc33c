"""A change to an approved record through the real pages, in a real browser: the person's update with a
scanned document (a wrong file refused first), HR's review of the diff, the head's signed batch, the new
approved version, the signed PDFs.

The hire uses the Nghệ An profile: it has no monthly cutoff, so the month's signing task opens at once
whatever today's date is (a Quảng Ngãi revision reviewed after the 24th would wait for the 1st).
"""
import asyncio
import hashlib
import re
import struct
import zlib
from datetime import UTC, datetime

from playwright.async_api import Page, expect
from sqlalchemy import func, select

from models import Approval, Attachment, Person, ProfileRevision
from services import approvals
from rules.clock import local_date
from tests.helpers import CV_VALID, complete_as, onboard_to_ready, open_task
from tests.ui.browser import login, logout, reload_until

NAME = "Trần Thị Bích"
CITIZEN_ID = "051195001234"  # Quảng Ngãi (051), female born in the 1900s (1), year 95
LOGIN = "bich.tranthi"
PERSON_PASSWORD = "mat-khau-moi-123"  # what tests.helpers.onboard_to_ready sets
NEW_RESIDENCE = "Phường Nghĩa Lộ, tỉnh Quảng Ngãi"
BATCH_SCREENSHOT = "/tmp/hoso-batch.png"


def tiny_png() -> bytes:
    """A real 2×2 PNG, built by hand."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


async def revision_count(db, person_id: int) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(ProfileRevision)
                                      .where(ProfileRevision.person_id == person_id))).scalar_one()


async def approved_person(db, dev_env, task_queue, unit_id: int) -> int:
    """A hire whose first CV is signed by the head of Sở Y tế, through the services."""
    today = local_date(datetime.now(UTC))
    person_id, _ = await onboard_to_ready(db, dev_env.client, task_queue, unit_id=unit_id, hr="hr.syt",
                                          citizen_id=CITIZEN_ID, name=NAME, login=LOGIN, hired_on=today,
                                          profile="nghe-an", sex="nu")
    task = await open_task(db, f"approval/{unit_id}/{approvals.month_of(today)}", "sign_approval")
    async with db.session() as session:
        revision_id = (await session.execute(select(ProfileRevision.id).where(
            ProfileRevision.person_id == person_id))).scalar_one()
    await complete_as(db, dev_env.client, "head.syt", task.id, "sign", {"decisions": {str(revision_id): "approve"}})
    async with db.session() as session:
        assert (await session.get(Person, person_id)).current_revision_id == revision_id
    return person_id


async def test_update_reviewed_and_signed_through_the_browser(page: Page, base_url: str, db, org, dev_env,
                                                              task_queue):
    base = base_url
    person_id = await approved_person(db, dev_env, task_queue, org.units["SYT"])

    # The person opens their record: the approved version, its revision list, the update button.
    await login(page, base, LOGIN, PERSON_PASSWORD)
    await page.click("a:has-text('Hồ sơ của tôi')")
    await expect(page).to_have_url(f"{base}/people/{person_id}")
    await expect(page.locator("#cv-current")).to_contain_text("Phiên bản đã phê duyệt: bản số 1")
    await expect(page.locator("#cv-current")).to_contain_text(CV_VALID["residence"])
    await expect(page.locator("table.revisions")).to_contain_text("Đã phê duyệt")
    await expect(page.locator("#pending-update")).to_have_count(0)
    await page.click("a:has-text('Cập nhật thông tin')")
    await expect(page).to_have_url(f"{base}/people/{person_id}/updates/new")
    await expect(page.locator("#f-residence")).to_contain_text(f"Hiện tại: {CV_VALID['residence']}")

    # A text file named .pdf is refused by its content; the typed values stay; nothing is created.
    await page.fill("textarea[name=reason]", "Chuyển nơi thường trú theo giấy xác nhận cư trú")
    await page.fill("input[name=residence]", NEW_RESIDENCE)
    await page.set_input_files("input[name=document]", files=[{
        "name": "xac-nhan-cu-tru.pdf", "mimeType": "application/pdf", "buffer": "Không phải PDF".encode()}])
    await page.click("button:has-text('Tạo bản cập nhật')")
    await expect(page.locator(".notice-error")).to_contain_text("Chỉ nhận bản số hóa dạng PDF, JPEG hoặc PNG")
    await expect(page.locator("input[name=residence]")).to_have_value(NEW_RESIDENCE)
    await expect(page.locator("textarea[name=reason]")).to_have_value("Chuyển nơi thường trú theo giấy xác nhận cư trú")
    assert await revision_count(db, person_id) == 1
    async with db.session() as session:
        assert (await session.execute(select(func.count()).select_from(Attachment))).scalar_one() == 0

    # A real PNG: the update starts, the document is attached with its SHA-256, the diff shows old → new.
    png = tiny_png()
    await page.set_input_files("input[name=document]", files=[{
        "name": "xac-nhan-cu-tru.png", "mimeType": "image/png", "buffer": png}])
    await page.click("button:has-text('Tạo bản cập nhật')")
    await expect(page).to_have_url(re.compile(rf"{base}/revisions/\d+$"))
    revision_url = page.url
    await expect(page.locator(".notice-ok")).to_contain_text("Đã tạo bản cập nhật số 2")
    await expect(page.locator("#revision-status")).to_have_text("Bản nháp")
    await expect(page.locator("table.attachments")).to_contain_text("xac-nhan-cu-tru.png")
    await expect(page.locator("table.attachments")).to_contain_text(hashlib.sha256(png).hexdigest())
    row = page.locator("tr.diff-row[data-field=residence]")
    await expect(row.locator(".old")).to_have_text(CV_VALID["residence"])
    await expect(row.locator(".new")).to_contain_text(NEW_RESIDENCE)
    await expect(row.locator(".change-log")).to_contain_text(LOGIN)

    # «Nộp bản cập nhật» once the workflow has opened the entry task.
    submit = await reload_until(page, revision_url, "button:has-text('Nộp bản cập nhật')")
    await submit.click()
    await expect(page.locator(".notice-ok")).to_contain_text("Đã nộp bản cập nhật")
    await expect(page.locator("#revision-status")).to_have_text("Chờ cán bộ tổ chức kiểm tra")
    await page.goto(f"{base}/people/{person_id}")
    await expect(page.locator("#pending-update")).to_contain_text("Bản cập nhật đang chờ")
    await expect(page.locator("#cv-current")).to_contain_text(CV_VALID["residence"])  # still the approved one
    await logout(page, base)

    # HR reviews: the diff old → new and the document, then accepts.
    await login(page, base, "hr.syt")
    review = await reload_until(page, f"{base}/", f"a:has-text('Kiểm tra thông tin cập nhật: {NAME}')")
    await review.first.click()
    row = page.locator("tr.diff-row[data-field=residence]")
    await expect(row.locator(".old")).to_have_text(CV_VALID["residence"])
    await expect(row.locator(".new")).to_contain_text(NEW_RESIDENCE)
    await expect(page.locator("table.attachments")).to_contain_text("xac-nhan-cu-tru.png")
    review_url = page.url

    # HR corrects a typo before accepting: the change log names HR.
    await page.click("a:has-text('Hiệu chỉnh trước khi chấp nhận')")
    await page.fill("#correct input[name=phone]", "0912345678")
    await page.click("button:has-text('Lưu hiệu chỉnh')")
    await expect(page.locator(".notice-ok")).to_contain_text("Đã hiệu chỉnh")
    await expect(page.locator("tr.diff-row[data-field=phone] .change-log")).to_contain_text("hr.syt")
    await expect(page.locator("tr.diff-row[data-field=residence] .change-log")).to_contain_text(LOGIN)
    await page.goto(review_url)
    await page.click("button:has-text('Chấp nhận')")
    await expect(page.locator(".notice-ok")).to_contain_text("Đã hoàn thành nhiệm vụ")
    await logout(page, base)

    # The head's batch: select all, sign.
    await login(page, base, "head.syt")
    sign = await reload_until(page, f"{base}/", "a:has-text('Ký số phê duyệt dữ liệu tháng')")
    await sign.first.click()
    batch = page.locator("tr.batch-row")
    await expect(batch).to_have_count(1)
    await expect(batch).to_contain_text(NAME)
    await expect(batch).to_contain_text("Bản số 2")
    await expect(batch).to_contain_text(hashlib.sha256(png).hexdigest())
    await expect(page.locator("#signing-capacity")).to_have_text("Thủ trưởng đơn vị")
    await expect(batch.locator(".reason-field")).to_be_visible()  # unchecked: returned, with a reason
    await page.get_by_label("Chọn tất cả").check()
    await expect(batch.locator("input[name=approve]")).to_be_checked()
    await expect(batch.locator(".reason-field")).to_be_hidden()
    await page.screenshot(path=BATCH_SCREENSHOT, full_page=True)
    # «Xem trước» posts the same form to the preview: the PDF she will sign with these choices.
    preview = page.locator("#preview-batch")
    action = await preview.get_attribute("formaction")
    assert re.fullmatch(r"/tasks/\d+/preview", action) and await preview.get_attribute("formtarget") == "_blank"
    item = await batch.locator("input[name=item]").get_attribute("value")
    previewed = await page.request.post(f"{base}{action}", form={
        "csrf": await page.locator("#batch-form input[name=csrf]").get_attribute("value"), "outcome": "sign",
        "item": item, "approve": item})
    assert previewed.ok and previewed.headers["content-type"] == "application/pdf"
    previewed_pdf = await previewed.body()
    await page.click("button:has-text('Ký số và phê duyệt')")
    await expect(page.locator(".notice-ok")).to_contain_text("1 hồ sơ phê duyệt, 0 hồ sơ trả lại")

    # The new residence is the approved version everyone sees.
    await reload_until(page, f"{base}/people/{person_id}",
                       f"#cv-current:has-text('Phiên bản đã phê duyệt: bản số 2'):has-text('{NEW_RESIDENCE}')")
    await expect(page.locator("#pending-update")).to_have_count(0)
    for _ in range(100):  # signed just after the approval, with the head's key
        export = await page.request.get(f"{base}/people/{person_id}/export.pdf")
        if export.ok:
            break
        await asyncio.sleep(0.1)
    assert export.ok and (await export.body()).startswith(b"%PDF")

    # The month's approvals: Sở Y tế signed on time, its signed batch is a PDF.
    await page.click("nav a:has-text('Phê duyệt tháng')")
    row = page.locator(f"tr.approval-row[data-unit='{org.units['SYT']}']")
    await expect(row).to_contain_text("Đúng hạn")
    await expect(row).to_contain_text("Thủ trưởng đơn vị")
    href = await row.locator("a.signed-pdf").get_attribute("href")
    signed = await page.request.get(f"{base}{href}")
    assert signed.ok and (await signed.body()).startswith(b"%PDF")
    async with db.session() as session:  # the batch she previewed (maybe next month's) was signed on those bytes
        latest = (await session.execute(select(Approval).where(Approval.unit_id == org.units["SYT"])
                                        .order_by(Approval.signed_at.desc().nulls_last()))).scalars().first()
    assert latest.signed_pdf.startswith(previewed_pdf) and len(latest.signed_pdf) > len(previewed_pdf)
    await logout(page, base)

    # The person sees their new approved version too.
    await login(page, base, LOGIN, PERSON_PASSWORD)
    await page.goto(f"{base}/people/{person_id}")
    await expect(page.locator("#cv-current")).to_contain_text(NEW_RESIDENCE)
    await expect(page.locator("table.revisions tbody tr")).to_have_count(2)

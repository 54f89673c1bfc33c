"""Sở Nội vụ's inspector in a real browser: the province's overview on the home page, a unit's
scorecard, then a person's workflow history read from Temporal."""
from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect

from models import Task
from rules.clock import local_date
from rules.deadlines import due_datetime
from tests.helpers import hire, open_task
from tests.ui.browser import login


async def _late_work(db, unit_id: int) -> None:
    """A task of this month done a day late and escalated to the head: the scorecard must show it."""
    due = local_date(datetime.now(UTC)).replace(day=1)
    async with db.session() as session:
        session.add(Task(workflow_id="demo/late", step_key="s", kind="self_entry", title="Tự nhập sơ yếu lý lịch",
                         unit_id=unit_id, actor_role="person", rule="self_entry", profile="quang-ngai",
                         profile_version="2025-01-01", started_on=due, due_on=due, due_at=due_datetime(due),
                         status="done", completed_at=due_datetime(due) + timedelta(days=1), escalation_level=1))


async def test_inspector_overview_scorecard_and_history(page: Page, base_url: str, db, org, dev_env, task_queue):
    base = base_url
    await _late_work(db, org.units["SYT"])
    person = await hire(db, dev_env.client, task_queue, "hr.syt", org.units["SYT"], local_date(datetime.now(UTC)))
    await open_task(db, f"onboarding/{person.id}", "create_account")

    await login(page, base, "thanhtra")
    overview = page.locator("#scorecard-overview")
    await expect(overview).to_contain_text("Tuân thủ thời hạn toàn tỉnh")
    await expect(overview).to_contain_text("trễ 1")
    await page.click("#scorecard-overview a:has-text('Xem bảng điểm tuân thủ')")
    row = page.locator("#unit-SYT")
    await expect(row).to_contain_text("Sở Y tế")
    await expect(row.locator("svg rect")).to_have_count(12)
    await expect(row.locator("td").nth(3)).to_have_text("1")  # late
    await row.locator("a").first.click()
    await expect(page.locator("h1")).to_contain_text("Bảng điểm tuân thủ: Sở Y tế")
    await expect(page.locator("#unit-scorecard")).to_contain_text("self_entry: 1")

    await page.goto(f"{base}/people/{person.id}")
    await page.click("#workflow-history-link")
    await expect(page.locator("#workflow-runs")).to_contain_text("Tiếp nhận, lập hồ sơ mới")
    await page.click("#workflow-runs a:has-text('Tiếp nhận, lập hồ sơ mới')")
    await expect(page.locator("h1")).to_have_text("Tiếp nhận, lập hồ sơ mới")
    events = page.locator("#history-events")
    await expect(events).to_contain_text("Quy trình bắt đầu")
    await expect(events).to_contain_text("Mở nhiệm vụ (bước account)")
    await expect(page.locator("#history-tasks")).to_contain_text("Tạo lập tài khoản cá nhân")

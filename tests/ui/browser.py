"""Steps the browser tests share: log in and out, reload until a workflow has moved on."""
import asyncio

import pytest
from playwright.async_api import Page, expect

from tests.conftest import PASSWORD


async def login(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button:has-text('Đăng nhập')")
    await expect(page).to_have_url(f"{base}/")


async def logout(page: Page, base: str) -> None:
    await page.click("button:has-text('Đăng xuất')")
    await expect(page).to_have_url(f"{base}/login")


async def reload_until(page: Page, url: str, selector: str, *, tries: int = 40, pause: float = 0.5):
    """Open url until selector shows: workflows move on in the background."""
    for _ in range(tries):
        await page.goto(url)
        if await page.locator(selector).count():
            return page.locator(selector)
        await asyncio.sleep(pause)
    pytest.fail(f"{selector} never appeared on {url}:\n{await page.locator('main').inner_text()}", pytrace=False)

"""The browser tests' fixtures: the app under uvicorn (in the test's event loop, on the real Temporal dev
server with a worker) and a page of Debian's chromium."""
import asyncio
import os
import socket

import pytest
import uvicorn
from playwright.async_api import async_playwright

from api.main import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def base_url(dev_env, dev_worker, db, settings, task_queue, org):
    app = create_app(settings, db=db, temporal=dev_env.client, task_queue=task_queue)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started or serving.done():
            break
        await asyncio.sleep(0.05)
    if not server.started:
        serving.result() if serving.done() else None
        pytest.fail("uvicorn did not start", pytrace=False)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await asyncio.wait_for(serving, timeout=10)


@pytest.fixture
async def page():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: apt-get install chromium (the browser tests need Debian's chromium)",
                    pytrace=False)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                                            viewport={"width": 1360, "height": 900}, accept_downloads=True)
        context.set_default_timeout(15_000)
        yield await context.new_page()
        await browser.close()

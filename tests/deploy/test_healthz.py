"""/healthz, the load balancer's and compose's health check: 200 only when the database answers,
Temporal answers and a worker polls the task queue (Temporal's DescribeTaskQueue); otherwise 503 with
a Vietnamese "lỗi: ..." for each failing part."""
import asyncio

import httpx

from api import main
from api.main import create_app
from bootstrap.worker import build_worker
from core.db import Database


async def _health(app) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        return await client.get("/healthz")


async def test_503_until_a_worker_polls_and_again_once_it_is_gone(dev_env, db, settings, task_queue, monkeypatch):
    app = create_app(settings, db=db, temporal=dev_env.client, task_queue=task_queue)
    response = await _health(app)
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok" and body["temporal"] == "ok"
    assert body["worker"].startswith("lỗi: không có worker nào nhận việc trên hàng đợi")
    assert task_queue in body["worker"]

    async with build_worker(dev_env.client, db, settings, task_queue=task_queue):
        for _ in range(100):
            response = await _health(app)
            if response.status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert response.status_code == 200, response.text
        assert response.json() == {"database": "ok", "temporal": "ok", "worker": "ok"}

    # The server keeps listing a gone poller for minutes; only one seen within the window counts.
    monkeypatch.setattr(main, "POLLER_WINDOW", main.timedelta(seconds=1))
    await asyncio.sleep(1.5)
    response = await _health(app)
    assert response.status_code == 503 and response.json()["worker"].startswith("lỗi: "), response.text


async def test_503_when_the_database_or_temporal_is_unreachable(dev_env, settings, task_queue):
    nowhere = Database("postgresql://nobody@127.0.0.1:9/none")
    try:
        app = create_app(settings, db=nowhere, temporal=dev_env.client, task_queue=task_queue)
        response = await _health(app)
        assert response.status_code == 503
        assert response.json()["database"] == "lỗi: OperationalError"
    finally:
        await nowhere.dispose()

    app = create_app(settings.model_copy(update={"temporal_address": "127.0.0.1:9"}), db=None, task_queue=task_queue)
    app.state.hoso.db = Database(settings.database_url)
    app.state.hoso.temporal_address = "127.0.0.1:9"
    try:
        response = await _health(app)
        body = response.json()
        assert response.status_code == 503 and body["database"] == "ok"
        assert body["temporal"].startswith("lỗi: ") and body["worker"].startswith("lỗi: không kiểm tra được")
    finally:
        await app.state.hoso.db.dispose()

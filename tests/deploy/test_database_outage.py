"""RESILIENCE (slow, ~1.5 min): PostgreSQL stops for 30 s under a running app and worker.

On a PostgreSQL cluster of this test's own (other tests keep theirs): during the outage pages and API
answer a clear Vietnamese 503 and /healthz says so; a hire is refused and leaves nothing; the worker's
activities fail and are retried. When the server is back nothing is lost: a task completed before is
still done, the onboarding whose activities were retrying has exactly its one open task, and the
refused hire, sent again, completes."""
import asyncio
import subprocess
import time
import uuid
from datetime import date

import httpx
import psycopg
import pytest
from sqlalchemy import func, select

from api.main import create_app
from bootstrap.demo import seed_org
from core.config import ROOT, Settings
from core.db import Database
from core.devstack import embedded_postgres_uri, ensure_database
from core.migrate import upgrade
from models import Person
from tests.conftest import PASSWORD
from tests.deploy.resilience import WorkerProcess, app_client, server_address, worker_env
from tests.helpers import complete_as, hire, tasks_of, until

pytestmark = pytest.mark.resilience
OUTAGE = 30.0
HIRE = {"full_name": "Trần Văn Mất Điện", "sex": "nam", "date_of_birth": "1995-03-15", "citizen_id": "051095777001",
        "hired_on": date.today().isoformat(), "kind": "cong_chuc"}


class Cluster:
    """A PostgreSQL cluster (the embedded-postgres binaries) in a data directory of its own, stopped and started
    with pg_ctl."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.admin_uri = embedded_postgres_uri(data_dir)  # initdb and start
        import embedded_postgres as pgserver
        self.server = pgserver.get_server(data_dir / "pg", cleanup_mode=None)
        self.pgdata = self.server.pgdata

    def _pg_ctl(self, *args: str) -> None:
        import embedded_postgres as pgserver
        pgserver.pg_ctl(["-w", *args], pgdata=self.pgdata, user=self.server.system_user, timeout=60)

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")

    def start(self) -> None:  # the options embedded-postgres starts it with: Unix socket in the data dir, no TCP
        self._pg_ctl("-o", '-h ""', "-o", f"-k {self.pgdata}", "-l", str(self.pgdata / "log"), "start")

    def answers(self) -> bool:
        try:
            with psycopg.connect(self.admin_uri, connect_timeout=2) as conn:
                return conn.execute("SELECT 1").fetchone() == (1,)
        except psycopg.OperationalError:
            return False


@pytest.fixture
def cluster():
    data_dir = ROOT / ".var" / f"test-outage-{uuid.uuid4().hex[:8]}"
    data_dir.mkdir(parents=True)
    own = Cluster(data_dir)
    yield own
    if own.answers():
        own.stop()
    subprocess.run(["rm", "-rf", str(data_dir)], check=False)


async def test_thirty_seconds_without_postgresql(cluster, dev_env, national, signing_dir, task_queue, tmp_path):
    url = ensure_database(cluster.admin_uri, "hoso")
    upgrade(url)
    db = Database(url)
    settings = Settings(database_url=url, secret_key="test-secret", demo_password=PASSWORD,
                        national_db_url=national.url, signing_dir=signing_dir)
    address = server_address(dev_env.client)
    client = await app_client(address, settings)
    worker = WorkerProcess(worker_env(database_url=url, temporal_address=address, task_queue=task_queue,
                                      HOSO_NATIONAL_DB_URL=national.url, HOSO_SIGNING_DIR=str(signing_dir)),
                           tmp_path / "worker.log")
    app = create_app(settings, db=db, temporal=client, task_queue=task_queue)
    web = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    try:
        async with db.session() as session:
            org = await seed_org(session, PASSWORD)
        await worker.start()
        assert (await web.post("/api/auth/login", json={"username": "hr.syt", "password": PASSWORD})).status_code == 200

        # Before: one onboarding's first step done.
        done_person = await hire(db, client, task_queue, "hr.syt", org.units["SYT"], date.today(), email=None)
        done_wid = f"onboarding/{done_person.id}"
        account = await _open(db, done_wid, "create_account")
        await complete_as(db, client, "hr.syt", account.id, "done", {"username": "an.nguyenvan"})
        await _open(db, done_wid, "self_entry")

        # An onboarding the worker has not seen yet: its activities will meet the outage.
        worker.stop()
        waiting = await hire(db, client, task_queue, "hr.syt", org.units["SYT"], date.today(), email=None,
                             citizen_id="051095777002", name="Lê Thị Chờ")
        waiting_wid = f"onboarding/{waiting.id}"
        assert await tasks_of(db, waiting_wid) == []

        cluster.stop()
        stopped_at = time.monotonic()
        assert not cluster.answers()

        api = await web.get("/api/tasks")
        assert api.status_code == 503, api.text
        assert api.json()["code"] == "database_unavailable"
        assert api.json()["detail"].startswith("Cơ sở dữ liệu tạm thời không phản hồi")
        page = await web.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 503 and "Cơ sở dữ liệu tạm thời không phản hồi" in page.text, page.text[:500]
        health = await web.get("/healthz")
        assert health.status_code == 503 and health.json()["database"].startswith("lỗi: ")
        refused = await web.post("/api/hires", json={**HIRE, "unit_id": org.units["SYT"]})
        assert refused.status_code == 503 and refused.json()["code"] == "database_unavailable", refused.text

        # The worker comes back during the outage: its activities fail and are retried.
        await asyncio.sleep(max(0.0, OUTAGE - 12 - (time.monotonic() - stopped_at)))
        await worker.start()
        handle = client.get_workflow_handle(waiting_wid)

        async def retrying():
            pending = (await handle.describe()).raw_description.pending_activities
            return pending and pending[0].attempt >= 2 and pending[0].last_failure.message
        failure = await until(retrying, timeout=15)
        assert failure, "no activity was retried during the outage"

        await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - stopped_at)))
        cluster.start()
        outage = time.monotonic() - stopped_at

        # After: healthy again, nothing lost, nothing half-saved.
        async def healthy():
            return (await web.get("/healthz")).status_code == 200
        await until(healthy, timeout=30)
        tasks = await tasks_of(db, done_wid)
        assert sorted((t.kind, t.status) for t in tasks) == [("create_account", "done"), ("self_entry", "open")]
        await _open(db, waiting_wid, "create_account", timeout=60)
        async with db.session() as session:
            refused_rows = (await session.execute(select(func.count()).select_from(Person).where(
                Person.citizen_id == HIRE["citizen_id"]))).scalar_one()
        assert refused_rows == 0, "the hire refused during the outage was half-saved"
        again = await web.post("/api/hires", json={**HIRE, "unit_id": org.units["SYT"]})
        assert again.status_code == 201, again.text
        await _open(db, again.json()["workflow_id"], "create_account")
        for wid in (done_wid, waiting_wid, again.json()["workflow_id"]):
            assert len({t.step_key for t in await tasks_of(db, wid)}) == len(await tasks_of(db, wid))
        print(f"PostgreSQL stopped for {outage:.1f} s; the retried activity failed with: {failure!r}")
    finally:
        await web.aclose()
        worker.stop()
        await db.dispose()


async def _open(db, wid: str, kind: str, timeout: float = 30):
    from tests.helpers import open_task
    return await open_task(db, wid, kind, timeout)

"""`hoso run` supervises what it starts: a child that dies is started again after a growing back-off,
each restart is logged, and on exit it stops what it started (the embedded PostgreSQL and the
Temporal dev server included) and nothing that was already running."""
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from bootstrap import cli
from bootstrap.supervisor import Stack, Supervised, embedded_postgres
from core.config import ROOT, get_settings

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def _until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def test_a_killed_child_is_restarted_and_logged(capsys):
    child = Supervised("ngủ", SLEEPER, backoff_first=0.2).start()
    try:
        first = child.pid
        os.kill(first, signal.SIGKILL)
        _until(lambda: child.pid != first and child.proc.poll() is None, 10, "restart")
        assert child.restarts == 1
        assert "ngủ đã dừng (mã thoát -9); khởi động lại sau 0.2 giây (lần 1)" in capsys.readouterr().err
    finally:
        child.stop()
    assert child.proc.poll() is not None
    time.sleep(0.5)
    assert child.restarts == 1, "restarted after stop()"


def test_backoff_grows_while_the_child_keeps_dying(capsys):
    child = Supervised("hỏng", [sys.executable, "-c", "raise SystemExit(3)"], backoff_first=0.1,
                       backoff_max=0.4).start()
    try:
        _until(lambda: child.restarts >= 5, 30, "five restarts")
    finally:
        child.stop()
    delays = [line.split("khởi động lại sau ")[1].split(" giây")[0]
              for line in capsys.readouterr().err.splitlines() if "hỏng đã dừng (mã thoát 3)" in line]
    assert delays[:5] == ["0.1", "0.2", "0.4", "0.4", "0.4"]


def _pg_answers(uri: str) -> bool:
    try:
        with psycopg.connect(uri, connect_timeout=3) as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)
    except psycopg.OperationalError:
        return False


@pytest.fixture
def data_dir():
    # Under the repository (like .var/test): the embedded server runs as its own system user when root.
    path = ROOT / ".var" / f"test-supervisor-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=False)


def test_only_the_embedded_postgres_it_started_is_stopped(data_dir):
    ours = Stack()
    uri = embedded_postgres(ours, data_dir)
    assert _pg_answers(uri)
    theirs = Stack()  # a second `hoso run` finds it running: not its to stop
    assert embedded_postgres(theirs, data_dir) == uri
    theirs.close()
    assert _pg_answers(uri)
    ours.close()
    assert not _pg_answers(uri)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_hoso_run_restarts_a_killed_worker_and_stops_what_it_started(data_dir, monkeypatch, capsys):
    """`hoso run` with the demo seeding and the web server replaced: the worker it started is killed
    with SIGKILL and comes back; when run returns, its worker, Temporal dev server and embedded
    PostgreSQL are gone."""
    temporal_port = _free_port()
    for name in ("DATABASE_URL", "TEMPORAL_ADDRESS", "HOSO_ENV", "HOSO_TASK_QUEUE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOSO_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HOSO_TEMPORAL_PORT", str(temporal_port))
    monkeypatch.setenv("HOSO_NATIONAL_DB_URL", "http://127.0.0.1:9")  # no receiver process in this test
    monkeypatch.setenv("HOSO_TASK_QUEUE", f"test-run-{uuid.uuid4().hex[:8]}")
    get_settings.cache_clear()
    started: list[Supervised] = []
    real_start = Supervised.start

    def recording_start(self):
        started.append(self)
        return real_start(self)

    async def no_seed(url, address):
        return None

    seen = {}

    def serve(*args, **kwargs):  # stands in for uvicorn.run: the web server's lifetime
        worker = started[0]
        _until(lambda: (data_dir / "worker.log").exists() and b"worker.started" in (data_dir / "worker.log")
               .read_bytes(), 60, "worker started")
        seen["first"] = worker.pid
        seen["db"] = os.environ["DATABASE_URL"]
        os.kill(worker.pid, signal.SIGKILL)
        _until(lambda: worker.pid != seen["first"] and worker.proc.poll() is None, 15, "worker restarted")
        seen["second"] = worker.proc

    monkeypatch.setattr(Supervised, "start", recording_start)
    monkeypatch.setattr(cli, "_seed", no_seed)
    monkeypatch.setattr(cli, "_banner", lambda settings: None)
    import uvicorn
    monkeypatch.setattr(uvicorn, "run", serve)
    try:
        assert cli.run() == 0
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "worker đã dừng (mã thoát -9); khởi động lại sau 1 giây (lần 1)" in err
    assert seen["second"].poll() is not None, "the worker outlived hoso run"
    assert not _listening(temporal_port), "the Temporal dev server outlived hoso run"
    assert not _pg_answers(seen["db"]), "the embedded PostgreSQL outlived hoso run"
    for name in ("worker", "máy chủ Temporal phát triển", "PostgreSQL nhúng"):
        assert f"đã dừng {name}" in err

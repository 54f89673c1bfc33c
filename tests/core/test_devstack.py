"""The Temporal dev server as `hoso run` starts it (core/devstack.py)."""
import socket
import sqlite3

from temporalio.api.workflowservice.v1 import ListNamespacesRequest
from temporalio.client import Client

from core.config import Settings
from core.devstack import start_temporal_dev_server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_the_dev_server_keeps_its_sqlite_file_in_wal_mode(tmp_path):
    settings = Settings(data_dir=tmp_path, temporal_port=_free_port())
    server = start_temporal_dev_server(settings, ui=False)
    try:
        client = await Client.connect(f"127.0.0.1:{settings.temporal_port}")
        listed = await client.workflow_service.list_namespaces(ListNamespacesRequest())
        assert "default" in [ns.namespace_info.name for ns in listed.namespaces]
        with sqlite3.connect(tmp_path / "temporal.db") as store:
            assert store.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert (tmp_path / "temporal.db-wal").exists()
    finally:
        server.terminate()
        server.wait(timeout=30)

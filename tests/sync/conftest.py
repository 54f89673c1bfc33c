"""Fixtures: a national receiver in-process or as a separate process."""
import pytest

from tests.sync.support import InProcessReceiver, ProcessReceiver


@pytest.fixture
async def receiver():
    server = InProcessReceiver()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def receiver_process(tmp_path):
    server = ProcessReceiver(tmp_path / "national.sqlite", tmp_path / "receiver.log")
    await server.start()
    yield server
    await server.stop()

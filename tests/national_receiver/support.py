"""Test support: the national receiver in-process (uvicorn task) or as a separate process."""
import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import uvicorn

from core.config import ROOT
from national_receiver.app import create_app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Receiver:
    """Talks to a running receiver: control, stats, records."""

    def __init__(self, url: str):
        self.url = url

    async def _call(self, method: str, path: str, **kwargs):
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as http:
            response = await http.request(method, path, **kwargs)
            response.raise_for_status()
            return response.json()

    async def control(self, **changes) -> dict:
        return await self._call("POST", "/control", json=changes)

    async def stats(self) -> dict:
        return await self._call("GET", "/control/stats")

    async def records(self) -> list[dict]:
        return await self._call("GET", "/api/v1/records")


class InProcessReceiver(Receiver):
    def __init__(self, store: Path | None = None):
        self.port = free_port()
        super().__init__(f"http://127.0.0.1:{self.port}")
        config = uvicorn.Config(create_app(store), host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off", timeout_graceful_shutdown=3)
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve())
        for _ in range(500):
            if self.server.started:
                return
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.01)
        raise AssertionError("the in-process receiver did not start")

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task:
            await self.task


class ProcessReceiver(Receiver):
    """`python -m national_receiver --port P --store FILE` in its own process, killable with SIGKILL."""

    def __init__(self, store: Path, log: Path, port: int | None = None):
        self.port = port or free_port()
        super().__init__(f"http://127.0.0.1:{self.port}")
        self.store = store
        self.log = log
        self.proc: subprocess.Popen | None = None

    async def start(self, timeout: float = 20) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "national_receiver", "--port", str(self.port), "--store", str(self.store)],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        for _ in range(int(timeout * 20)):
            if self.proc.poll() is not None:
                raise AssertionError(f"receiver exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                await self.stats()
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.05)
        raise AssertionError(f"receiver did not answer on port {self.port}: {self.log.read_text()[-2000:]}")

    async def kill(self) -> None:
        """SIGKILL: no graceful shutdown, in-flight requests are cut."""
        assert self.proc is not None
        self.proc.kill()
        await asyncio.to_thread(self.proc.wait)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                await asyncio.to_thread(self.proc.wait, 10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                await asyncio.to_thread(self.proc.wait)

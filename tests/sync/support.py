"""Test support: the national receiver in-process (uvicorn task) or as a separate process; approved revisions."""
import asyncio
import socket
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import uvicorn

from core.config import ROOT
from core.db import Database
from models import Person, ProfileRevision, SyncOutbox
from national_receiver.app import create_app
from services import national_sync
from tests.helpers import CV_VALID


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


async def make_revisions(db: Database, unit_id: int, n: int, *, status: str = "approved",
                         first: int = 1) -> list[tuple[Person, ProfileRevision]]:
    """n people, each with one revision of the given status (approved ones carry approved_at)."""
    made = []
    async with db.session() as session:
        for i in range(first, first + n):
            person = Person(full_name=f"Nguyễn Văn Thử {i}", search_name=f"nguyen van thu {i}", sex="nam",
                            date_of_birth=date(1990, 1, 1), citizen_id=f"051090{i:06d}", unit_id=unit_id,
                            kind="cong_chuc", hired_on=date(2025, 1, 2), status="active", profile="quang-ngai",
                            profile_version="2025-1")
            session.add(person)
            await session.flush()
            revision = ProfileRevision(person_id=person.id, number=1, status=status,
                                       data={**CV_VALID, "phone": f"0905{i:06d}"},
                                       approved_at=datetime(2026, 3, 5, 9, 30, tzinfo=UTC) if status == "approved"
                                       else None)
            session.add(revision)
            await session.flush()
            if status == "approved":
                person.current_revision_id = revision.id
            made.append((person, revision))
    return made


async def approved_outbox(db: Database, unit_id: int, n: int) -> list[SyncOutbox]:
    made = await make_revisions(db, unit_id, n)
    async with db.session() as session:
        return [await national_sync.enqueue(session, revision, person) for person, revision in made]


async def outbox_rows(db: Database, ids: list[int]) -> list[SyncOutbox]:
    async with db.session() as session:
        return [await national_sync.get(session, i) for i in ids]

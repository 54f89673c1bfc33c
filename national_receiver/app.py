"""The receiver's HTTP API.

POST /api/v1/records   header Idempotency-Key, JSON object with at least citizen_id and revision
                       → 201 {"id": "<uuid>"} on first receipt; a repeated key → 200 {"id": <same>}
                         (or 409 {"id": <same>} when told duplicate_status=409), stored once
GET  /api/v1/records   every stored record, oldest first
GET  /api/v1/records/{citizen_id}
                       → 200 the latest record received for that citizen (as listed above), 404 when none
                         (an arrival's pull; fail_next answers it too)
POST /control          {"fail_next": N, "status": 503, "delay_ms": M, "delay_next": K,
                        "delay_phase": "before"|"after", "duplicate_status": 200|409, "reset": true}
GET  /control          the current control settings
GET  /control/stats    {"received": n, "duplicates": k, "failed_injected": f}
"""
import asyncio
import hashlib
import json
import re
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload_sha256 TEXT NOT NULL,
    citizen_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_citizen ON records (citizen_id, seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
CITIZEN_ID = re.compile(r"[0-9]{12}")


class Store:
    """Records by idempotency key, in SQLite (a file survives restarts; None → in memory)."""

    def __init__(self, path: Path | None):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False,
                                    isolation_level=None)
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.executescript(SCHEMA)
        self.lock = asyncio.Lock()

    async def receive(self, key: str, payload: dict[str, Any]) -> tuple[str, bool, bool]:
        """(id, created, same_payload): stores the payload once per key."""
        body = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest = hashlib.sha256(body.encode()).hexdigest()
        async with self.lock:
            found = self.conn.execute("SELECT id, payload_sha256 FROM records WHERE idempotency_key = ?",
                                      (key,)).fetchone()
            if found:
                self._bump("duplicates")
                return found[0], False, found[1] == digest
            record_id = str(uuid.uuid4())
            # autocommit: the INSERT is committed (synchronous=FULL) before the answer goes out
            self.conn.execute(
                "INSERT INTO records (id, idempotency_key, payload_sha256, citizen_id, revision, payload,"
                " received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (record_id, key, digest, str(payload["citizen_id"]), int(payload["revision"]), body,
                 datetime.now(UTC).isoformat()))
            return record_id, True, True

    def _bump(self, name: str) -> None:
        self.conn.execute("INSERT INTO counters (name, value) VALUES (?, 1) "
                          "ON CONFLICT(name) DO UPDATE SET value = value + 1", (name,))

    def counter(self, name: str) -> int:
        row = self.conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return row[0] if row else 0

    def records(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT id, idempotency_key, citizen_id, revision, payload, received_at "
                                 "FROM records ORDER BY seq").fetchall()
        return [{"id": r[0], "idempotency_key": r[1], "citizen_id": r[2], "revision": r[3],
                 "payload": json.loads(r[4]), "received_at": r[5]} for r in rows]

    def latest(self, citizen_id: str) -> dict[str, Any] | None:
        """The last record received for a citizen ID, None when there is none."""
        row = self.conn.execute("SELECT id, idempotency_key, citizen_id, revision, payload, received_at "
                                "FROM records WHERE citizen_id = ? ORDER BY seq DESC LIMIT 1", (citizen_id,)).fetchone()
        if row is None:
            return None
        return {"id": row[0], "idempotency_key": row[1], "citizen_id": row[2], "revision": row[3],
                "payload": json.loads(row[4]), "received_at": row[5]}

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM records").fetchone()[0]

    def close(self) -> None:
        self.conn.close()


class Control(BaseModel):
    fail_next: int = 0                # the next N POSTs answer `status` without storing
    status: int = 503
    delay_ms: int = 0                 # each POST waits this long ...
    delay_next: int | None = None     # ... for the next K POSTs only (None: until reset)
    delay_phase: Literal["before", "after"] = "before"  # before storing, or after storing (ack delayed)
    duplicate_status: Literal[200, 409] = 200


class ControlUpdate(BaseModel):
    fail_next: int | None = Field(default=None, ge=0)
    status: int | None = Field(default=None, ge=400, le=599)
    delay_ms: int | None = Field(default=None, ge=0)
    delay_next: int | None = Field(default=None, ge=0)
    delay_phase: Literal["before", "after"] | None = None
    duplicate_status: Literal[200, 409] | None = None
    reset: bool = False


def create_app(store_path: Path | None = None) -> FastAPI:
    app = FastAPI(title="National CBCCVC database (development stand-in)", version="1")
    store = Store(store_path)
    state = {"control": Control(), "failed_injected": 0}
    app.state.store = store

    @app.post("/api/v1/records")
    async def receive(request: Request, idempotency_key: str | None = Header(default=None)):
        control: Control = state["control"]
        if control.fail_next > 0:
            control.fail_next -= 1
            state["failed_injected"] += 1
            return JSONResponse({"error": "injected failure"}, status_code=control.status)
        if not idempotency_key:
            return JSONResponse({"error": "Idempotency-Key header is required"}, status_code=400)
        try:
            payload = await request.json()
        except ValueError:
            return JSONResponse({"error": "body is not JSON"}, status_code=400)
        if not isinstance(payload, dict) or "citizen_id" not in payload or not isinstance(payload.get("revision"), int):
            return JSONResponse({"error": "a record needs citizen_id and an integer revision"}, status_code=422)

        delay = 0.0
        if control.delay_ms and (control.delay_next is None or control.delay_next > 0):
            if control.delay_next is not None:
                control.delay_next -= 1
            delay = control.delay_ms / 1000
        phase = control.delay_phase
        if delay and phase == "before":
            await asyncio.sleep(delay)
        record_id, created, same = await store.receive(idempotency_key, payload)
        if delay and phase == "after":
            await asyncio.sleep(delay)
        if created:
            return JSONResponse({"id": record_id}, status_code=201)
        if not same:
            return JSONResponse({"error": "Idempotency-Key reused with a different record", "id": record_id},
                                status_code=422)
        return JSONResponse({"id": record_id, "duplicate": True}, status_code=control.duplicate_status)

    @app.get("/api/v1/records")
    async def records():
        return store.records()

    @app.get("/api/v1/records/{citizen_id}")
    async def latest(citizen_id: str):
        """An arrival's pull: the latest record received for the citizen ID."""
        control: Control = state["control"]
        if control.fail_next > 0:
            control.fail_next -= 1
            state["failed_injected"] += 1
            return JSONResponse({"error": "injected failure"}, status_code=control.status)
        if not CITIZEN_ID.fullmatch(citizen_id):
            return JSONResponse({"error": "a citizen ID is 12 digits"}, status_code=422)
        record = store.latest(citizen_id)
        if record is None:
            return JSONResponse({"error": "no record for this citizen ID"}, status_code=404)
        return record

    @app.post("/control")
    async def control(update: ControlUpdate):
        current = Control() if update.reset else state["control"]
        changes = update.model_dump(exclude_none=True, exclude={"reset"})
        if update.reset:
            state["failed_injected"] = 0
        state["control"] = current.model_copy(update=changes)
        return state["control"].model_dump()

    @app.get("/control")
    async def get_control():
        return state["control"].model_dump()

    @app.get("/control/stats")
    async def stats():
        return {"received": store.count(), "duplicates": store.counter("duplicates"),
                "failed_injected": state["failed_injected"]}

    return app

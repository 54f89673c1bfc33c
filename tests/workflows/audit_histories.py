"""The recorded history of the AuditChainCheck workflow (workflows/audit_check.py), part of
record_histories.SCENARIOS.

To record only this one (the other histories untouched, history_ids.json updated for its file):

    .venv/bin/python -m tests.workflows.audit_histories
"""
import asyncio
import json
import os
import tempfile
from pathlib import Path

import psycopg
from sqlalchemy import select


async def audit_chain_broken_notified(s) -> None:
    """Three rows, the second altered in PostgreSQL: the check finds it and notifies Sở Nội vụ."""
    from models import AuditEvent
    from services import audit
    from tests.workflows import record_histories as rh
    from workflows.audit_check import SCHEDULE_ID, AuditChainCheckWorkflow
    from workflows.contracts import AuditCheckInput
    for i in range(3):
        async with s.db.session() as session:
            await audit.record(actor="hr.syt", action="cv.draft_saved", subject=f"person:{i}", session=session)
    async with s.db.session() as session:
        target = (await session.execute(select(AuditEvent.id).where(AuditEvent.seq == 2))).scalar_one()
    async with await psycopg.AsyncConnection.connect(s.db.url, autocommit=True) as conn:
        await conn.execute("UPDATE audit_events SET actor = 'sonoivu' WHERE id = %s", (target,))
    wid = f"{SCHEDULE_ID}-replay"
    result = await s.client.execute_workflow(AuditChainCheckWorkflow.run, AuditCheckInput(), id=wid,
                                             task_queue=rh.TASK_QUEUE)
    assert not result.ok
    await rh.record(s, wid, "broken-notified", done=True)


AUDIT_SCENARIOS = [audit_chain_broken_notified]


async def main() -> None:
    from core.config import ROOT
    from core.devstack import embedded_postgres_uri
    from tests.national_receiver.support import InProcessReceiver
    from tests.workflows import record_histories as rh
    admin_uri = os.environ.get("DATABASE_URL") or embedded_postgres_uri(ROOT / ".var" / "test")
    recorded: dict = {}
    national = InProcessReceiver()
    await national.start()
    try:
        with tempfile.TemporaryDirectory(prefix="hoso-replay-signing-") as signing_dir:
            for scenario in AUDIT_SCENARIOS:
                print(f"-- {scenario.__name__}")
                async with rh.stack(admin_uri, national.url, Path(signing_dir), recorded) as s:
                    await scenario(s)
    finally:
        await national.stop()
    for old in rh.HISTORIES.glob("AuditChainCheck-*.json"):
        old.unlink()
    ids = {name: wid for name, wid in json.loads(rh.WORKFLOW_IDS.read_text(encoding="utf-8")).items()
           if not name.startswith("AuditChainCheck-")}
    for name, history in sorted(recorded.items()):
        (rh.HISTORIES / name).write_text(history.to_json() + "\n", encoding="utf-8")
        ids[name] = history.workflow_id
    rh.WORKFLOW_IDS.write_text(json.dumps(dict(sorted(ids.items())), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())

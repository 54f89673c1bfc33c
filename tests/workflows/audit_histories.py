"""The recorded history of the AuditChainCheck workflow (workflows/audit_check.py), part of
record_histories.SCENARIOS.

To record only this one (the other histories untouched, history_ids.json updated for its file):

    .venv/bin/python -m tests.workflows.audit_histories
"""
import asyncio

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
    from tests.workflows import record_histories as rh
    await rh.record_only(AUDIT_SCENARIOS, ("AuditChainCheck-",))


if __name__ == "__main__":
    asyncio.run(main())

"""What the daily retirement scan costs per person it re-signals, measured on the real workflows.

    .venv/bin/python -m bench.resignal

On a time-skipping server with the real worker and activities and a fresh database (as
tests/workflows/record_histories.py runs its scenarios), three people retire inside the scan's horizon. The
scan runs once, which starts their Retirement workflows (signal-with-start), then once a day for three more
days, which re-signals each with the date it already knows. It prints how many events and actions (as
bench/actions.py counts them) one Retirement history gained per re-signal. It times nothing.
"""
import asyncio
import os
import tempfile
from datetime import timedelta
from pathlib import Path

from bench.actions import count
from core.config import ROOT
from core.devstack import embedded_postgres_uri
from tests.national_receiver.support import InProcessReceiver
from tests.workflows import record_histories as rh

PEOPLE, DAYS = 3, 3


async def scan(s, wid: str) -> None:
    from workflows.contracts import RetirementScanInput
    from workflows.retirement import RetirementScanWorkflow
    with s.env.auto_time_skipping_disabled():  # waiting for the scan must not skip to the workflows' timers
        await s.client.execute_workflow(RetirementScanWorkflow.run, RetirementScanInput(), id=wid,
                                        task_queue=rh.TASK_QUEUE)


async def measure(s) -> None:
    from rules.deadlines import add_months
    from rules.retirement import scan_horizon
    from tests.workflows.test_retirement import born_retiring, retiree, server_today
    from workflows.retirement import workflow_id
    today = await server_today(s.env)
    people = [await retiree(s.db, s.org.units["SYT"], *born_retiring(add_months(today, 7), before=scan_horizon(today)),
                            serial) for serial in range(2, 2 + PEOPLE)]
    await scan(s, "bench-scan-0")
    wids = [workflow_id(person_id) for person_id in people]
    start = [count(wid, await rh.quiet_history(s.client, wid)) for wid in wids]
    for day in range(1, DAYS + 1):
        await s.env.sleep(timedelta(days=1))
        await scan(s, f"bench-scan-{day}")
    end = [count(wid, await rh.quiet_history(s.client, wid)) for wid in wids]
    for first, last in zip(start, end):
        print(f"{first.name}: stage after start {first.events} events, {first.actions} actions; after {DAYS} "
              f"daily re-signals {last.events} events, {last.actions} actions: per re-signal "
              f"{(last.events - first.events) / DAYS:.1f} events, {(last.actions - first.actions) / DAYS:.1f} actions, "
              f"{(last.encrypted - first.encrypted) / DAYS:.0f} bytes encrypted; timers {first.timers} → {last.timers}, "
              f"signals {first.signals} → {last.signals}")


async def main() -> None:
    admin_uri = os.environ.get("DATABASE_URL") or embedded_postgres_uri(ROOT / ".var" / "test")
    national = InProcessReceiver()
    await national.start()
    try:
        with tempfile.TemporaryDirectory(prefix="hoso-resignal-signing-") as signing_dir:
            async with rh.stack(admin_uri, national.url, Path(signing_dir), {}) as s:
                await measure(s)
    finally:
        await national.stop()


if __name__ == "__main__":
    asyncio.run(main())

"""The recorded histories of the UnitMerger workflow (workflows/merger.py), part of record_histories.SCENARIOS.

To record only these (the other histories untouched, history_ids.json updated for these files):

    .venv/bin/python -m tests.workflows.merger_histories
"""
import asyncio
from datetime import timedelta

from tests.helpers import until


async def _start(s, old: str, new: str, on, **sizes):
    from rules.clock import VN_TZ
    from services import mergers
    from tests.helpers import viewer
    boss = await viewer(s.db, "sonoivu")
    today = (await s.env.get_current_time()).astimezone(VN_TZ).date()
    async with s.db.session() as session:
        return await mergers.start(s.client, "replay-recorder", boss, mergers.MergerRequest(
            from_unit_id=s.org.units[old], to_unit_id=s.org.units[new], effective_on=on, decision_no="1234/QĐ-UBND"),
            session=session, today=today, **sizes)


async def merger_waited_moved_closed(s) -> None:
    """A chi cục merged into its sở two days ahead: the wait for the date, two batches, the closing."""
    from tests.workflows import record_histories as rh
    from tests.workflows.test_merger import insert_people
    first = await rh.next_month(s.env, 3)
    await insert_people(s.db, [s.org.units["SYT-DS"]], 3)
    merger = await _start(s, "SYT-DS", "SYT", first + timedelta(days=2), batch_size=2)
    await rh.quiet_history(s.client, merger.workflow_id)  # waiting on its timer
    await rh.travel_to(s.env, first + timedelta(days=3))
    await rh.record(s, merger.workflow_id, "waited-moved-closed", done=True)


async def merger_continued_as_new(s) -> None:
    """A unit and its sub-units, one person per batch and two batches per run: the first run continues as new."""
    from rules.clock import VN_TZ
    from tests.workflows import record_histories as rh
    from tests.workflows.test_merger import insert_people
    units = [s.org.units[code] for code in ("SYT", "SYT-DS", "SYT-BV")]
    await insert_people(s.db, units, 3, first=10)
    today = (await s.env.get_current_time()).astimezone(VN_TZ).date()
    merger = await _start(s, "SYT", "SGD", today, batch_size=1, batches_per_run=2)
    handle = s.client.get_workflow_handle(merger.workflow_id)
    first_run = (await handle.describe()).run_id
    await until(lambda: rh.closed(s.client, merger.workflow_id), timeout=30)
    history = await s.client.get_workflow_handle(merger.workflow_id, run_id=first_run).fetch_history()
    s.recorded["UnitMerger-batches-continued-as-new.json"] = history
    print(f"UnitMerger-batches-continued-as-new.json: {merger.workflow_id}, {len(history.events)} events")


MERGER_SCENARIOS = [merger_waited_moved_closed, merger_continued_as_new]


async def main() -> None:
    from tests.workflows import record_histories as rh
    await rh.record_only(MERGER_SCENARIOS, ("UnitMerger-",))


if __name__ == "__main__":
    asyncio.run(main())

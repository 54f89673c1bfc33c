"""The recorded histories of the Retirement and RetirementScan workflows (workflows/retirement.py), part of
record_histories.SCENARIOS.

To record only these (the other histories untouched, history_ids.json updated for their files):

    .venv/bin/python -m tests.workflows.retirement_histories
"""
import asyncio
from datetime import date, timedelta

from sqlalchemy import update

PREFIXES = ("Retirement-", "RetirementScan-")


async def retirement_moved_then_left(s) -> None:
    """A notice opened, the date moved (the record corrected, then the recheck signal): the notice withdrawn
    and given again, the decision, then on the date the leaving's Transfer workflow (left waiting on it)."""
    from models import Person
    from rules.deadlines import add_months
    from tests.helpers import complete_as, open_task, task_by_id, until
    from tests.workflows import record_histories as rh
    from tests.workflows.test_retirement import born_retiring, due, opens_on, retiree, server_today, transfer_of
    from workflows.contracts import Recheck, RetirementInput
    from rules.retirement import retirement_date
    from workflows.retirement import RetirementWorkflow, workflow_id
    today = await server_today(s.env)
    sex, born = born_retiring(add_months(today, 6) + timedelta(days=45), movable=True)
    person_id = await retiree(s.db, s.org.units["SYT"], sex, born, 1)
    wid = workflow_id(person_id)
    handle = await s.client.start_workflow(RetirementWorkflow.run, RetirementInput(person_id), id=wid,
                                           task_queue=rh.TASK_QUEUE)
    first_date = retirement_date(sex, born)
    await rh.travel_to(s.env, opens_on(due("retirement_notice", first_date, today)))
    first = await open_task(s.db, wid, "retirement_notice")
    later = date(born.year, born.month + 3, born.day)
    async with s.db.session() as session:
        await session.execute(update(Person).where(Person.id == person_id).values(date_of_birth=later))
    await handle.signal(RetirementWorkflow.recheck, Recheck(None, "birth_data_approved"))

    async def withdrawn():
        return (await task_by_id(s.db, first.id)).status == "cancelled"
    await until(withdrawn, timeout=20)
    retires = retirement_date(sex, later)
    await rh.travel_to(s.env, opens_on(due("retirement_notice", retires, today)))
    notice = await open_task(s.db, wid, "retirement_notice")
    await complete_as(s.db, s.client, "hr.syt", notice.id, "done", {"notice_no": "125/TB-SYT"})
    await rh.travel_to(s.env, opens_on(due("retirement_decision", retires, today)))
    decision = await open_task(s.db, wid, "retirement_decision")
    await complete_as(s.db, s.client, "hr.syt", decision.id, "done", {"decision_no": "45/QĐ-SYT"})
    await rh.travel_to(s.env, retires)
    leaving = await until(lambda: transfer_of(s.db, person_id))
    await open_task(s.db, leaving.workflow_id, "change_status")
    await rh.record(s, wid, "moved-noticed-decided-leaving")


async def retirement_scan_pages(s) -> None:
    """The daily scan over two people in the horizon, one page each, continued as new."""
    from rules.deadlines import add_months
    from rules.retirement import scan_horizon
    from tests.workflows import record_histories as rh
    from tests.workflows.test_retirement import born_retiring, retiree, server_today
    from workflows.contracts import RetirementScanInput
    from workflows.retirement import RetirementScanWorkflow
    today = await server_today(s.env)
    for serial in (2, 3):
        await retiree(s.db, s.org.units["SYT"], *born_retiring(add_months(today, 6), before=scan_horizon(today)),
                      serial)
    wid = "retirement-scan-replay"
    found = await s.client.execute_workflow(RetirementScanWorkflow.run,
                                            RetirementScanInput(batch_size=1, batches_per_run=1), id=wid,
                                            task_queue=rh.TASK_QUEUE)
    assert found == 2
    await rh.record(s, wid, "two-pages", done=True)


RETIREMENT_SCENARIOS = [retirement_moved_then_left, retirement_scan_pages]


async def main() -> None:
    from tests.workflows import record_histories as rh
    await rh.record_only(RETIREMENT_SCENARIOS, PREFIXES)


if __name__ == "__main__":
    asyncio.run(main())

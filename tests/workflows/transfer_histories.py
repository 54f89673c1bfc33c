"""The recorded histories of the Transfer workflow (workflows/transfer.py), part of record_histories.SCENARIOS.

To record only these (the other histories untouched, history_ids.json updated for these files):

    .venv/bin/python -m tests.workflows.transfer_histories
"""
import asyncio
from datetime import timedelta

from tests.helpers import complete_as, open_task, until


async def _approve(s, revision_id: int, decision: str = "approve", reason: str | None = None) -> None:
    from tests.workflows.test_transfer import approval_of
    approval, _ = await until(lambda: approval_of(s.db, revision_id))
    task = await open_task(s.db, approval.workflow_id, "sign_approval")
    data = {"decisions": {str(revision_id): decision}, **({"reasons": {str(revision_id): reason}} if reason else {})}
    head = "head.sgd-lk" if approval.unit_id == s.org.units["SGD-LK"] else "head.syt"
    await complete_as(s.db, s.client, head, task.id, "sign", data)


async def _start(s, person_id: int, kind: str, **kw):
    from services import transfers
    from services.transfers import TransferRequest
    from tests.helpers import viewer
    me = await viewer(s.db, kw.pop("hr"))
    async with s.db.session() as session:
        return await transfers.start(s.client, "replay-recorder", session, me, TransferRequest(
            kind=kind, person_id=person_id, decision_no="125/QĐ-UBND", **kw), profile_name="quang-ngai",
            today=kw["effective_on"])


async def transfer_handed_over_approved(s) -> None:
    """Between two units: released, received (the handover), checked by the person, approved by the new head."""
    from models import Transfer
    from tests.workflows import record_histories as rh
    from tests.workflows.test_transfer import LOGIN, approved_person, row
    first = await rh.next_month(s.env, 3)
    person_id = await approved_person(s.db, s.org.units["SYT-BV"])
    transfer = await _start(s, person_id, "intra_province", hr="hr.syt-bv", to_unit_id=s.org.units["SGD-LK"],
                            reason="Điều động", effective_on=first)
    wid = transfer.workflow_id
    await complete_as(s.db, s.client, "hr.syt-bv", (await open_task(s.db, wid, "release_record")).id, "release")
    await complete_as(s.db, s.client, "hr.sgd-lk", (await open_task(s.db, wid, "receive_record")).id, "accept")
    await complete_as(s.db, s.client, LOGIN, (await open_task(s.db, wid, "confirm_record")).id, "confirm")
    await _approve(s, (await row(s.db, Transfer, transfer.id)).revision_id)
    await rh.record(s, wid, "handed-over-checked-approved", done=True)


async def leaving_returned_archived(s) -> None:
    """A retirement: the head returns the status change, HR does it again, the head approves: the archive."""
    from models import Transfer
    from tests.workflows import record_histories as rh
    from tests.workflows.test_transfer import approved_person, row
    first = await rh.next_month(s.env, 3)
    person_id = await approved_person(s.db, s.org.units["SYT"])
    leaving = await _start(s, person_id, "leaving", hr="hr.syt", to_unit_id=None, reason="retirement",
                           effective_on=first)
    wid = leaving.workflow_id
    await complete_as(s.db, s.client, "hr.syt", (await open_task(s.db, wid, "change_status")).id, "done")
    await _approve(s, (await row(s.db, Transfer, leaving.id)).revision_id, "return", "Kiểm tra lại số quyết định.")
    await until(lambda: _open_count(s, wid, "change_status"))
    await complete_as(s.db, s.client, "hr.syt", (await open_task(s.db, wid, "change_status")).id, "done")
    # the first month is signed: the second status change joins the next month's approval
    await rh.travel_to(s.env, rh.last_day(first) + timedelta(days=1), 1)
    await _approve(s, (await row(s.db, Transfer, leaving.id)).revision_id)
    await rh.record(s, wid, "leaving-returned-archived", done=True)


async def _open_count(s, wid: str, kind: str) -> bool:
    from models import Task
    from sqlalchemy import func, select
    async with s.db.session() as session:
        return (await session.execute(select(func.count()).select_from(Task).where(
            Task.workflow_id == wid, Task.kind == kind, Task.status == "open"))).scalar_one() == 1


async def transfer_cancelled(s) -> None:
    """Released, then cancelled before the receiving unit accepts it."""
    from tests.workflows import record_histories as rh
    from tests.workflows.test_transfer import approved_person, cancel
    first = await rh.next_month(s.env, 3)
    person_id = await approved_person(s.db, s.org.units["SYT-BV"])
    transfer = await _start(s, person_id, "intra_province", hr="hr.syt-bv", to_unit_id=s.org.units["SGD-LK"],
                            reason="Điều động", effective_on=first)
    wid = transfer.workflow_id
    await complete_as(s.db, s.client, "hr.syt-bv", (await open_task(s.db, wid, "release_record")).id, "release")
    await open_task(s.db, wid, "receive_record")
    await cancel(s.db, s.client, "hr.syt-bv", transfer.id)
    await rh.record(s, wid, "released-then-cancelled", done=True)


TRANSFER_SCENARIOS = [transfer_handed_over_approved, leaving_returned_archived, transfer_cancelled]


async def main() -> None:
    from tests.workflows import record_histories as rh
    await rh.record_only(TRANSFER_SCENARIOS, ("Transfer-",))


if __name__ == "__main__":
    asyncio.run(main())

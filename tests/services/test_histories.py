"""The audit of how a process ran: read from Temporal's own history, with who may read it."""
from datetime import date, timedelta

import pytest

from services import histories
from services.errors import NotFound
from tests.helpers import complete_as, hire, open_task, until, viewer


async def _history(db, client, username: str, workflow_id: str):
    me = await viewer(db, username)
    async with db.session() as session:
        return await histories.history(me, workflow_id, session=session, client=client)


async def test_history_reads_reminder_escalation_and_completion(ts_env, ts_worker, db, org, task_queue):
    person = await hire(db, ts_env.client, task_queue, "hr.syt", org.units["SYT"], date(2026, 2, 10))
    wid = f"onboarding/{person.id}"
    account = await open_task(db, wid, "create_account")
    await ts_env.sleep(account.due_at - (await ts_env.get_current_time()) + timedelta(hours=1))
    await until(lambda: _reading(db, ts_env.client, wid, "báo thủ trưởng"))
    await complete_as(db, ts_env.client, "hr.syt", account.id, "done", {"username": "an.nguyenvan"})
    await open_task(db, wid, "self_entry")

    found = await _history(db, ts_env.client, "thanhtra", wid)
    readings = [e.reading for e in found.events if e.reading]
    assert found.run.type == "Onboarding" and found.run.status == "RUNNING"
    assert readings[0] == "Quy trình bắt đầu"
    assert any(r.startswith("Mở nhiệm vụ (bước account), hạn 26/02/2026") for r in readings)
    assert any(r.startswith("Nhắc hạn nhiệm vụ «") for r in readings)
    assert any("Quá hạn: báo thủ trưởng đơn vị" in r for r in readings)
    done = [e for e in found.events if e.type == "ACTIVITY_TASK_SCHEDULED" and e.detail.get("activity") == "tasks.complete"]
    assert done and done[0].actor == "Võ Thị Lan" and done[0].task_id == account.id
    assert {t.kind for t in found.tasks} == {"create_account", "self_entry"}
    assert [e.event_id for e in found.events] == sorted(e.event_id for e in found.events)


async def _reading(db, client, wid: str, text: str) -> bool:
    found = await _history(db, client, "sonoivu", wid)
    return any(text in (e.reading or "") for e in found.events)


async def test_who_may_read_a_history(ts_env, ts_worker, db, org, task_queue):
    person = await hire(db, ts_env.client, task_queue, "hr.syt", org.units["SYT"], date(2026, 2, 10))
    wid = f"onboarding/{person.id}"
    await open_task(db, wid, "create_account")
    for reader in ("sonoivu", "giamdoc.snv", "thanhtra", "hr.syt", "head.syt"):
        assert (await _history(db, ts_env.client, reader, wid)).workflow_id == wid
    for outsider in ("hr.sgd", "head.stc"):
        with pytest.raises(NotFound):
            await _history(db, ts_env.client, outsider, wid)
    for unknown in ("onboarding/999999", "nonsense", "approval/1/../../x", "update/abc"):
        with pytest.raises(NotFound):
            await _history(db, ts_env.client, "thanhtra", unknown)

    me = await viewer(db, "thanhtra")
    async with db.session() as session:
        runs = await histories.person_workflows(me, person.id, session=session, client=ts_env.client)
    assert [(r.workflow_id, r.type, r.status) for r in runs] == [(wid, "Onboarding", "RUNNING")]
    outsider = await viewer(db, "hr.sgd")
    async with db.session() as session:
        with pytest.raises(NotFound):
            await histories.person_workflows(outsider, person.id, session=session, client=ts_env.client)

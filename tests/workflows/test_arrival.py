"""Arrival from a ministry or another province on Temporal's time-skipping server, with the real activities,
PostgreSQL and the national database's stand-in: the other province's record is posted first, as its system
posts it, then the receiving unit requests the arrival (services/transfers.start) and each step is driven.
"""
import re
from datetime import date, datetime, time, timedelta

import httpx
import pytest
from sqlalchemy import select

from api.main import create_app
from models import AuditEvent, Person, ProfileRevision, SyncOutbox, Transfer
from rules.calendar import WorkingCalendar
from rules.clock import VN_TZ
from services import people
from services.errors import Conflict, DomainError, Forbidden
from tests.conftest import PASSWORD
from tests.arrivals import WOMAN, other_province_record, publish, request_arrival
from tests.helpers import complete_as, notifications, open_task, save_cv, task_by_id, until, viewer

CAL = WorkingCalendar()
UNIT = "SYT"


@pytest.fixture
def settings(settings, receiver):
    """A fresh national stand-in per test: what one test published is not another's record."""
    return settings.model_copy(update={"national_db_url": receiver.url})


async def env_today(env) -> date:
    return (await env.get_current_time()).astimezone(VN_TZ).date()


async def sleep_until(env, moment: datetime) -> None:
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)


async def transfer_row(db, transfer_id: int) -> Transfer:
    async with db.session() as session:
        return await session.get(Transfer, transfer_id)


async def working(db, person_id: int) -> ProfileRevision:
    async with db.session() as session:
        return await people.working_revision(person_id, session=session)


async def activate(db, username: str, code: str) -> None:
    from services import auth
    async with db.session() as session:
        await auth.activate(username, code, "mat-khau-moi-123", session=session)


async def arrive(env, db, org, task_queue, profile: str, *, handover_days_ago: int = 0) -> Transfer:
    today = await env_today(env)
    return await request_arrival(db, env.client, task_queue, hr="hr.syt", unit_id=org.units[UNIT], profile=profile,
                                 citizen_id=WOMAN, effective_on=today - timedelta(days=7), today=today,
                                 paper_file_on=today - timedelta(days=handover_days_ago))


async def create_account(env, db, wid: str, actor: str = "hr.syt"):
    account = await open_task(db, wid, "create_account")
    done = await complete_as(db, env.client, actor, account.id, "done", {"username": "hoa.tranthi"})
    await activate(db, "hoa.tranthi", done.activation_code)
    return account


async def _stamp(db, task_id: int, name: str):
    return getattr(await task_by_id(db, task_id), name)


async def _notified(db, username: str, task_id: int) -> bool:
    me = await viewer(db, username)
    return any(n.user_id == me.user_id and n.task_id == task_id for n in await notifications(db, "escalation"))


# profile → (who creates the account, its working days and article, the sync's working days and article)
ARRIVAL_STEPS = {
    "hai-phong": ("hr.syt", 5, "Điều 9 khoản 1 điểm a", 5, "Điều 9 khoản 1 điểm a"),  # Đ9.1.a: 5 WD each
    "quang-ngai": ("hr.syt", None, None, None, None),  # Đ9.1.a names the steps, sets no deadline
    "kon-tum": ("sonoivu", None, None, None, None),    # no arrival article; Đ7.2: Sở Nội vụ creates every account
    "binh-dinh": ("hr.syt", None, None, None, None),   # no arrival rule
    "nghe-an": ("hr.syt", None, None, None, None),     # no arrival rule; the new-record envelope is not for arrivals
}
# working days of the person's check from the account's creation: the province's rule, else Nghị định
# 27/2026/NĐ-CP's 3 working days (in force from 01/07/2026, before these arrivals)
SELF_ENTRY_DAYS = {"quang-ngai": 5, "binh-dinh": 3, "kon-tum": 3, "nghe-an": 3, "hai-phong": 3}


@pytest.mark.parametrize("profile", list(ARRIVAL_STEPS))
async def test_each_profile_dates_the_account_and_the_sync(profile, ts_env, ts_worker, db, org, task_queue, receiver):
    account_actor, account_days, account_article, sync_days, sync_article = ARRIVAL_STEPS[profile]
    await publish(receiver.url, other_province_record(WOMAN))
    transfer = await arrive(ts_env, db, org, task_queue, profile, handover_days_ago=2)
    handover = transfer.paper_file_on
    account = await open_task(db, transfer.workflow_id, "create_account")
    assert account.started_on == handover  # counted from the file handed over, not from the decision
    if account_days:
        assert account.due_on == CAL.add_working_days(handover, account_days)
        assert account_article in account.legal_basis
    else:
        assert account.due_on is None and account.due_at is None
    await create_account(ts_env, db, transfer.workflow_id, account_actor)

    created = await env_today(ts_env)
    pull = await open_task(db, transfer.workflow_id, "pull_national")
    assert (pull.started_on, pull.actor_role) == (created, "sonoivu_admin")
    if sync_days:
        assert pull.due_on == CAL.add_working_days(created, sync_days) and sync_article in pull.legal_basis
    else:
        assert pull.due_on is None
    await complete_as(db, ts_env.client, "sonoivu", pull.id, "done")
    entry = await open_task(db, transfer.workflow_id, "self_entry")
    assert entry.started_on == created
    assert entry.due_on == CAL.add_working_days(created, SELF_ENTRY_DAYS[profile])


async def test_hai_phong_arrival_from_the_request_to_the_approved_record(ts_env, ts_worker, db, org, task_queue,
                                                                         receiver):
    remote_id = await publish(receiver.url, other_province_record(WOMAN))
    transfer = await arrive(ts_env, db, org, task_queue, "hai-phong")
    wid, person_id = transfer.workflow_id, transfer.person_id
    assert wid == f"transfer/{transfer.id}"
    await until(lambda: _stage(db, transfer.id, "account"))
    await create_account(ts_env, db, wid)

    pull = await open_task(db, wid, "pull_national")
    assert (await transfer_row(db, transfer.id)).stage == "sync"
    assert pull.title == "Đồng bộ hồ sơ người chuyển đến từ CSDL quốc gia: Trần Thị Hoa"
    with pytest.raises(Forbidden):  # the receiving unit asks; Sở Nội vụ pulls
        await complete_as(db, ts_env.client, "hr.syt", pull.id, "done")
    done = await complete_as(db, ts_env.client, "sonoivu", pull.id, "done")
    assert done.result.result["remote_id"] == remote_id

    draft = await working(db, person_id)  # the pulled record is the person's draft, to check and complete
    assert (draft.kind, draft.status, draft.number) == ("arrival", "draft", 1)
    assert draft.data["qualification"] == "Thạc sĩ Quản lý công"
    assert draft.data["hometown"] == "Xã An Lư, huyện Thủy Nguyên, thành phố Hải Phòng"
    assert done.result.result["revision_id"] == draft.id

    entry = await open_task(db, wid, "self_entry")
    assert (await transfer_row(db, transfer.id)).stage == "self_entry"
    await save_cv(db, "hoa.tranthi", person_id, {"phone": "0905111222", "position": "Chuyên viên"})
    await complete_as(db, ts_env.client, "hoa.tranthi", entry.id, "submit")
    await complete_as(db, ts_env.client, "hr.syt", (await open_task(db, wid, "review_entry")).id, "accept")
    await until(lambda: _stage(db, transfer.id, "approval"))
    async with db.session() as session:
        assert (await session.get(Person, person_id)).status == "onboarding"  # active once approved

    first = await env_today(ts_env)
    end = date(first.year + first.month // 12, first.month % 12 + 1, 1) - timedelta(days=1)
    await sleep_until(ts_env, datetime.combine(end - timedelta(days=4), time(1), tzinfo=VN_TZ))  # Đ5: last 5 days
    sign = await open_task(db, f"approval/{org.units[UNIT]}/{first:%Y-%m}", "sign_approval")
    await complete_as(db, ts_env.client, "head.syt", sign.id, "sign", {"decisions": {str(draft.id): "approve"}})

    closed = await until(lambda: _done(db, transfer.id))
    assert (closed.stage, closed.revision_id) == ("done", draft.id) and closed.closed_at is not None
    assert closed.handed_over_at is not None
    async with db.session() as session:
        person = await session.get(Person, person_id)
        assert (person.status, person.current_revision_id, person.unit_id) == ("active", draft.id, org.units[UNIT])
        approved = await session.get(ProfileRevision, draft.id)
        assert approved.status == "approved" and approved.data["qualification"] == "Thạc sĩ Quản lý công"
        assert approved.data["phone"] == "0905111222"
        outbox = (await session.execute(select(SyncOutbox).where(SyncOutbox.revision_id == draft.id))).scalars().one()
        stages = (await session.execute(select(AuditEvent.detail).where(
            AuditEvent.action == "transfer.arrival.stage").order_by(AuditEvent.id))).scalars().all()
        finished = (await session.execute(select(AuditEvent).where(
            AuditEvent.action == "transfer.arrival.done"))).scalars().one()
    assert [s["new"] for s in stages if s["transfer"] == transfer.id] == [
        "account", "sync", "self_entry", "review", "approval"]
    assert finished.detail["revision"] == draft.id
    # the province's approved record goes back to the national database like any other
    await until(lambda: _sent(db, outbox.id))
    latest = [r for r in await receiver.records() if r["citizen_id"] == WOMAN][-1]
    assert latest["idempotency_key"] == outbox.idempotency_key
    assert await ts_env.client.get_workflow_handle(wid).result() == "approved"


async def test_missed_deadlines_escalate_to_the_head_then_sonoivu(ts_env, ts_worker, db, org, task_queue, receiver):
    await publish(receiver.url, other_province_record(WOMAN))
    transfer = await arrive(ts_env, db, org, task_queue, "hai-phong")
    account = await open_task(db, transfer.workflow_id, "create_account")
    await sleep_until(ts_env, account.due_at - timedelta(minutes=5))
    assert (await task_by_id(db, account.id)).escalated_head_at is None
    await sleep_until(ts_env, account.due_at + timedelta(minutes=5))
    await until(lambda: _stamp(db, account.id, "escalated_head_at"))
    assert await _notified(db, "head.syt", account.id)
    await create_account(ts_env, db, transfer.workflow_id)

    pull = await open_task(db, transfer.workflow_id, "pull_national")
    sonoivu_at = datetime.combine(CAL.add_working_days(pull.due_on, 3), time(23, 59, 59), tzinfo=VN_TZ)
    await sleep_until(ts_env, pull.due_at - timedelta(minutes=5))
    assert (await task_by_id(db, pull.id)).escalation_level == 0
    await sleep_until(ts_env, pull.due_at + timedelta(minutes=5))
    await until(lambda: _stamp(db, pull.id, "escalated_head_at"))
    assert await _notified(db, "head.syt", pull.id)  # the head who asked hears that Sở Nội vụ is late
    await sleep_until(ts_env, sonoivu_at - timedelta(minutes=5))
    assert (await task_by_id(db, pull.id)).escalation_level == 1
    await sleep_until(ts_env, sonoivu_at + timedelta(minutes=5))
    await until(lambda: _stamp(db, pull.id, "escalated_sonoivu_at"))
    assert (await task_by_id(db, pull.id)).escalation_level == 2 and await _notified(db, "sonoivu", pull.id)

    await complete_as(db, ts_env.client, "sonoivu", pull.id, "done")  # late, but done: the timeline says so
    late = await task_by_id(db, pull.id)
    assert late.status == "done" and late.completed_at > late.due_at


async def test_not_found_or_unreachable_keeps_the_task_open(ts_env, ts_worker, db, org, task_queue, receiver):
    transfer = await arrive(ts_env, db, org, task_queue, "quang-ngai")
    await create_account(ts_env, db, transfer.workflow_id)
    pull = await open_task(db, transfer.workflow_id, "pull_national")

    with pytest.raises(Conflict) as missing:  # the old province has not synced the record yet
        await complete_as(db, ts_env.client, "sonoivu", pull.id, "done")
    assert missing.value.code == "national_record_not_found"
    assert "chưa có hồ sơ của số CCCD 031195004322" in missing.value.message
    assert (await task_by_id(db, pull.id)).status == "open"
    assert await working(db, transfer.person_id) is None

    await publish(receiver.url, other_province_record(WOMAN))
    await receiver.control(fail_next=3, status=503)  # down for every attempt of this completion
    with pytest.raises(DomainError) as down:
        await complete_as(db, ts_env.client, "sonoivu", pull.id, "done")
    assert (down.value.code, down.value.status) == ("national_db_unavailable", 503)
    assert down.value.message.startswith("Không kết nối được CSDL quốc gia")
    assert (await task_by_id(db, pull.id)).status == "open"
    assert (await transfer_row(db, transfer.id)).stage == "sync"

    await complete_as(db, ts_env.client, "sonoivu", pull.id, "done")  # back up: the same task, now done
    assert (await task_by_id(db, pull.id)).status == "done"
    assert (await working(db, transfer.person_id)).kind == "arrival"
    await open_task(db, transfer.workflow_id, "self_entry")


async def test_a_return_gives_the_person_a_fresh_deadline(ts_env, ts_worker, db, org, task_queue, receiver):
    await publish(receiver.url, other_province_record(WOMAN))
    transfer = await arrive(ts_env, db, org, task_queue, "quang-ngai")
    wid = transfer.workflow_id
    await create_account(ts_env, db, wid)
    await complete_as(db, ts_env.client, "sonoivu", (await open_task(db, wid, "pull_national")).id, "done")
    first = await open_task(db, wid, "self_entry")
    await complete_as(db, ts_env.client, "hoa.tranthi", first.id, "submit")  # the pulled record as it came
    review = await open_task(db, wid, "review_entry")
    await ts_env.sleep(timedelta(days=9))
    returned_on = await env_today(ts_env)
    await complete_as(db, ts_env.client, "hr.syt", review.id, "return", {"comment": "Bổ sung chức vụ hiện tại."})

    second = await open_task(db, wid, "self_entry")
    assert second.id != first.id and second.started_on == returned_on
    assert second.due_on == CAL.add_working_days(returned_on, 5) > first.due_on  # Quảng Ngãi Đ5.5
    await save_cv(db, "hoa.tranthi", transfer.person_id, {"position": "Chuyên viên"})
    revision = await working(db, transfer.person_id)
    assert (revision.kind, revision.number, revision.data["qualification"]) == ("arrival", 2, "Thạc sĩ Quản lý công")


async def _stage(db, transfer_id: int, stage: str) -> bool:
    return (await transfer_row(db, transfer_id)).stage == stage


async def _done(db, transfer_id: int) -> Transfer | None:
    transfer = await transfer_row(db, transfer_id)
    return transfer if transfer.status == "done" else None


async def _sent(db, outbox_id: int) -> bool:
    async with db.session() as session:
        return (await session.get(SyncOutbox, outbox_id)).status == "sent"


async def test_sonoivu_pulls_from_the_task_page(ts_env, ts_worker, db, org, task_queue, receiver, settings):
    transfer = await arrive(ts_env, db, org, task_queue, "hai-phong")
    await create_account(ts_env, db, transfer.workflow_id)
    pull = await open_task(db, transfer.workflow_id, "pull_national")
    app = create_app(settings, db=db, temporal=ts_env.client, task_queue=task_queue)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as page:
        login = await page.post("/api/auth/login", json={"username": "sonoivu", "password": PASSWORD})
        assert login.status_code == 200
        shown = await page.get(f"/tasks/{pull.id}")
        assert shown.status_code == 200
        assert "Lấy hồ sơ từ CSDL quốc gia" in shown.text and "031195004322" in shown.text
        assert "1234/QĐ-UBND" in shown.text and "Điều 9 khoản 1 điểm a" in shown.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', shown.text).group(1)

        refused = await page.post(f"/tasks/{pull.id}/complete", data={"csrf": csrf, "outcome": "done"})
        assert refused.status_code == 409 and "chưa có hồ sơ của số CCCD 031195004322" in refused.text
        await publish(receiver.url, other_province_record(WOMAN))
        done = await page.post(f"/tasks/{pull.id}/complete", data={"csrf": csrf, "outcome": "done"})
        assert done.status_code == 303
        after = await page.get(done.headers["location"])
        assert "Đã hoàn thành nhiệm vụ: Đã đồng bộ hồ sơ từ CSDL quốc gia." in after.text
    assert (await working(db, transfer.person_id)).kind == "arrival"

"""Transfers (workflows/transfer.py) on the time-skipping server with the real activities and PostgreSQL:
the due dates and legal basis of each profile that sets them (checked against what the seeds say), the
reminder and escalations of a missed deadline, the access switch exactly at the handover, the month's
approval of the new unit and the national outbox, the refusal of a second open transfer, and cancels."""
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError

from models import Approval, ApprovalItem, Person, Placement, ProfileRevision, SyncOutbox, Task, Transfer, User
from rules.calendar import WorkingCalendar
from rules.clock import VN_TZ
from rules.profiles import get_profile
from services import people, tasks, transfers
from services.errors import Conflict, Forbidden, NotFound
from services.transfers import TransferRequest
from tests.conftest import PASSWORD
from tests.helpers import (CITIZEN_ID, complete_as, imported_person, open_task, task_by_id, tasks_of, until,
                           viewer)
from workflows.contracts import TransferCancelInput

CAL = WorkingCalendar()
LOGIN, NAME, BORN, HIRED = "an.nguyenvan", "Nguyễn Văn An", date(1995, 3, 15), date(2015, 3, 2)

# What the seeds say (../shared/seeds): (kind, amount, article). The profile's rule must say the same.
INTERNAL = {
    "quang-ngai": ("immediate", 0, "Điều 9 khoản 2"),        # «ngay sau khi văn bản có hiệu lực»
    "kon-tum": ("calendar_days", 10, "Điều 11 khoản 1"),
    "nghe-an": ("calendar_days", 15, "Điều 10 khoản 1"),
    "hai-phong": ("working_days", 10, "Điều 9 khoản 2"),
}
# sending: (kind, amount, article, who: the unit itself, or the body above it that manages it)
SEND = {
    "quang-ngai": ("immediate", 0, "Điều 9 khoản 3", "unit_hr"),
    "hai-phong": ("working_days", 5, "Điều 9 khoản 3", "unit_hr"),
    "binh-dinh": ("working_days", 3, "Mục II khoản 5 điểm a", "unit_hr"),
    "kon-tum": ("working_days", 10, "Điều 11 khoản 2", "superior_hr"),   # «cấp trên theo phân cấp quản lý»
    "nghe-an": ("calendar_days", 15, "Điều 10 khoản 2", "superior_hr"),
}
# receiving: (kind, amount, counted from, article); None: the seed sets no deadline for it
RECEIVE = {
    "quang-ngai": None,
    "binh-dinh": None,
    "hai-phong": ("working_days", 5, "receipt", "Điều 9 khoản 3"),       # «05 ngày làm việc sau khi tiếp nhận»
    "kon-tum": ("working_days", 10, "effective_date", "Điều 11 khoản 2"),  # «kể từ ngày văn bản có hiệu lực»
    "nghe-an": ("calendar_days", 15, "effective_date", "Điều 10 khoản 2"),
}
# a leaving's status change
STATUS = {
    "kon-tum": ("calendar_days", 15, "Điều 11 khoản 3"),
    "nghe-an": ("calendar_days", 15, "Điều 10 khoản 3"),
    "binh-dinh": ("working_days", 3, "Mục II khoản 5 điểm b"),
}


def counted(kind: str, amount: int, start: date) -> date:
    """Bộ luật Dân sự 2015 Đ147-148, counted by hand on the working calendar."""
    if kind == "working_days":
        return CAL.add_working_days(start, amount)
    if kind == "calendar_days":
        return CAL.on_or_next_working_day(start + timedelta(days=amount))
    assert kind == "immediate"
    return CAL.next_working_day(start)


def login_for(role: str, unit_code: str, parent_code: str) -> str:
    return {"unit_hr": f"hr.{unit_code.lower()}", "superior_hr": f"hr.{parent_code.lower()}"}[role]


async def server_today(env) -> date:
    return (await env.get_current_time()).astimezone(VN_TZ).date()


async def travel_to(env, moment: datetime) -> None:
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)


async def travel_to_early_next_month(env) -> date:
    """The 3rd of next month: far from Quảng Ngãi's cutoff (before the 25th), so the month is known."""
    today = await server_today(env)
    target = date(today.year + today.month // 12, today.month % 12 + 1, 3)
    await travel_to(env, datetime.combine(target, time(9), tzinfo=VN_TZ))
    return await server_today(env)


async def approved_person(db, unit_id: int, *, profile: str = "quang-ngai", login: str | None = LOGIN) -> int:
    """A person whose record is approved (brought over from the previous system), in a unit, with a login."""
    return await imported_person(db, unit_id, name=NAME, citizen_id=CITIZEN_ID, born=BORN, hired_on=HIRED,
                                 profile=profile, login=login, password=PASSWORD)


async def start(db, env, task_queue: str, username: str, person_id: int, kind: str, *, to_unit: int | None = None,
                reason: str = "Điều động theo yêu cầu công tác", effective_on: date | None = None,
                decision_no: str = "125/QĐ-UBND") -> Transfer:
    me = await viewer(db, username)
    today = await server_today(env)
    async with db.session() as session:
        person = await session.get(Person, person_id)
        return await transfers.start(env.client, task_queue, session, me, TransferRequest(
            kind=kind, person_id=person_id, to_unit_id=to_unit, reason=reason, decision_no=decision_no,
            effective_on=effective_on or today), profile_name=person.profile, today=today)


async def row(db, model, id_: int):
    async with db.session() as session:
        return await session.get(model, id_)


async def reads(db, username: str, person_id: int) -> bool:
    """Whether this login may read the record (services/scope.readable_person)."""
    from services.scope import readable_person
    me = await viewer(db, username)
    async with db.session() as session:
        try:
            await readable_person(me, person_id, session=session)
            return True
        except NotFound:
            return False


async def placements_of(db, person_id: int) -> list[tuple[int, date, date | None]]:
    async with db.session() as session:
        rows = await session.execute(select(Placement.unit_id, Placement.from_on, Placement.to_on)
                                     .where(Placement.person_id == person_id).order_by(Placement.id))
        return [tuple(r) for r in rows.all()]


async def approval_of(db, revision_id: int) -> tuple[Approval, ApprovalItem] | None:
    async with db.session() as session:
        return (await session.execute(select(Approval, ApprovalItem).join(
            ApprovalItem, ApprovalItem.approval_id == Approval.id).where(
            ApprovalItem.revision_id == revision_id))).first()


async def stage_is(db, transfer_id: int, stage: str) -> bool:
    return (await row(db, Transfer, transfer_id)).stage == stage


async def cancel(db, client, username: str, transfer_id: int, reason: str = "Quyết định điều động bị thu hồi"):
    me = await viewer(db, username)
    async with db.session() as session:
        return await transfers.cancel(client, session, me, transfer_id, reason)


async def sign(db, client, head: str, revision_id: int, decision: str = "approve", reason: str | None = None):
    approval, _ = await until(lambda: approval_of(db, revision_id))
    task = await open_task(db, approval.workflow_id, "sign_approval")
    data = {"decisions": {str(revision_id): decision}}
    if reason:
        data["reasons"] = {str(revision_id): reason}
    return await complete_as(db, client, head, task.id, "sign", data)


def assert_dated(task: Task, rule: str, due: date | None, article: str | None) -> None:
    assert task.rule == rule
    assert task.due_on == due
    if article:
        assert article in task.legal_basis
    else:
        assert task.due_at is None


# ---- the due dates of each profile ----------------------------------------------------------------

@pytest.mark.parametrize("profile", list(INTERNAL))
async def test_internal_move_due_date_from_the_effective_date(profile, ts_env, ts_worker, db, org, task_queue):
    kind, amount, article = INTERNAL[profile]
    rule = get_profile(profile, on=await server_today(ts_env)).rule("transfer_internal")
    assert (rule.kind, rule.amount, rule.article) == (kind, amount, article)
    effective = await server_today(ts_env) - timedelta(days=1)
    person_id = await approved_person(db, org.units["SYT"], profile=profile)
    transfer = await start(db, ts_env, task_queue, "hr.syt", person_id, "internal", to_unit=org.units["SYT-NVY"],
                           effective_on=effective)
    move = await open_task(db, transfer.workflow_id, "move_record")
    assert_dated(move, "transfer_internal", counted(kind, amount, effective), article)
    assert (move.actor_role, move.unit_id, move.started_on) == ("unit_hr", org.units["SYT"], effective)
    assert await stage_is(db, transfer.id, "moving")


@pytest.mark.parametrize("profile", list(SEND))
async def test_sending_and_receiving_due_dates(profile, ts_env, ts_worker, db, org, task_queue):
    kind, amount, article, sender = SEND[profile]
    version = get_profile(profile, on=await server_today(ts_env))
    send_rule = version.rule("transfer_send")
    assert (send_rule.kind, send_rule.amount, send_rule.article, send_rule.actor) == (kind, amount, article, sender)
    effective = await server_today(ts_env) - timedelta(days=1)
    person_id = await approved_person(db, org.units["SYT-BV"], profile=profile)
    transfer = await start(db, ts_env, task_queue, "hr.syt-bv", person_id, "intra_province",
                           to_unit=org.units["SGD-LK"], effective_on=effective)
    release = await open_task(db, transfer.workflow_id, "release_record")
    assert_dated(release, "transfer_send", counted(kind, amount, effective), article)
    assert (release.actor_role, release.unit_id) == (sender, org.units["SYT-BV"])
    await ts_env.sleep(timedelta(days=1))  # the sending unit takes a day: the receipt is the day it releases
    await complete_as(db, ts_env.client, login_for(sender, "SYT-BV", "SYT"), release.id, "release")
    received_on = await server_today(ts_env)

    receive = await open_task(db, transfer.workflow_id, "receive_record")
    assert receive.unit_id == org.units["SGD-LK"] and receive.started_on == received_on
    expected = RECEIVE[profile]
    if expected is None:
        assert not version.has_rule("transfer_receive") or not version.rule("transfer_receive").has_deadline
        assert_dated(receive, "transfer_receive", None, None)
        return
    r_kind, r_amount, counts_from, r_article = expected
    receive_rule = version.rule("transfer_receive")
    assert (receive_rule.kind, receive_rule.amount, receive_rule.counts_from) == (r_kind, r_amount, counts_from)
    start_day = received_on if counts_from == "receipt" else effective
    assert_dated(receive, "transfer_receive", counted(r_kind, r_amount, start_day), r_article)
    assert receive.actor_role == receive_rule.actor


# ---- a missed deadline -------------------------------------------------------------------------------

async def test_missed_release_is_reminded_then_escalated(ts_env, ts_worker, db, org, task_queue):
    """Hải Phòng Đ9.3: the sending unit has 5 working days; the reminder, the head and Sở Nội vụ follow."""
    person_id = await approved_person(db, org.units["SYT-BV"], profile="hai-phong")
    effective = await server_today(ts_env)
    transfer = await start(db, ts_env, task_queue, "hr.syt-bv", person_id, "intra_province",
                           to_unit=org.units["SGD-LK"], effective_on=effective)
    release = await open_task(db, transfer.workflow_id, "release_record")
    due = CAL.add_working_days(effective, 5)
    assert release.due_on == due
    policy = get_profile("hai-phong", on=effective).escalation
    remind_at = datetime.combine(CAL.sub_working_days(due, policy.remind_before_working_days), time(8), tzinfo=VN_TZ)
    sonoivu_at = datetime.combine(CAL.add_working_days(due, policy.sonoivu_after_working_days), time(23, 59, 59),
                                  tzinfo=VN_TZ)

    await travel_to(ts_env, remind_at - timedelta(minutes=5))
    assert (await task_by_id(db, release.id)).reminded_at is None
    await travel_to(ts_env, remind_at + timedelta(minutes=5))
    await until(lambda: _stamp(db, release.id, "reminded_at"))

    await travel_to(ts_env, release.due_at - timedelta(minutes=5))
    assert (await task_by_id(db, release.id)).escalation_level == 0
    await travel_to(ts_env, release.due_at + timedelta(minutes=5))
    await until(lambda: _stamp(db, release.id, "escalated_head_at"))
    assert (await task_by_id(db, release.id)).escalation_level == 1
    head = await viewer(db, "head.syt-bv")
    async with db.session() as session:
        watched = (await tasks.inbox(head, scope="mine", session=session)).rows
    assert release.id in [t.id for t in watched]  # the head now watches it

    await travel_to(ts_env, sonoivu_at + timedelta(minutes=5))
    await until(lambda: _stamp(db, release.id, "escalated_sonoivu_at"))
    done = await complete_as(db, ts_env.client, "hr.syt-bv", release.id, "release")
    assert done.result.late is True  # late, but done: the transfer goes on
    await open_task(db, transfer.workflow_id, "receive_record")


async def _stamp(db, task_id: int, name: str):
    return getattr(await task_by_id(db, task_id), name)


# ---- whole transfers ----------------------------------------------------------------------------------

async def test_internal_move_goes_through_the_new_departments_approval(ts_env, ts_worker, db, org, task_queue):
    today = await travel_to_early_next_month(ts_env)
    syt, nvy = org.units["SYT"], org.units["SYT-NVY"]
    person_id = await approved_person(db, syt)
    transfer = await start(db, ts_env, task_queue, "hr.syt", person_id, "internal", to_unit=nvy,
                           effective_on=today - timedelta(days=2), decision_no="12/QĐ-SYT")
    move = await open_task(db, transfer.workflow_id, "move_record")
    assert (await row(db, Person, person_id)).unit_id == syt
    await complete_as(db, ts_env.client, "hr.syt", move.id, "done")

    person = await row(db, Person, person_id)
    assert person.unit_id == nvy
    async with db.session() as session:
        login = (await session.execute(select(User).where(User.person_id == person_id))).scalars().one()
    assert login.unit_id == nvy
    assert await placements_of(db, person_id) == [(syt, HIRED, today - timedelta(days=1)), (nvy, today, None)]
    moved = await row(db, Transfer, transfer.id)
    revision = await row(db, ProfileRevision, moved.revision_id)
    assert (revision.kind, revision.status, revision.decision_no) == ("transfer", "ready", "12/QĐ-SYT")
    assert revision.data["work_history"][-1] == {
        "from": f"{today - timedelta(days=2):%m/%Y}", "to": "nay",
        "description": "Chuyên viên, Phòng Nghiệp vụ Y, Sở Y tế"}
    assert revision.data["work_history"][0]["to"] == f"{today - timedelta(days=2):%m/%Y}"
    approval, item = await until(lambda: approval_of(db, revision.id))
    assert (approval.unit_id, approval.month, item.decision) == (nvy, f"{today:%Y-%m}", "pending")
    with pytest.raises(Conflict) as refused:  # the record has moved: too late to cancel
        await cancel(db, ts_env.client, "hr.syt", transfer.id)
    assert refused.value.code == "transfer_handed_over"

    await sign(db, ts_env.client, "head.syt", revision.id)
    assert await ts_env.client.get_workflow_handle(transfer.workflow_id).result() == "done"
    done = await row(db, Transfer, transfer.id)
    assert (done.status, done.stage) == ("done", "done")
    async with db.session() as session:
        assert (await session.get(Person, person_id)).current_revision_id == revision.id
        outbox = (await session.execute(select(SyncOutbox).where(SyncOutbox.revision_id == revision.id))).scalars()
        assert outbox.one().payload["data"]["work_history"][-1]["to"] == "nay"


async def test_transfer_between_units_switches_access_exactly_at_the_handover(ts_env, ts_worker, db, org,
                                                                             task_queue):
    today = await travel_to_early_next_month(ts_env)
    bv, lk = org.units["SYT-BV"], org.units["SGD-LK"]
    person_id = await approved_person(db, bv)
    transfer = await start(db, ts_env, task_queue, "hr.syt-bv", person_id, "intra_province", to_unit=lk,
                           effective_on=today)
    old_hr, new_hr = "hr.syt-bv", "hr.sgd-lk"
    assert await reads(db, old_hr, person_id) and not await reads(db, new_hr, person_id)

    release = await open_task(db, transfer.workflow_id, "release_record")
    await complete_as(db, ts_env.client, old_hr, release.id, "release")
    receive = await open_task(db, transfer.workflow_id, "receive_record")
    # released, not yet received: still the old unit's record only
    assert await reads(db, old_hr, person_id) and not await reads(db, new_hr, person_id)
    assert await stage_is(db, transfer.id, "receiving")
    with pytest.raises(NotFound):  # the old unit does not act for the new one
        await complete_as(db, ts_env.client, old_hr, receive.id, "accept")

    await complete_as(db, ts_env.client, new_hr, receive.id, "accept")
    assert not await reads(db, old_hr, person_id) and await reads(db, new_hr, person_id)
    assert await reads(db, LOGIN, person_id)  # the person's own login moved with the record
    assert (await viewer(db, LOGIN)).unit_id == lk
    assert await placements_of(db, person_id) == [(bv, HIRED, today - timedelta(days=1)), (lk, today, None)]

    # the person checks their data: Quảng Ngãi Đ5.5, 5 working days from the day the account is handed over
    confirm = await open_task(db, transfer.workflow_id, "confirm_record")
    assert (confirm.actor_role, confirm.unit_id, confirm.started_on) == ("person", lk, today)
    assert_dated(confirm, "self_entry", CAL.add_working_days(today, 5), "Điều 5 khoản 5")
    handle = ts_env.client.get_workflow_handle(transfer.workflow_id)
    with pytest.raises(Conflict):  # after the handover a cancel is refused, by the service ...
        await cancel(db, ts_env.client, old_hr, transfer.id)
    with pytest.raises(WorkflowUpdateFailedError) as refused:  # ... and by the workflow itself
        await handle.execute_update("cancel_transfer", TransferCancelInput(transfer.id, "thử", "sonoivu"))
    assert "đã được bàn giao" in str(refused.value.cause)

    await complete_as(db, ts_env.client, LOGIN, confirm.id, "confirm")
    revision_id = (await row(db, Transfer, transfer.id)).revision_id
    approval, _ = await until(lambda: approval_of(db, revision_id))
    assert (approval.unit_id, approval.month) == (lk, f"{today:%Y-%m}")  # the receiving unit's month
    await sign(db, ts_env.client, "head.sgd-lk", revision_id)
    assert await handle.result() == "done"
    async with db.session() as session:
        revisions = (await session.execute(select(ProfileRevision.kind, ProfileRevision.status).where(
            ProfileRevision.person_id == person_id).order_by(ProfileRevision.number))).all()
        sent = (await session.execute(select(SyncOutbox.revision_id))).scalars().all()
    assert [tuple(r) for r in revisions] == [("import", "approved"), ("transfer", "approved")]  # history kept
    assert sent == [revision_id]
    kinds = [t.kind for t in await tasks_of(db, transfer.workflow_id)]
    assert kinds == ["release_record", "receive_record", "confirm_record"]


async def test_a_returned_transfer_goes_back_to_the_person_with_a_fresh_deadline(ts_env, ts_worker, db, org,
                                                                                task_queue):
    today = await travel_to_early_next_month(ts_env)
    person_id = await approved_person(db, org.units["SYT-BV"])
    transfer = await start(db, ts_env, task_queue, "hr.syt-bv", person_id, "intra_province",
                           to_unit=org.units["SGD-LK"], effective_on=today)
    await complete_as(db, ts_env.client, "hr.syt-bv",
                      (await open_task(db, transfer.workflow_id, "release_record")).id, "release")
    await complete_as(db, ts_env.client, "hr.sgd-lk",
                      (await open_task(db, transfer.workflow_id, "receive_record")).id, "accept")
    first = await open_task(db, transfer.workflow_id, "confirm_record")
    await complete_as(db, ts_env.client, LOGIN, first.id, "confirm")
    revision_id = (await row(db, Transfer, transfer.id)).revision_id
    await ts_env.sleep(timedelta(days=2))
    returned_on = await server_today(ts_env)
    await sign(db, ts_env.client, "head.sgd-lk", revision_id, "return", "Ghi rõ chức danh tại trường.")

    again = await until(lambda: _open_of(db, transfer.workflow_id, "confirm_record", first.id))
    assert (again.actor_role, again.started_on) == ("person", returned_on)
    assert_dated(again, "self_entry", CAL.add_working_days(returned_on, 5), "Điều 5 khoản 5")
    await until(lambda: stage_is(db, transfer.id, "correcting"))
    async with db.session() as session:
        me = await viewer(db, LOGIN)
        await people.save_draft(me, person_id, {"position": "Giáo viên"}, session=session)
    await complete_as(db, ts_env.client, LOGIN, again.id, "confirm")
    corrected = await row(db, ProfileRevision, (await row(db, Transfer, transfer.id)).revision_id)
    assert (corrected.kind, corrected.status, corrected.data["position"]) == ("transfer", "ready", "Giáo viên")
    assert (await row(db, ProfileRevision, revision_id)).status == "returned_by_head"  # kept as it was


async def _open_of(db, workflow_id: str, kind: str, other_than: int) -> Task | None:
    async with db.session() as session:
        return (await session.execute(select(Task).where(
            Task.workflow_id == workflow_id, Task.kind == kind, Task.status == "open",
            Task.id != other_than))).scalars().first()


# ---- one open transfer per person; cancels ----------------------------------------------------------

async def test_a_second_open_transfer_or_leaving_is_refused(ts_env, ts_worker, db, org, task_queue):
    person_id = await approved_person(db, org.units["SYT-BV"])
    first = await start(db, ts_env, task_queue, "hr.syt-bv", person_id, "intra_province",
                        to_unit=org.units["SGD-LK"])
    for kind, to_unit, reason in (("intra_province", org.units["STC"], "Điều động"),
                                  ("leaving", None, "resignation")):
        with pytest.raises(Conflict) as refused:
            await start(db, ts_env, task_queue, "hr.syt-bv", person_id, kind, to_unit=to_unit, reason=reason)
        assert refused.value.code == "transfer_in_progress" and refused.value.extra["transfer_id"] == first.id
    async with db.session() as session:
        assert len((await session.execute(select(Transfer).where(Transfer.person_id == person_id))).all()) == 1


async def test_a_cancelled_transfer_leaves_the_record_where_it_was(ts_env, ts_worker, db, org, task_queue):
    bv, lk = org.units["SYT-BV"], org.units["SGD-LK"]
    person_id = await approved_person(db, bv)
    transfer = await start(db, ts_env, task_queue, "hr.syt-bv", person_id, "intra_province", to_unit=lk)
    await complete_as(db, ts_env.client, "hr.syt-bv",
                      (await open_task(db, transfer.workflow_id, "release_record")).id, "release")
    receive = await open_task(db, transfer.workflow_id, "receive_record")
    new_hr = await viewer(db, "hr.sgd-lk")
    async with db.session() as session:
        assert receive.id in [t.id for t in (await tasks.inbox(new_hr, session=session)).rows]
    with pytest.raises(Forbidden):  # the receiving unit does not cancel the sending unit's transfer
        await cancel(db, ts_env.client, "hr.sgd-lk", transfer.id)

    cancelled = await cancel(db, ts_env.client, "hr.syt-bv", transfer.id)
    assert (cancelled.status, cancelled.stage, cancelled.cancel_reason) == (
        "cancelled", "cancelled", "Quyết định điều động bị thu hồi")
    assert await ts_env.client.get_workflow_handle(transfer.workflow_id).result() == "cancelled"
    assert (await task_by_id(db, receive.id)).status == "cancelled"
    async with db.session() as session:
        assert receive.id not in [t.id for t in (await tasks.inbox(new_hr, session=session)).rows]
    assert (await row(db, Person, person_id)).unit_id == bv
    assert await reads(db, "hr.syt-bv", person_id) and not await reads(db, "hr.sgd-lk", person_id)
    assert await placements_of(db, person_id) == [(bv, HIRED, None)]
    with pytest.raises(Conflict):
        await cancel(db, ts_env.client, "hr.syt-bv", transfer.id)
    again = await start(db, ts_env, task_queue, "hr.syt-bv", person_id, "intra_province", to_unit=lk)
    assert again.id != transfer.id  # the person may be transferred again


async def test_a_decision_not_yet_in_effect_waits_and_can_be_cancelled(ts_env, ts_worker, db, org, task_queue):
    today = await server_today(ts_env)
    person_id = await approved_person(db, org.units["SYT"])
    transfer = await start(db, ts_env, task_queue, "hr.syt", person_id, "internal", to_unit=org.units["SYT-VP"],
                           effective_on=today + timedelta(days=10))
    await until(lambda: stage_is(db, transfer.id, "waiting_effective"))
    await ts_env.sleep(timedelta(days=3))
    assert await tasks_of(db, transfer.workflow_id) == []  # nothing to do before the decision takes effect
    await cancel(db, ts_env.client, "sonoivu", transfer.id)
    assert await ts_env.client.get_workflow_handle(transfer.workflow_id).result() == "cancelled"
    assert (await row(db, Person, person_id)).unit_id == org.units["SYT"]

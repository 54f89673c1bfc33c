"""Onboarding on Temporal's time-skipping server with the real activities and PostgreSQL.

Due dates are checked against hand-counted dates across Tết 2026 and the make-up Saturday
10/01/2026; milestones are checked by letting the server's clock run to just before and just
after each one.
"""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError

from models import Person, ProfileRevision, User
from rules.calendar import WorkingCalendar
from services.errors import Conflict, Forbidden, NotFound
from tests.helpers import (
    CV_VALID, complete_as, hire, notifications, open_task, save_cv, task_by_id, until,
)
from rules.clock import VN_TZ
from workflows.contracts import CompleteTaskInput

CAL = WorkingCalendar()

# profile → (account actor login, account due for a hire on 10/02/2026, article in its basis)
ACCOUNT_STEP = {
    "quang-ngai": ("hr.syt", date(2026, 2, 26), "Điều 5 khoản 2"),   # 7 WD across Tết 14-22/02
    "kon-tum": ("sonoivu", date(2026, 3, 31), "Điều 10 khoản 1"),    # Sở Nội vụ creates; 30 WD envelope
    "nghe-an": ("hr.syt", date(2026, 3, 31), "Điều 9 khoản 1"),      # no account rule; 30 WD envelope
    "binh-dinh": ("hr.syt", None, None),                              # HR creates, no deadline
    "hai-phong": ("hr.syt", None, None),                              # unit creates, no deadline
}
# profile → working days for the self-entry from the account's creation (None: no own deadline)
SELF_ENTRY_DAYS = {"quang-ngai": 5, "binh-dinh": 3, "kon-tum": None, "nghe-an": None, "hai-phong": None}


async def env_today(env) -> date:
    return (await env.get_current_time()).astimezone(VN_TZ).date()


@pytest.mark.parametrize("profile", list(ACCOUNT_STEP))
async def test_each_profile_dates_its_steps(profile, ts_env, ts_worker, db, org, task_queue):
    actor, account_due, article = ACCOUNT_STEP[profile]
    person = await hire(db, ts_env.client, task_queue, "hr.syt", org.units["SYT"], date(2026, 2, 10),
                        profile=profile)
    wid = f"onboarding/{person.id}"
    account = await open_task(db, wid, "create_account")
    assert account.due_on == account_due
    if article:
        assert article in account.legal_basis
    await complete_as(db, ts_env.client, actor, account.id, "done", {"username": "an.nguyenvan"})

    entry = await open_task(db, wid, "self_entry")
    created_on = await env_today(ts_env)
    days = SELF_ENTRY_DAYS[profile]
    if days is not None:
        assert entry.due_on == CAL.add_working_days(created_on, days)
        assert entry.started_on == created_on
    else:  # bounded by the new-record envelope where the profile has one
        assert entry.due_on == account_due


async def test_make_up_saturday_counts_as_a_working_day(ts_env, ts_worker, db, org, task_queue):
    # 05/01/2026 + 7 WD: Saturday 10/01/2026 is worked (Công văn 12729/VPCP-KGVX) → Tuesday 13/01.
    person = await hire(db, ts_env.client, task_queue, "hr.syt", org.units["SYT"], date(2026, 1, 5))
    account = await open_task(db, f"onboarding/{person.id}", "create_account")
    assert account.due_on == date(2026, 1, 13)


async def test_version_in_force_on_the_hire_date_applies(ts_env, ts_worker, db, org, task_queue):
    """Kon Tum after 01/07/2026: the national layer gives the self-entry 3 WD where the province is silent."""
    today = await env_today(ts_env)
    person = await hire(db, ts_env.client, task_queue, "hr.syt", org.units["SYT"], today, profile="kon-tum")
    assert person.profile_version >= "2026-07-01"
    wid = f"onboarding/{person.id}"
    account = await open_task(db, wid, "create_account")
    await complete_as(db, ts_env.client, "sonoivu", account.id, "done", {"username": "an.nguyenvan"})
    entry = await open_task(db, wid, "self_entry")
    assert entry.due_on == CAL.add_working_days(await env_today(ts_env), 3)
    assert "27/2026/NĐ-CP" in entry.legal_basis


async def test_reminder_and_escalations_fire_on_time(ts_env, ts_worker, db, org, task_queue, smtp):
    today = await env_today(ts_env)
    person = await hire(db, ts_env.client, task_queue, "hr.syt", org.units["SYT"], today)
    task = await open_task(db, f"onboarding/{person.id}", "create_account")
    due = CAL.add_working_days(today, 7)
    assert task.due_on == due
    remind_at = datetime.combine(CAL.sub_working_days(due, 2), datetime.min.time().replace(hour=8), tzinfo=VN_TZ)
    sonoivu_at = datetime.combine(CAL.add_working_days(due, 3), datetime.max.time().replace(microsecond=0),
                                  tzinfo=VN_TZ)

    await sleep_until(ts_env, remind_at - timedelta(minutes=5))
    assert (await task_by_id(db, task.id)).reminded_at is None
    await sleep_until(ts_env, remind_at + timedelta(minutes=5))
    reminded = await until(lambda: _stamp(db, task.id, "reminded_at"))
    assert abs(reminded - remind_at) < timedelta(minutes=1)
    assert any(m["Subject"].startswith("Sắp đến hạn") and m["To"] == "hr.syt@demo.hoso.local"
               for m in smtp.messages)

    await sleep_until(ts_env, task.due_at - timedelta(minutes=5))
    assert (await task_by_id(db, task.id)).escalation_level == 0
    await sleep_until(ts_env, task.due_at + timedelta(minutes=5))
    escalated = await until(lambda: _stamp(db, task.id, "escalated_head_at"))
    assert abs(escalated - task.due_at) < timedelta(minutes=1)
    assert (await task_by_id(db, task.id)).escalation_level == 1
    assert await _notified(db, "head.syt", task.id, "escalation")

    await sleep_until(ts_env, sonoivu_at - timedelta(minutes=5))
    assert (await task_by_id(db, task.id)).escalation_level == 1
    await sleep_until(ts_env, sonoivu_at + timedelta(minutes=5))
    await until(lambda: _stamp(db, task.id, "escalated_sonoivu_at"))
    assert (await task_by_id(db, task.id)).escalation_level == 2
    assert await _notified(db, "sonoivu", task.id, "escalation")

    # Late, but done: the timeline records it as late, and the workflow moves on.
    await complete_as(db, ts_env.client, "hr.syt", task.id, "done", {"username": "an.nguyenvan"})
    done = await task_by_id(db, task.id)
    assert done.status == "done" and done.completed_at > done.due_at


async def test_returned_cv_restarts_the_persons_deadline(ts_env, ts_worker, db, org, task_queue):
    today = await env_today(ts_env)
    person = await hire(db, ts_env.client, task_queue, "hr.syt", org.units["SYT"], today)
    wid = f"onboarding/{person.id}"
    account = await open_task(db, wid, "create_account")
    done = await complete_as(db, ts_env.client, "hr.syt", account.id, "done", {"username": "an.nguyenvan"})
    await activate(db, "an.nguyenvan", done.activation_code)

    first = await open_task(db, wid, "self_entry")
    await save_cv(db, "an.nguyenvan", person.id, CV_VALID)
    await complete_as(db, ts_env.client, "an.nguyenvan", first.id, "submit")
    review = await open_task(db, wid, "review_entry")
    await ts_env.sleep(timedelta(days=9))  # HR takes its time
    returned_on = await env_today(ts_env)
    await complete_as(db, ts_env.client, "hr.syt", review.id, "return", {"comment": "Bổ sung quê quán chi tiết."})

    second = await open_task(db, wid, "self_entry")
    assert second.id != first.id
    assert second.started_on == returned_on
    assert second.due_on == CAL.add_working_days(returned_on, 5)
    assert second.due_on > first.due_on
    await save_cv(db, "an.nguyenvan", person.id, {"hometown": "Thôn 2, xã Tịnh Khê, tỉnh Quảng Ngãi"})
    await complete_as(db, ts_env.client, "an.nguyenvan", second.id, "submit")
    await complete_as(db, ts_env.client, "hr.syt", (await open_task(db, wid, "review_entry")).id, "accept")
    handle = ts_env.client.get_workflow_handle(wid)
    await until(lambda: _stage_is(handle, "approval"))
    async with db.session() as session:
        assert (await session.get(Person, person.id)).status == "active"
        statuses = (await session.execute(select(ProfileRevision.status).where(
            ProfileRevision.person_id == person.id).order_by(ProfileRevision.number))).scalars().all()
    assert statuses == ["returned", "ready"]


async def test_stale_duplicate_and_foreign_completions_are_refused(ts_env, ts_worker, db, org, task_queue):
    today = await env_today(ts_env)
    person = await hire(db, ts_env.client, task_queue, "hr.syt", org.units["SYT"], today)
    wid = f"onboarding/{person.id}"
    account = await open_task(db, wid, "create_account")
    with pytest.raises(NotFound):  # another unit's HR does not even see it
        await complete_as(db, ts_env.client, "hr.sgd", account.id, "done", {"username": "x.y"})
    with pytest.raises(Forbidden):  # the head sees it but is not the one to act
        await complete_as(db, ts_env.client, "head.syt", account.id, "done", {"username": "x.y"})
    # The workflow's validator is the last word, even for a caller that skips the service checks.
    handle = ts_env.client.get_workflow_handle(wid)
    outsider = await _user_id(db, "hr.sgd")
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update("complete_task", CompleteTaskInput(account.id, "done", outsider, {}))
    await complete_as(db, ts_env.client, "hr.syt", account.id, "done", {"username": "an.nguyenvan"})
    with pytest.raises(Conflict):
        await complete_as(db, ts_env.client, "hr.syt", account.id, "done", {"username": "an.nguyenvan"})
    hr = await _user_id(db, "hr.syt")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("complete_task", CompleteTaskInput(account.id, "done", hr, {}))
    assert "không còn mở" in str(refused.value.cause)


async def _stage_is(handle, stage: str) -> bool:
    return await handle.query("stage") == stage


async def activate(db, username: str, code: str) -> None:
    from services import auth
    async with db.session() as session:
        await auth.activate(username, code, "mat-khau-moi-123", session=session)


async def sleep_until(env, moment: datetime) -> None:
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)


async def _stamp(db, task_id: int, name: str):
    return getattr(await task_by_id(db, task_id), name)


async def _user_id(db, username: str) -> int:
    async with db.session() as session:
        return (await session.execute(select(User.id).where(User.username == username))).scalar_one()


async def _notified(db, username: str, task_id: int, kind: str) -> bool:
    user_id = await _user_id(db, username)
    return any(n.user_id == user_id and n.task_id == task_id for n in await notifications(db, kind))




async def test_the_account_step_refuses_a_taken_username_and_a_second_login(ts_env, ts_worker, db, org, task_queue):
    person = await hire(db, ts_env.client, task_queue, "hr.syt", org.units["SYT"], date(2026, 2, 10))
    account = await open_task(db, f"onboarding/{person.id}", "create_account")
    with pytest.raises(Conflict) as taken:  # an official's login
        await complete_as(db, ts_env.client, "hr.syt", account.id, "done", {"username": "hr.sgd"})
    assert taken.value.code == "username_taken"
    async with db.session() as session:  # a login the person already holds
        session.add(User(username="an.cu", full_name=person.full_name, person_id=person.id, unit_id=person.unit_id))
    with pytest.raises(Conflict) as second:
        await complete_as(db, ts_env.client, "hr.syt", account.id, "done", {"username": "an.nguyenvan"})
    assert second.value.code == "account_exists" and "an.cu" in second.value.message
    assert (await task_by_id(db, account.id)).status == "open"

    await complete_as(db, ts_env.client, "hr.syt", account.id, "done", {"username": "an.cu"})  # their own: kept
    async with db.session() as session:
        logins = (await session.execute(select(User.username).where(User.person_id == person.id))).scalars().all()
    assert logins == ["an.cu"] and (await task_by_id(db, account.id)).status == "done"

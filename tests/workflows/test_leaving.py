"""Leaving (retirement, resignation, dismissal, death, leaving the province, the Party bloc) on the
time-skipping server with the real activities and PostgreSQL: the status change's deadline per profile, the
head's return with a fresh deadline, the archive with the login refused once approved, and a cancel while
the status change waits for the month's approval."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import Person, ProfileRevision, SyncOutbox, Transfer, User
from rules.profiles import get_profile
from services import approvals, auth
from services.scope import readable_person
from tests.conftest import PASSWORD
from tests.helpers import complete_as, open_task, until, viewer
from tests.workflows.test_transfer import (
    HIRED, LOGIN, STATUS, approval_of, approved_person, assert_dated, cancel, counted, placements_of, row,
    server_today, sign, stage_is, start, travel_to_early_next_month,
)


@pytest.mark.parametrize("profile", list(STATUS))
async def test_status_change_due_date_from_the_effective_date(profile, ts_env, ts_worker, db, org, task_queue):
    kind, amount, article = STATUS[profile]
    rule = get_profile(profile, on=await server_today(ts_env)).rule("status_change")
    assert (rule.kind, rule.amount, rule.article, rule.actor) == (kind, amount, article, "unit_hr")
    effective = await server_today(ts_env) - timedelta(days=3)
    person_id = await approved_person(db, org.units["SYT"], profile=profile)
    leaving = await start(db, ts_env, task_queue, "hr.syt", person_id, "leaving", reason="retirement",
                          effective_on=effective)
    task = await open_task(db, leaving.workflow_id, "change_status")
    assert_dated(task, "status_change", counted(kind, amount, effective), article)
    assert (task.actor_role, task.unit_id, task.started_on) == ("unit_hr", org.units["SYT"], effective)
    assert await stage_is(db, leaving.id, "status_change")


async def test_a_leaving_returned_then_approved_ends_in_the_archive(ts_env, ts_worker, db, org, task_queue, settings):
    """Nghệ An Đ10.3 (15 days from the effective date); the record is kept (Đ11.3) and the login stops."""
    syt = org.units["SYT"]
    person_id = await approved_person(db, syt, profile="nghe-an")
    async with db.session() as session:
        login_id = (await session.execute(select(User.id).where(User.username == LOGIN))).scalar_one()
        token = await auth.start_session(settings, login_id, session=session)
    effective = await server_today(ts_env) - timedelta(days=1)
    leaving = await start(db, ts_env, task_queue, "hr.syt", person_id, "leaving", reason="retirement",
                          effective_on=effective, decision_no="88/QĐ-SYT")
    first = await open_task(db, leaving.workflow_id, "change_status")
    await complete_as(db, ts_env.client, "hr.syt", first.id, "done")
    revision = await row(db, ProfileRevision, (await row(db, Transfer, leaving.id)).revision_id)
    assert (revision.kind, revision.status, revision.decision_no, revision.change_reason) == (
        "status_change", "ready", "88/QĐ-SYT", "Nghỉ hưu")
    assert revision.data["work_history"][-1]["to"] == f"{effective:%m/%Y}"  # the running period ends

    await ts_env.sleep(timedelta(days=2))
    returned_on = await server_today(ts_env)
    await sign(db, ts_env.client, "head.syt", revision.id, "return", "Kiểm tra lại số quyết định.")
    again = await until(lambda: _other_open(db, leaving.workflow_id, first.id))
    assert again.started_on == returned_on  # back to HR, a fresh deadline counted from the return
    assert_dated(again, "status_change", counted("calendar_days", 15, returned_on), "Điều 10 khoản 3")
    assert (await row(db, Person, person_id)).status == "active"

    await complete_as(db, ts_env.client, "hr.syt", again.id, "done")
    approved_id = (await row(db, Transfer, leaving.id)).revision_id
    assert approved_id != revision.id
    await sign(db, ts_env.client, "head.syt", approved_id)
    assert await ts_env.client.get_workflow_handle(leaving.workflow_id).result() == "archived"

    person = await row(db, Person, person_id)
    assert (person.status, person.left_on, person.leave_reason) == ("archived", effective, "retirement")
    assert person.archived_at is not None and person.current_revision_id == approved_id
    assert await placements_of(db, person_id) == [(syt, HIRED, effective)]
    done = await row(db, Transfer, leaving.id)
    assert (done.status, done.stage) == ("done", "archived")
    async with db.session() as session:
        assert (await session.get(User, login_id)).is_active is False
        assert await auth.session_viewer(settings, token, session=session) is None  # its session ended
        with pytest.raises(auth.LoginRefused):
            await auth.login(settings, LOGIN, PASSWORD, session=session)
        assert (await session.execute(select(SyncOutbox.revision_id))).scalars().all() == [approved_id]
        statuses = (await session.execute(select(ProfileRevision.status).where(
            ProfileRevision.person_id == person_id).order_by(ProfileRevision.number))).scalars().all()
    assert statuses == ["approved", "returned_by_head", "approved"]  # the whole history stays
    hr = await viewer(db, "hr.syt")
    async with db.session() as session:  # kept, read-only, still readable by those entitled
        assert (await readable_person(hr, person_id, session=session)).status == "archived"


async def _other_open(db, workflow_id: str, other_than: int):
    from models import Task
    async with db.session() as session:
        return (await session.execute(select(Task).where(
            Task.workflow_id == workflow_id, Task.kind == "change_status", Task.status == "open",
            Task.id != other_than))).scalars().first()


async def test_a_leaving_cancelled_while_waiting_for_approval_stays_active(ts_env, ts_worker, db, org, task_queue):
    today = await travel_to_early_next_month(ts_env)
    syt = org.units["SYT"]
    person_id = await approved_person(db, syt)
    leaving = await start(db, ts_env, task_queue, "hr.syt", person_id, "leaving", reason="resignation",
                          effective_on=today - timedelta(days=1))
    await complete_as(db, ts_env.client, "hr.syt", (await open_task(db, leaving.workflow_id, "change_status")).id,
                      "done")
    revision_id = (await row(db, Transfer, leaving.id)).revision_id
    approval, item = await until(lambda: approval_of(db, revision_id))
    assert item.decision == "pending"
    await until(lambda: stage_is(db, leaving.id, "approval"))

    await cancel(db, ts_env.client, "hr.syt", leaving.id, "Đơn xin thôi việc được rút lại")
    assert await ts_env.client.get_workflow_handle(leaving.workflow_id).result() == "cancelled"
    _, item = await approval_of(db, revision_id)
    assert item.decision == "withdrawn"
    assert (await row(db, ProfileRevision, revision_id)).status == "withdrawn"
    async with db.session() as session:
        assert await approvals.pending_revision_ids(approval.id, session=session) == []  # out of the head's batch
        login = (await session.execute(select(User).where(User.username == LOGIN))).scalars().one()
    person = await row(db, Person, person_id)
    assert (person.status, person.unit_id, person.left_on) == ("active", syt, None)
    assert login.is_active
    assert (await row(db, Transfer, leaving.id)).status == "cancelled"

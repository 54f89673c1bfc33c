"""The monthly approval on the time-skipping server: window, cutoff, reminder, escalation to Sở Nội
vụ, roll-over of late revisions, delegations, approve-some/return-others, the signed batch."""
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from models import Approval, ApprovalItem, Person, ProfileRevision, SyncOutbox
from rules.calendar import WorkingCalendar
from services import delegations
from temporalio.client import WorkflowUpdateFailedError

from services.errors import Forbidden, NotFound
from workflows.contracts import CompleteTaskInput
from tests.helpers import complete_as, onboard_to_ready, open_task, task_by_id, until, viewer
from rules.clock import VN_TZ

CAL = WorkingCalendar()


def month_start_after(moment: datetime) -> date:
    day = moment.astimezone(VN_TZ).date()
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def last_day(first: date) -> date:
    return month_start_after(datetime.combine(first, time(12), tzinfo=VN_TZ)) - timedelta(days=1)


async def travel_to(env, day: date, hour: int = 9) -> None:
    target = datetime.combine(day, time(hour), tzinfo=VN_TZ)
    now = await env.get_current_time()
    if target > now:
        await env.sleep(target - now)


async def approval_row(db, **where) -> Approval | None:
    async with db.session() as session:
        query = select(Approval)
        for name, value in where.items():
            query = query.where(getattr(Approval, name) == value)
        return (await session.execute(query)).scalars().first()


async def sign_task(db, unit_id: int, month: str):
    return await open_task(db, f"approval/{unit_id}/{month}", "sign_approval")


async def test_quang_ngai_cutoff_reminder_escalation_and_signature(ts_env, ts_worker, db, org, task_queue):
    first = month_start_after(await ts_env.get_current_time())
    await travel_to(ts_env, first + timedelta(days=2))
    day = (await ts_env.get_current_time()).astimezone(VN_TZ).date()
    unit = org.units["SYT"]
    person_id, _ = await onboard_to_ready(db, ts_env.client, task_queue, unit_id=unit, hr="hr.syt",
                                          citizen_id="051095001234", name="Nguyễn Văn An", login="an.nguyenvan",
                                          hired_on=day)
    month = f"{first:%Y-%m}"
    task = await sign_task(db, unit, month)
    cutoff = date(first.year, first.month, 24)  # "trước ngày 25" (Điều 6 khoản 1): by the end of the 24th
    assert task.due_on == cutoff and "Điều 6 khoản 1" in task.legal_basis
    assert task.title.startswith("Ký số phê duyệt dữ liệu tháng")
    remind_at = datetime.combine(CAL.sub_working_days(cutoff, 2), time(8), tzinfo=VN_TZ)

    await travel_to(ts_env, remind_at.date(), 7)
    assert (await task_by_id(db, task.id)).reminded_at is None
    await travel_to(ts_env, remind_at.date(), 9)
    await until(lambda: _stamp(db, task.id, "reminded_at"))

    await travel_to(ts_env, cutoff, 23)
    assert (await approval_row(db, unit_id=unit, month=month)).late is False
    await travel_to(ts_env, cutoff + timedelta(days=1), 0)
    await until(lambda: _stamp(db, task.id, "escalated_sonoivu_at"))
    approval = await approval_row(db, unit_id=unit, month=month)
    assert approval.late and approval.status == "late"

    done = await complete_as(db, ts_env.client, "head.syt", task.id, "sign", {
        "decisions": {str(await _revision_of(db, person_id)): "approve"}})
    assert done.result.result["late"] is True
    approval = await approval_row(db, unit_id=unit, month=month)
    assert approval.status == "signed" and approval.signed_pdf.startswith(b"%PDF")
    assert approval.signed_as == "Thủ trưởng đơn vị"
    from services.signing import validate_pdf
    [report] = validate_pdf(approval.signed_pdf)
    assert report.intact and report.valid
    async with db.session() as session:
        person = await session.get(Person, person_id)
        revision = await session.get(ProfileRevision, person.current_revision_id)
        assert revision.status == "approved"
        outbox = (await session.execute(select(SyncOutbox).where(SyncOutbox.revision_id == revision.id))).scalars().one()
        # queued for the national database; its sender may already have delivered it
        assert outbox.status in ("pending", "sent") and outbox.idempotency_key


async def test_revision_reviewed_after_cutoff_rolls_into_next_month(ts_env, ts_worker, db, org, task_queue):
    first = month_start_after(await ts_env.get_current_time())
    await travel_to(ts_env, date(first.year, first.month, 26))
    day = (await ts_env.get_current_time()).astimezone(VN_TZ).date()
    unit = org.units["SYT"]
    person_id, _ = await onboard_to_ready(db, ts_env.client, task_queue, unit_id=unit, hr="hr.syt",
                                          citizen_id="051095001234", name="Nguyễn Văn An", login="an.nguyenvan",
                                          hired_on=day)
    following = month_start_after(datetime.combine(first, time(12), tzinfo=VN_TZ))
    assert await approval_row(db, unit_id=unit, month=f"{first:%Y-%m}") is None
    next_approval = await until(lambda: approval_row(db, unit_id=unit, month=f"{following:%Y-%m}"))
    assert next_approval.opens_on == following and next_approval.due_on == date(following.year, following.month, 24)
    assert await _open_sign_tasks(db, unit, f"{following:%Y-%m}") == []  # waits for its window
    await travel_to(ts_env, following, 1)
    task = await sign_task(db, unit, f"{following:%Y-%m}")
    assert task.due_on == date(following.year, following.month, 24)
    async with db.session() as session:
        item = (await session.execute(select(ApprovalItem).where(
            ApprovalItem.revision_id == await _revision_of(db, person_id)))).scalars().one()
        assert item.approval_id == next_approval.id


@pytest.mark.parametrize("profile", ["hai-phong", "kon-tum"])
async def test_last_five_days_window(profile, ts_env, ts_worker, db, org, task_queue):
    first = month_start_after(await ts_env.get_current_time())
    await travel_to(ts_env, first + timedelta(days=3))
    day = (await ts_env.get_current_time()).astimezone(VN_TZ).date()
    unit = org.units["SYT"]
    person_id, _ = await onboard_to_ready(db, ts_env.client, task_queue, unit_id=unit, hr="hr.syt",
                                          citizen_id="051095001234", name="Nguyễn Văn An", login="an.nguyenvan",
                                          hired_on=day, profile=profile)
    month, end = f"{first:%Y-%m}", last_day(first)
    approval = await until(lambda: approval_row(db, unit_id=unit, month=month))
    assert approval.opens_on == end - timedelta(days=4) and approval.due_on == end
    await travel_to(ts_env, end - timedelta(days=5), 12)
    assert await _open_sign_tasks(db, unit, month) == []
    await travel_to(ts_env, end - timedelta(days=4), 1)
    task = await sign_task(db, unit, month)
    assert task.due_on == end


async def test_delegations_valid_expired_revoked(ts_env, ts_worker, db, org, task_queue):
    first = month_start_after(await ts_env.get_current_time())
    await travel_to(ts_env, first + timedelta(days=1))
    day = (await ts_env.get_current_time()).astimezone(VN_TZ).date()
    unit = org.units["SYT"]
    person_id, _ = await onboard_to_ready(db, ts_env.client, task_queue, unit_id=unit, hr="hr.syt",
                                          citizen_id="051095001234", name="Nguyễn Văn An", login="an.nguyenvan",
                                          hired_on=day)
    task = await sign_task(db, unit, f"{first:%Y-%m}")
    revision_id = await _revision_of(db, person_id)
    decisions = {"decisions": {str(revision_id): "approve"}}
    head = await viewer(db, "head.syt")
    # The signing effect checks a delegation on the server's (skipped) day, the web side on the real
    # day: each delegation below is expired, or valid, on both days.
    since = min(day, datetime.now(VN_TZ).date())
    async with db.session() as session:  # deputies of the unit, delegated in writing
        expired = await delegations.create(head, unit_id=unit, delegate_username="pho.syt",
                                           document_no="01/UQ-SYT", valid_from=since - timedelta(days=30),
                                           valid_to=since - timedelta(days=1), session=session)
        revoked = await delegations.create(head, unit_id=unit, delegate_username="hr.syt",
                                           document_no="02/UQ-SYT", valid_from=since,
                                           valid_to=day + timedelta(days=60), client=ts_env.client, session=session)
    async with db.session() as session:
        await delegations.revoke(head, revoked.id, client=ts_env.client, session=session)
    for deputy in ("pho.syt", "hr.syt"):  # an expired or revoked delegation confers nothing
        with pytest.raises((Forbidden, NotFound)):
            await complete_as(db, ts_env.client, deputy, task.id, "sign", decisions)
    # Even a caller that reaches the workflow directly is refused, by the Update's validator.
    handle = ts_env.client.get_workflow_handle(f"approval/{unit}/{first:%Y-%m}")
    outsider = await _user_id(db, "hr.syt")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("complete_task", CompleteTaskInput(task.id, "sign", outsider, decisions))
    assert "không được giao" in str(refused.value.cause)
    async with db.session() as session:
        await delegations.create(head, unit_id=unit, delegate_username="pho.syt",
                                 document_no="03/UQ-SYT", valid_from=since, valid_to=day + timedelta(days=30),
                                 client=ts_env.client, session=session)
    done = await complete_as(db, ts_env.client, "pho.syt", task.id, "sign", decisions)
    assert done.result.outcome == "sign"
    approval = await approval_row(db, unit_id=unit, month=f"{first:%Y-%m}")
    assert "03/UQ-SYT" in approval.signed_as
    _ = expired


async def test_head_approves_some_and_returns_others(ts_env, ts_worker, db, org, task_queue):
    first = month_start_after(await ts_env.get_current_time())
    await travel_to(ts_env, first + timedelta(days=1))
    day = (await ts_env.get_current_time()).astimezone(VN_TZ).date()
    unit = org.units["SYT"]
    kept, _ = await onboard_to_ready(db, ts_env.client, task_queue, unit_id=unit, hr="hr.syt",
                                     citizen_id="051095001234", name="Nguyễn Văn An", login="an.nguyenvan",
                                     hired_on=day)
    sent_back, wid = await onboard_to_ready(db, ts_env.client, task_queue, unit_id=unit, hr="hr.syt",
                                            citizen_id="051195004321", name="Trần Thị Bình", login="binh.tranthi",
                                            hired_on=day, sex="nu")
    month = f"{first:%Y-%m}"
    task = await sign_task(db, unit, month)
    await until(lambda: _items(db, month, 2))
    keep_rev, back_rev = await _revision_of(db, kept), await _revision_of(db, sent_back)
    await complete_as(db, ts_env.client, "head.syt", task.id, "sign", {
        "decisions": {str(keep_rev): "approve", str(back_rev): "return"},
        "reasons": {str(back_rev): "Thiếu quá trình công tác trước năm 2020."}})
    entry = await open_task(db, wid, "self_entry")  # back to the person, fresh deadline from today
    today = (await ts_env.get_current_time()).astimezone(VN_TZ).date()
    assert entry.started_on == today and entry.due_on == CAL.add_working_days(today, 5)
    async with db.session() as session:
        assert (await session.get(Person, kept)).current_revision_id == keep_rev
        assert (await session.get(Person, sent_back)).current_revision_id is None
        back = await session.get(ProfileRevision, back_rev)
        assert back.status == "returned_by_head" and "2020" in back.review_comment


async def _user_id(db, username: str) -> int:
    from models import User
    async with db.session() as session:
        return (await session.execute(select(User.id).where(User.username == username))).scalar_one()


async def _stamp(db, task_id: int, name: str):
    return getattr(await task_by_id(db, task_id), name)


async def _revision_of(db, person_id: int) -> int:
    async with db.session() as session:
        return (await session.execute(select(ProfileRevision.id).where(ProfileRevision.person_id == person_id)
                                      .order_by(ProfileRevision.number.desc()))).scalars().first()


async def _open_sign_tasks(db, unit_id: int, month: str) -> list:
    from models import Task
    async with db.session() as session:
        return list((await session.execute(select(Task).where(
            Task.workflow_id == f"approval/{unit_id}/{month}", Task.status == "open"))).scalars())


async def _items(db, month: str, count: int) -> bool:
    async with db.session() as session:
        rows = (await session.execute(select(ApprovalItem).join(Approval, Approval.id == ApprovalItem.approval_id)
                                      .where(Approval.month == month))).scalars().all()
        return len(rows) >= count


async def test_province_level_signed_by_the_director_in_the_last_five_days(ts_env, ts_worker, db, org, task_queue):
    """Quảng Ngãi Đ6.2: after the units, the Director of Sở Nội vụ signs within the last 5 days."""
    first = month_start_after(await ts_env.get_current_time())
    await travel_to(ts_env, first + timedelta(days=1))
    day = (await ts_env.get_current_time()).astimezone(VN_TZ).date()
    unit, month, end = org.units["SYT"], f"{first:%Y-%m}", last_day(first)
    person_id, _ = await onboard_to_ready(db, ts_env.client, task_queue, unit_id=unit, hr="hr.syt",
                                          citizen_id="051095001234", name="Nguyễn Văn An", login="an.nguyenvan",
                                          hired_on=day)
    task = await sign_task(db, unit, month)
    await complete_as(db, ts_env.client, "head.syt", task.id, "sign",
                      {"decisions": {str(await _revision_of(db, person_id)): "approve"}})
    province = await until(lambda: approval_row(db, level="province", month=month))
    assert province.opens_on == end - timedelta(days=4) and province.due_on == end
    assert "Điều 6 khoản 2" in province.legal_basis
    await travel_to(ts_env, end - timedelta(days=5), 12)
    assert await _open_province_tasks(db, month) == []
    await travel_to(ts_env, end - timedelta(days=4), 1)
    director_task = await open_task(db, f"province-approval/{month}", "sign_province")
    assert director_task.due_on == end
    await complete_as(db, ts_env.client, "giamdoc.snv", director_task.id, "sign")
    province = await approval_row(db, level="province", month=month)
    unit_approval = await approval_row(db, level="unit", unit_id=unit, month=month)
    assert province.status == "signed" and unit_approval.parent_id == province.id
    from services.signing import validate_pdf
    assert all(r.intact and r.valid for r in validate_pdf(province.signed_pdf))


async def _open_province_tasks(db, month: str) -> list:
    from models import Task
    async with db.session() as session:
        return list((await session.execute(select(Task).where(
            Task.workflow_id == f"province-approval/{month}", Task.status == "open"))).scalars())

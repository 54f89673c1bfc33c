"""Retirement (workflows/retirement.py) on the time-skipping server with the real activities and PostgreSQL:
the notice 6 months ahead and the decision 3 months ahead (their reminders), the leaving started on the date
through the Transfer workflow, one workflow per person however often the daily scan runs, and a corrected
date of birth moving the dates of an open notice (through the month's approval, or found by the scan). The
Schedule itself runs on the dev server (the time-skipping server has no Schedules)."""
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, update
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from bootstrap import schedules
from models import Approval, Person, Placement, ProfileRevision, Task, Transfer, User
from rules.calendar import WorkingCalendar
from rules.clock import VN_TZ
from rules.deadlines import add_months, compute_deadline
from rules.profiles import get_profile
from rules.retirement import PROCESS, retirement, retirement_date, scan_horizon
from services import documents, people, updates
from services.errors import Conflict, Invalid
from tests.helpers import CV_VALID, complete_as, open_task, task_by_id, tasks_of, until, viewer
from workflows.contracts import Recheck, RetirementInput, RetirementScanInput
from workflows.retirement import SCAN_SCHEDULE_ID, RetirementScanWorkflow, workflow_id

CAL = WorkingCalendar()
PROFILE = "quang-ngai"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def server_today(env) -> date:
    return (await env.get_current_time()).astimezone(VN_TZ).date()


async def travel_to(env, day: date, hour: int) -> None:
    target = datetime.combine(day, time(hour), tzinfo=VN_TZ)
    now = await env.get_current_time()
    if target > now:
        await env.sleep(target - now)


def born_retiring(after: date, *, before: date | None = None, movable: bool = False,
                  sexes: tuple[str, ...] = ("nam", "nu")) -> tuple[str, date]:
    """Someone (of the first of `sexes` that has one) whose retirement date is the first one after `after`
    (and before `before`); `movable`: born before October, so a birth date three months later stays in the
    same year (the citizen ID encodes the year)."""
    for sex in sexes:
        for back in range(12 * 70, 12 * 50, -1):
            index = after.year * 12 + after.month - 1 - back
            born = date(index // 12, index % 12 + 1, 10)
            retires = retirement_date(sex, born)
            if retires > after and (before is None or retires <= before) and (not movable or born.month <= 9):
                return sex, born
    pytest.fail(f"nobody retires between {after} and {before}")


def citizen_id(sex: str, born: date, serial: int) -> str:
    return f"051{0 if sex == 'nam' else 1}{born.year % 100:02d}{serial:06d}"


async def retiree(db, unit_id: int, sex: str, born: date, serial: int, *, status: str = "active") -> int:
    """A serving official whose record came over approved from the previous system."""
    name = f"Nguyễn Văn Hưu {serial}" if sex == "nam" else f"Trần Thị Hưu {serial}"
    cid = citizen_id(sex, born, serial)
    async with db.session() as session:
        person = Person(full_name=name, search_name=people.search_key(name), sex=sex, date_of_birth=born,
                        citizen_id=cid, unit_id=unit_id, kind="cong_chuc", hired_on=date(1990, 9, 1), status=status,
                        profile=PROFILE, profile_version=get_profile(PROFILE, on=date(2025, 1, 1)).version)
        session.add(person)
        await session.flush()
        session.add(Placement(person_id=person.id, unit_id=unit_id, from_on=person.hired_on))
        revision = ProfileRevision(person_id=person.id, number=1, status="approved", kind="import",
                                   data={**CV_VALID, "full_name": name, "sex": sex, "date_of_birth": born.isoformat(),
                                         "citizen_id": cid},
                                   approved_at=datetime.now(UTC), change_reason="Chuyển từ hệ thống cũ")
        session.add(revision)
        await session.flush()
        person.current_revision_id = revision.id
        return person.id


async def start(env, task_queue: str, person_id: int):
    return await env.client.start_workflow("Retirement", RetirementInput(person_id), id=workflow_id(person_id),
                                           task_queue=task_queue)


async def planned(handle) -> dict:
    async def known():
        plan = await handle.query("retirement")
        return plan if plan.get("retirement_date") else None
    return await until(known)


def due(rule: str, retires: date, today: date) -> date:
    return compute_deadline(get_profile(PROFILE, on=today), rule, retires, CAL).due


def opens_on(due_on: date) -> date:
    """The day a task due on `due_on` opens (at 08:00)."""
    return due_on - timedelta(days=PROCESS.task_opens_before_due_days)


async def open_of(db, wid: str, kind: str) -> list[Task]:
    return [t for t in await tasks_of(db, wid) if t.kind == kind and t.status == "open"]


async def transfer_of(db, person_id: int) -> Transfer | None:
    async with db.session() as session:
        return (await session.execute(select(Transfer).where(Transfer.person_id == person_id))).scalars().first()


async def status_of(env, wid: str) -> tuple[WorkflowExecutionStatus, str] | None:
    try:
        described = await env.client.get_workflow_handle(wid).describe()
    except RPCError:
        return None
    return described.status, described.run_id


async def test_notice_six_months_then_decision_three_months_ahead_then_the_leaving_on_the_date(
        ts_env, ts_worker, db, org, task_queue):
    today = await server_today(ts_env)
    sex, born = born_retiring(add_months(today, 6) + timedelta(days=45))
    retires = retirement_date(sex, born)
    person_id = await retiree(db, org.units["SYT"], sex, born, 1)
    wid = workflow_id(person_id)
    handle = await start(ts_env, task_queue, person_id)
    plan = await planned(handle)
    assert plan["retirement_date"] == retires.isoformat() and plan["age"] == retirement(sex, born).age.label
    assert "Phụ lục I Nghị định 135/2020/NĐ-CP" in plan["basis"]

    notice_due = due("retirement_notice", retires, today)
    six_months = add_months(retires, -6)  # the corresponding day, or the working day before it
    assert notice_due <= six_months and (six_months - notice_due).days < 7 and CAL.is_working_day(notice_due)
    await travel_to(ts_env, opens_on(notice_due), 7)
    assert await tasks_of(db, wid) == []  # prepared ahead, but not yet given to HR
    await travel_to(ts_env, opens_on(notice_due), 9)
    notice = await open_task(db, wid, "retirement_notice")
    assert (notice.rule, notice.actor_role, notice.due_on, notice.started_on) == (
        "retirement_notice", "unit_hr", notice_due, retires)
    assert notice.legal_basis.startswith("Điều 60 khoản 2 Luật Cán bộ, công chức 2008")
    assert "Luật Viên chức" in notice.legal_basis
    assert notice.title.startswith("Thông báo nghỉ hưu: ")

    reminder = CAL.sub_working_days(notice_due, get_profile(PROFILE, on=today).escalation.remind_before_working_days)
    await travel_to(ts_env, reminder, 9)
    await until(lambda: _reminded(db, notice.id))
    with pytest.raises(Invalid) as refused:
        await complete_as(db, ts_env.client, "hr.syt", notice.id, "done", {})
    assert refused.value.code == "missing_notice_no"
    done = await complete_as(db, ts_env.client, "hr.syt", notice.id, "done", {"notice_no": "125/TB-SYT"})
    assert done.result.late is False and done.result.result == {"notice_no": "125/TB-SYT"}

    decision_due = due("retirement_decision", retires, today)
    three_months = add_months(retires, -3)
    assert decision_due <= three_months and (three_months - decision_due).days < 7
    await travel_to(ts_env, opens_on(decision_due), 7)
    assert await open_of(db, wid, "retirement_decision") == []
    await travel_to(ts_env, opens_on(decision_due), 9)
    decision = await open_task(db, wid, "retirement_decision")
    assert (decision.rule, decision.due_on, decision.actor_role) == ("retirement_decision", decision_due, "unit_hr")
    with pytest.raises(Invalid) as refused:
        await complete_as(db, ts_env.client, "hr.syt", decision.id, "done", {"decision_no": " "})
    assert refused.value.code == "missing_decision_no"
    await complete_as(db, ts_env.client, "hr.syt", decision.id, "done", {"decision_no": "45/QĐ-SYT"})

    await travel_to(ts_env, retires, 7)
    assert await transfer_of(db, person_id) is None  # the leaving starts on the date, not before
    await travel_to(ts_env, retires, 9)
    leaving = await until(lambda: transfer_of(db, person_id))
    assert (leaving.kind, leaving.reason, leaving.decision_no, leaving.effective_on, leaving.status) == (
        "leaving", "retirement", "45/QĐ-SYT", retires, "open")
    assert leaving.from_unit_id == org.units["SYT"] and leaving.to_unit_id is None
    assert leaving.workflow_id == f"transfer/{leaving.id}" and leaving.created_by_id == org.users["hr.syt"]
    described = await ts_env.client.get_workflow_handle(leaving.workflow_id).describe()
    assert described.workflow_type == "Transfer"
    change = await open_task(db, leaving.workflow_id, "change_status")  # the Transfer workflow's status change
    assert change.subject_person_id == person_id and change.started_on == retires
    assert await handle.query("stage") == "transfer"


async def _reminded(db, task_id: int):
    return (await task_by_id(db, task_id)).reminded_at


async def approval_of(db, unit_id: int) -> Approval | None:
    async with db.session() as session:
        return (await session.execute(select(Approval).where(Approval.unit_id == unit_id))).scalars().first()


async def test_a_corrected_birth_date_approved_by_the_head_moves_the_open_notice(ts_env, ts_worker, db, org,
                                                                                 task_queue):
    today = await server_today(ts_env)
    sex, born = born_retiring(add_months(today, 6) + timedelta(days=45), movable=True)
    corrected = date(born.year, born.month + 3, born.day)
    before, after = retirement_date(sex, born), retirement_date(sex, corrected)
    assert after > before
    person_id = await retiree(db, org.units["SYT"], sex, born, 2)
    wid = workflow_id(person_id)
    handle = await start(ts_env, task_queue, person_id)
    await planned(handle)
    await travel_to(ts_env, opens_on(due("retirement_notice", before, today)), 9)
    first = await open_task(db, wid, "retirement_notice")
    assert first.due_on == due("retirement_notice", before, today)

    # HR enters the correction from the birth certificate; the head approves it in the month's batch
    day = await server_today(ts_env)
    hr = await viewer(db, "hr.syt")
    async with db.session() as session:
        revision = await updates.start(ts_env.client, task_queue, session, hr, person_id, kind="update_state_decision",
                                       change_date=day, reason="Đính chính ngày sinh theo giấy khai sinh",
                                       data={"date_of_birth": corrected.isoformat()}, decision_no="12/QĐ-SYT",
                                       today=day)
    async with db.session() as session:
        await documents.attach(hr, revision.id, "giay-khai-sinh.png", PNG, max_bytes=10 * 1024 * 1024, session=session)
    await complete_as(db, ts_env.client, "hr.syt", (await open_task(db, revision.workflow_id, "update_entry")).id,
                      "submit")
    approval = await until(lambda: approval_of(db, org.units["SYT"]))  # this month's, or the next (past the 24th)
    await travel_to(ts_env, approval.opens_on, 9)
    sign = await open_task(db, approval.workflow_id, "sign_approval")
    assert (await handle.query("retirement"))["retirement_date"] == before.isoformat()  # nothing moves before
    await complete_as(db, ts_env.client, "head.syt", sign.id, "sign", {"decisions": {str(revision.id): "approve"}})

    # the approval's hook signals the workflow: the open notice is withdrawn, a new one is due by the new date
    async def withdrawn():
        return (await task_by_id(db, first.id)).status == "cancelled"
    await until(withdrawn, timeout=20)
    assert f"hết ngày {after:%d/%m/%Y}" in (await task_by_id(db, first.id)).comment
    plan = await handle.query("retirement")
    assert plan["retirement_date"] == after.isoformat() and plan["notice_for"] is None
    assert plan["notice_due"] == due("retirement_notice", after, today).isoformat()
    assert await open_of(db, wid, "retirement_notice") == []  # three months later: the new notice waits its turn
    await travel_to(ts_env, opens_on(due("retirement_notice", after, today)), 9)
    moved = await open_task(db, wid, "retirement_notice")
    assert moved.id != first.id and moved.due_on == due("retirement_notice", after, today)
    assert moved.started_on == after
    with pytest.raises(Conflict) as refused:  # the withdrawn task can no longer be completed
        await complete_as(db, ts_env.client, "hr.syt", first.id, "done", {"notice_no": "1/TB"})
    assert refused.value.code == "task_not_open"


async def test_the_daily_scan_starts_one_workflow_per_person_however_often_it_runs(ts_env, ts_worker, db, org,
                                                                                   task_queue):
    today = await server_today(ts_env)
    horizon = scan_horizon(today)
    unit = org.units["SYT"]
    soon = [await retiree(db, unit, *born_retiring(add_months(today, 6), before=horizon), 11),
            await retiree(db, unit, *born_retiring(add_months(today, 6), before=horizon, sexes=("nu", "nam")), 12),
            await retiree(db, unit, "nam", date(1958, 5, 10), 13)]  # past the age, still serving: overdue
    later = await retiree(db, unit, *born_retiring(horizon + timedelta(days=31)), 14)
    archived = await retiree(db, unit, "nam", date(1958, 6, 10), 15, status="archived")

    async def scan() -> None:
        handle = await ts_env.client.start_workflow(
            RetirementScanWorkflow.run, RetirementScanInput(batch_size=2, batches_per_run=1),
            id=f"retirement-scan-{uuid.uuid4().hex[:8]}", task_queue=task_queue)

        async def finished():
            return (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
        await until(finished, timeout=30)  # pages of 2, one page per run: continued as new twice

    await scan()
    first = {pid: await until(lambda pid=pid: status_of(ts_env, workflow_id(pid))) for pid in soon}
    assert {s for s, _ in first.values()} == {WorkflowExecutionStatus.RUNNING}
    assert await status_of(ts_env, workflow_id(later)) is None
    assert await status_of(ts_env, workflow_id(archived)) is None
    for pid in soon:
        assert (await planned(ts_env.client.get_workflow_handle(workflow_id(pid))))["person_id"] == pid

    await scan()
    await scan()
    assert {pid: await status_of(ts_env, workflow_id(pid)) for pid in soon} == first  # the same runs

    # an ended workflow (here stopped by an operator) is not started again: REJECT_DUPLICATE
    await ts_env.client.get_workflow_handle(workflow_id(soon[0])).terminate("kéo dài thời gian công tác")
    await scan()
    status, run_id = await status_of(ts_env, workflow_id(soon[0]))
    assert (status, run_id) == (WorkflowExecutionStatus.TERMINATED, first[soon[0]][1])


async def test_the_scan_moves_the_dates_of_an_open_notice_when_the_record_changed_otherwise(
        ts_env, ts_worker, db, org, task_queue):
    today = await server_today(ts_env)
    sex, born = born_retiring(add_months(today, 6) + timedelta(days=10), before=scan_horizon(today), movable=True)
    person_id = await retiree(db, org.units["SYT"], sex, born, 21)
    wid = workflow_id(person_id)
    before = retirement_date(sex, born)
    handle = await start(ts_env, task_queue, person_id)
    await planned(handle)
    await travel_to(ts_env, max(opens_on(due("retirement_notice", before, today)), today), 9)
    first = await open_task(db, wid, "retirement_notice")

    # the record changed without an approval (e.g. Sở Nội vụ corrected an import): three months later, maybe
    # beyond the scan's horizon, but the open task keeps the person in the scan
    later = date(born.year, born.month + 3, born.day)
    after = retirement_date(sex, later)
    async with db.session() as session:
        await session.execute(update(Person).where(Person.id == person_id).values(date_of_birth=later))
    await ts_env.client.start_workflow(RetirementScanWorkflow.run, RetirementScanInput(),
                                       id=f"retirement-scan-{uuid.uuid4().hex[:8]}", task_queue=task_queue)

    async def withdrawn():
        return (await task_by_id(db, first.id)).status == "cancelled"
    await until(withdrawn, timeout=20)
    plan = await handle.query("retirement")
    assert plan["retirement_date"] == after.isoformat()
    assert await open_of(db, wid, "retirement_notice") == []
    await travel_to(ts_env, opens_on(due("retirement_notice", after, today)), 9)
    moved = await open_task(db, wid, "retirement_notice")
    assert moved.due_on == due("retirement_notice", after, today) and moved.id != first.id


async def test_the_daily_schedule_exists_and_starts_the_scan(dev_env, dev_worker, db, org, settings, task_queue):
    mine = settings.model_copy(update={"task_queue": task_queue})
    client = dev_env.client
    job = next(j for j in schedules.JOBS if j.schedule_id == SCAN_SCHEDULE_ID)
    today = datetime.now(VN_TZ).date()
    person_id = await retiree(db, org.units["SYT"], *born_retiring(add_months(today, 6),
                                                                   before=scan_horizon(today)), 31)
    try:
        assert await schedules.ensure(client, mine, [job]) == [SCAN_SCHEDULE_ID]
        assert await schedules.ensure(client, mine, [job]) == [SCAN_SCHEDULE_ID]  # a second worker updates it
        handle = client.get_schedule_handle(SCAN_SCHEDULE_ID)
        described = await handle.describe()
        assert described.schedule.action.workflow == "RetirementScan"
        assert described.schedule.action.task_queue == task_queue
        assert job.cron == "0 5 * * *"  # daily, 05:00 in Việt Nam
        [calendar_spec] = described.schedule.spec.calendars  # the server keeps the cron as a calendar
        assert ([r.start for r in calendar_spec.hour], [r.start for r in calendar_spec.minute]) == ([5], [0])
        assert described.schedule.spec.time_zone_name == "Asia/Ho_Chi_Minh"

        await handle.trigger()

        async def started() -> str | None:
            actions = (await handle.describe()).info.recent_actions
            return actions[-1].action.workflow_id if actions else None
        scan_id = await until(started, timeout=30)
        assert await client.get_workflow_handle_for(RetirementScanWorkflow.run, scan_id).result() >= 1
        retirement_handle = client.get_workflow_handle(workflow_id(person_id))
        assert (await retirement_handle.describe()).status == WorkflowExecutionStatus.RUNNING
        await retirement_handle.terminate("end of test")
    finally:
        await client.get_schedule_handle(SCAN_SCHEDULE_ID).delete()


async def test_an_overdue_retirement_opens_its_tasks_late_and_starts_the_leaving_at_once(ts_env, ts_worker, db, org,
                                                                                           task_queue):
    today = await server_today(ts_env)
    sex, born = born_retiring(today - timedelta(days=400))  # overdue: both tasks open at once, late
    person_id = await retiree(db, org.units["SYT"], sex, born, 41)
    wid = workflow_id(person_id)
    await start(ts_env, task_queue, person_id)
    notice = await open_task(db, wid, "retirement_notice")
    assert notice.due_on < today
    done = await complete_as(db, ts_env.client, "hr.syt", notice.id, "done", {"notice_no": "7/TB-SYT"})
    assert done.result.late is True
    decision = await open_task(db, wid, "retirement_decision")
    with pytest.raises(Invalid) as refused:
        await complete_as(db, ts_env.client, "hr.syt", decision.id, "done", {"decision_no": "x" * 65})
    assert refused.value.code == "bad_decision_no"
    await complete_as(db, ts_env.client, "hr.syt", decision.id, "done", {"decision_no": "8/QĐ-SYT"})
    leaving = await until(lambda: transfer_of(db, person_id))  # the date has passed: the leaving starts now
    assert (leaving.effective_on, leaving.decision_no) == (retirement_date(sex, born), "8/QĐ-SYT")
    async with db.session() as session:
        hr_name = (await session.get(User, leaving.created_by_id)).username
    assert hr_name == "hr.syt"


async def test_someone_who_left_otherwise_ends_the_retirement_and_its_open_task(ts_env, ts_worker, db, org,
                                                                                task_queue):
    today = await server_today(ts_env)
    sex, born = born_retiring(today - timedelta(days=100))
    person_id = await retiree(db, org.units["SYT"], sex, born, 61)
    handle = await start(ts_env, task_queue, person_id)
    notice = await open_task(db, workflow_id(person_id), "retirement_notice")
    async with db.session() as session:  # e.g. a resignation's leaving archived the record meanwhile
        await session.execute(update(Person).where(Person.id == person_id).values(status="archived"))
    await handle.signal("recheck", Recheck(None, "status"))

    async def ended():
        return (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    await until(ended)
    closed = await task_by_id(db, notice.id)
    assert closed.status == "cancelled" and "không còn công tác" in closed.comment
    assert await handle.query("stage") == "ended"


async def test_another_open_transfer_holds_the_leaving_back_until_it_ends(ts_env, ts_worker, db, org, task_queue):
    today = await server_today(ts_env)
    sex, born = born_retiring(today - timedelta(days=100))
    person_id = await retiree(db, org.units["SYT"], sex, born, 71)
    wid = workflow_id(person_id)
    async with db.session() as session:  # an internal move registered earlier, not yet done
        other = Transfer(person_id=person_id, kind="internal", from_unit_id=org.units["SYT"],
                         to_unit_id=org.units["SYT-VP"], reason="Sắp xếp", decision_no="3/QĐ-SYT",
                         effective_on=today, profile=PROFILE, profile_version=get_profile(PROFILE).version)
        session.add(other)
        await session.flush()
        other_id = other.id
    handle = await start(ts_env, task_queue, person_id)
    await complete_as(db, ts_env.client, "hr.syt", (await open_task(db, wid, "retirement_notice")).id, "done",
                      {"notice_no": "9/TB-SYT"})
    await complete_as(db, ts_env.client, "hr.syt", (await open_task(db, wid, "retirement_decision")).id, "done",
                      {"decision_no": "10/QĐ-SYT"})

    async def blocked():
        return await handle.query("stage") == "blocked"
    await until(blocked)
    async with db.session() as session:
        assert (await session.execute(select(Transfer).where(Transfer.person_id == person_id))).scalars().all() \
            == [await session.get(Transfer, other_id)]
        await session.execute(update(Transfer).where(Transfer.id == other_id).values(status="done"))
    await ts_env.sleep(timedelta(days=1, hours=1))

    async def retiring():
        async with db.session() as session:
            return (await session.execute(select(Transfer).where(
                Transfer.person_id == person_id, Transfer.reason == "retirement"))).scalars().first()
    leaving = await until(retiring)
    assert (leaving.decision_no, leaving.status) == ("10/QĐ-SYT", "open")

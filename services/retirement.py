"""Retirement is foreseeable: the plan of one person's retirement, the daily scan's candidates, the
leaving it ends with, and the hook that tells a running retirement when an approved revision changes
the date of birth or the sex.

Dates come from rules/retirement.py (the age roadmap) and the profile's `retirement_notice` and
`retirement_decision` rules (the statutes layer, 6 and 3 months before), counted with the working
calendar; the workflow (workflows/retirement.py, `retirement/{person_id}`) keeps the process.
"""
import asyncio
import logging
from datetime import date, datetime, timedelta

from sqlalchemy import and_, event, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.client import Client

from models import Person, Task, TaskCandidate, Transfer, User
from models.transfers import LEAVING_REASONS
from rules.calendar import WorkingCalendar
from rules.clock import VN_TZ
from rules.deadlines import compute_deadline
from rules.profiles import Profile, get_profile
from rules.retirement import PROCESS, SEXES, latest_birth_retiring_by, retirement, retirement_date, scan_horizon
from services import audit, notify
from services.errors import Invalid
from workflows.contracts import LeavingInput, LeavingOpened, Recheck, RetirementPlan, RetirementPlanInput, TransferInput
from workflows.retirement import workflow_id

log = logging.getLogger(__name__)

OPENS_AT = (8, 0)                 # a task opens, and the leaving starts, at the start of the working day
WORKFLOW_PREFIX = "retirement/"  # workflows/retirement.workflow_id
LEAVING_WORKFLOW = "Transfer"     # services/transfers.WORKFLOW_TYPES["leaving"], `transfer/{id}`
MAX_NUMBER = 64                   # transfers.decision_no
RECHECK = "recheck"


def _at(day: date) -> str:
    return datetime(day.year, day.month, day.day, *OPENS_AT, tzinfo=VN_TZ).isoformat()


def _profile(person: Person, inp: RetirementPlanInput, today: date) -> Profile:
    if inp.profile and inp.profile_version:
        return get_profile(inp.profile, inp.profile_version)
    return get_profile(person.profile, on=today)


def _due(profile: Profile, rule: str, retires: date, calendar: WorkingCalendar) -> date | None:
    deadline = compute_deadline(profile, rule, retires, calendar) if profile.has_rule(rule) else None
    return deadline.due if deadline else None


def _opens(due: date | None, retires: date) -> str:
    """A task opens some days before it is due (rules/data/retirement.toml [process]) at the start of the
    working day; a moment already past opens it at once."""
    return _at((due or retires) - timedelta(days=PROCESS.task_opens_before_due_days))


async def plan(inp: RetirementPlanInput, today: date, calendar: WorkingCalendar, *,
               session: AsyncSession) -> RetirementPlan:
    """The person's retirement as the record says now: the date, and when each step is due and opens."""
    person = await session.get(Person, inp.person_id)
    profile = _profile(person, inp, today)
    empty = RetirementPlan(person.id, person.unit_id, person.status, profile.name, profile.version, None, "", "",
                           None, None, None, None, None)
    if person.sex not in SEXES:
        return empty
    r = retirement(person.sex, person.date_of_birth)
    notice, decision = (_due(profile, rule, r.date, calendar) for rule in ("retirement_notice", "retirement_decision"))
    return RetirementPlan(
        person_id=person.id, unit_id=person.unit_id, status=person.status, profile=profile.name,
        profile_version=profile.version, retirement_date=r.date.isoformat(), age=r.age.label, basis=r.basis,
        notice_due=notice.isoformat() if notice else None, decision_due=decision.isoformat() if decision else None,
        notice_opens_at=_opens(notice, r.date), decision_opens_at=_opens(decision, r.date),
        leaving_at=_at(r.date))


def facts(person: Person | None) -> dict:
    """What a retirement task's page shows of the person's retirement."""
    if person is None or person.sex not in SEXES:
        return {}
    r = retirement(person.sex, person.date_of_birth)
    return {"born": person.date_of_birth, "age": r.age.label, "date": r.date, "basis": r.basis,
            "pension_from": r.date + timedelta(days=1)}


def document_number(value, label: str, code: str) -> str:
    """The number of the notice or decision HR issued (it is what the records cite)."""
    number = str(value or "").strip()
    if not number:
        raise Invalid(f"Ghi {label}.", f"missing_{code}")
    if len(number) > MAX_NUMBER:
        raise Invalid(f"{label[0].upper()}{label[1:]} ghi tối đa {MAX_NUMBER} ký tự.", f"bad_{code}")
    return number


# ---- the daily scan ----------------------------------------------------------------------------

async def scan_candidates(after_id: int, limit: int, today: date, *,
                          session: AsyncSession) -> list[tuple[int, date]]:
    """The next active people (by id) who retire by the scan's horizon, or who have an open retirement
    task (their date may have moved beyond it), with their retirement date."""
    horizon = scan_horizon(today)
    by_sex = [and_(Person.sex == sex, Person.date_of_birth <= latest_birth_retiring_by(sex, horizon))
              for sex in SEXES]
    with_task = select(Task.subject_person_id).where(Task.workflow_id.startswith(WORKFLOW_PREFIX),
                                                     Task.status == "open")
    rows = (await session.execute(
        select(Person.id, Person.sex, Person.date_of_birth)
        .where(Person.status == "active", Person.id > after_id, or_(*by_sex, Person.id.in_(with_task)))
        .order_by(Person.id).limit(limit))).all()
    return [(pid, retirement_date(sex, born)) for pid, sex, born in rows if sex in SEXES]


# ---- when the date moves or the process ends ---------------------------------------------------

async def withdraw_tasks(workflow: str, new_date: str | None, now: datetime, *, session: AsyncSession) -> int:
    """Close the workflow's open tasks: the date moved (a new task follows) or the process ended."""
    tasks = list((await session.execute(select(Task).where(
        Task.workflow_id == workflow, Task.status == "open").with_for_update())).scalars())
    for task in tasks:
        why = (f"Thời điểm nghỉ hưu thay đổi thành hết ngày {date.fromisoformat(new_date):%d/%m/%Y} (ngày sinh "
               "hoặc giới tính được điều chỉnh); nhiệm vụ mới thay thế nhiệm vụ này." if new_date else
               "Người này không còn công tác; quy trình nghỉ hưu kết thúc.")
        task.status, task.comment = "cancelled", why
        users = set((await session.execute(select(TaskCandidate.user_id).where(
            TaskCandidate.task_id == task.id))).scalars())
        await notify.notify(user_ids=users, key=f"task{task.id}/withdrawn", kind="task",
                            subject=f"Nhiệm vụ đã thay đổi: {task.title}", body=why, task_id=task.id,
                            session=session)
        await audit.record(actor="system", action="task.withdrawn", subject=f"task:{task.id}",
                           workflow_id=workflow, reason=why, session=session)
    return len(tasks)


# ---- the leaving on the date -------------------------------------------------------------------

def _transfer_input(transfer: Transfer, unit_id: int) -> TransferInput:
    return TransferInput(transfer_id=transfer.id, person_id=transfer.person_id, unit_id=unit_id, kind="leaving",
                         to_unit_id=None, profile=transfer.profile, profile_version=transfer.profile_version,
                         effective_on=transfer.effective_on.isoformat())


def _opened(transfer: Transfer, unit_id: int) -> LeavingOpened:
    return LeavingOpened(_transfer_input(transfer, unit_id), LEAVING_WORKFLOW, transfer.workflow_id)


async def open_leaving(inp: LeavingInput, *, session: AsyncSession) -> LeavingOpened:
    """The leaving for retirement (a row of `transfers`), once: a retried activity finds its row again.
    Another open transfer of the person holds it back (one at a time, `uq_transfers_open_person`)."""
    person = (await session.execute(select(Person).where(Person.id == inp.person_id).with_for_update())).scalars().one()
    if person.status == "archived":  # left otherwise meanwhile: the workflow's next plan ends it
        return LeavingOpened(None, blocked="Hồ sơ đã lưu trữ; không lập việc nghỉ hưu.")
    effective_on = date.fromisoformat(inp.retirement_date)
    current = (await session.execute(select(Transfer).where(
        Transfer.person_id == person.id, Transfer.status == "open"))).scalars().first()
    if current is not None:
        if current.kind == "leaving" and current.reason == "retirement":
            return _opened(current, person.unit_id)
        return LeavingOpened(None, blocked=f"Người này đang có điều chuyển số {current.id} chưa hoàn tất; "
                                           "việc nghỉ hưu bắt đầu khi điều chuyển đó kết thúc.")
    profile = get_profile(person.profile, on=max(effective_on, person.hired_on))
    transfer = Transfer(person_id=person.id, kind="leaving", from_unit_id=person.unit_id, to_unit_id=None,
                        reason="retirement", decision_no=inp.decision_no, effective_on=effective_on,
                        profile=profile.name, profile_version=profile.version, created_by_id=inp.decided_by_id)
    try:
        async with session.begin_nested():
            session.add(transfer)
            await session.flush()
    except IntegrityError:
        return LeavingOpened(None, blocked="Người này vừa có điều chuyển khác; việc nghỉ hưu sẽ thử lại.")
    transfer.workflow_id = f"transfer/{transfer.id}"
    await audit.record(actor="system", action="transfer.leaving.opened", subject=f"person:{person.id}",
                       transfer=transfer.id, reason=LEAVING_REASONS["retirement"], decision_no=inp.decision_no,
                       effective_on=inp.retirement_date, session=session)
    await session.flush()
    return _opened(transfer, person.unit_id)


async def username(user_id: int, *, session: AsyncSession) -> str:
    return (await session.get(User, user_id)).username


# ---- the hook of an approved revision ----------------------------------------------------------

_in_flight: set[asyncio.Task] = set()


async def identity_changed(person: Person, sex_before: str, born_before: date, *, session: AsyncSession) -> None:
    """Called when an approved revision becomes current (services/approvals): if it changed what the
    retirement date depends on, record it and, once the transaction commits, signal the person's running
    retirement workflow to plan again. The signal is best effort (sent only from an activity, whose
    worker's client is at hand); the daily scan re-signals every workflow in its horizon or with an open
    task, so a lost signal delays the move by a day at most."""
    if (person.sex, person.date_of_birth) == (sex_before, born_before):
        return
    await audit.record(actor="system", action="retirement.inputs_changed", subject=f"person:{person.id}",
                       sex=[sex_before, person.sex], date_of_birth=[born_before.isoformat(),
                                                                   person.date_of_birth.isoformat()],
                       session=session)
    try:
        client = activity.client()
    except RuntimeError:  # not in an activity (a script): the daily scan catches up
        return
    pending: set[int] = session.info.setdefault("retirement_rechecks", set())
    if not pending:
        event.listen(session.sync_session, "after_commit", lambda _: _signal_later(client, set(pending)), once=True)
    pending.add(person.id)


def _signal_later(client: Client, person_ids: set[int]) -> None:
    task = asyncio.get_running_loop().create_task(_signal(client, person_ids))
    _in_flight.add(task)
    task.add_done_callback(_in_flight.discard)


async def _signal(client: Client, person_ids: set[int]) -> None:
    for person_id in sorted(person_ids):
        try:
            await client.get_workflow_handle(workflow_id(person_id)).signal(
                RECHECK, Recheck(None, "birth_data_approved"))
        except Exception as err:  # noqa: BLE001 - none running (not yet in the horizon), or unreachable
            log.info("retirement recheck of person %s not sent: %s", person_id, err)

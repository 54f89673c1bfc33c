"""Record the workflow histories that tests/workflows/test_replay.py replays.

Re-record after a deliberate change to workflows/ (and only then):

    .venv/bin/python -m tests.workflows.record_histories

Each scenario runs on its own time-skipping test server, with the real worker, the real activities
and a fresh PostgreSQL database (embedded, or the server behind DATABASE_URL), so ids and the shape
of every history are the same on each run; only dates move with the real clock. A history is taken
once its workflow is quiet (no workflow task or activity in flight), whether it is closed or still
waiting. Only when every scenario has run are the files replaced: tests/workflows/histories/
<WorkflowType>-<case>.json (old ones removed), and tests/workflows/history_ids.json, which maps each file
to its workflow id.
"""
import asyncio
import json
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, select
from temporalio.api.enums.v1 import EventType, WorkflowExecutionStatus
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from bootstrap.demo import DemoOrg, seed_org
from bootstrap.worker import build_worker
from core.config import ROOT, Settings
from core.db import Database
from core.devstack import drop_database, embedded_postgres_uri, ensure_database
from core.migrate import upgrade
from models import Approval, ApprovalItem, ProfileRevision, Task
from rules.clock import VN_TZ
from services import auth
from tests.helpers import CV_VALID, complete_as, hire, onboard_to_ready, open_task, save_cv, until
from tests.national_receiver.support import InProcessReceiver
from tests.workflows.test_profile_update import LOGIN, attach_scan, imported_person, start_update
from tests.workflows.audit_histories import AUDIT_SCENARIOS
from tests.workflows.retirement_histories import RETIREMENT_SCENARIOS
from tests.workflows.transfer_histories import TRANSFER_SCENARIOS
from tests.workflows.merger_histories import MERGER_SCENARIOS
from tests.workflows.report_histories import REPORT_SCENARIOS
from tests.workflows.backup_histories import BACKUP_SCENARIOS

HISTORIES = Path(__file__).parent / "histories"
WORKFLOW_IDS = Path(__file__).parent / "history_ids.json"  # file name → workflow id (not in the history)
TASK_QUEUE = "replay-recorder"
IDENTITY = "replay-recorder"  # instead of pid@host in every workflow task event
PASSWORD = "mat-khau-thu"
ACTIVE_EVENTS = {EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED}
ACTIVITY_ENDS = ("activity_task_completed_event_attributes", "activity_task_failed_event_attributes",
                 "activity_task_timed_out_event_attributes", "activity_task_canceled_event_attributes")


@dataclass
class Stack:
    env: WorkflowEnvironment
    db: Database
    org: DemoOrg
    recorded: dict[str, WorkflowHistory]  # file name → history, written once every scenario has run

    @property
    def client(self) -> Client:
        return self.env.client


# --- the stack: one database and one time-skipping server per scenario ---------------------------

def test_server_path() -> str:
    venv_bin = Path(sys.executable).parent / "temporal-test-server"
    found = shutil.which("temporal-test-server") or (str(venv_bin) if venv_bin.exists() else None)
    if not found:
        raise SystemExit("temporal-test-server not found: pip install -e '.[test]'")
    return found


def settings_for(url: str, national_url: str, signing_dir: Path) -> Settings:
    return Settings(database_url=url, smtp_host=None, profile="quang-ngai", secret_key="replay-secret",
                    demo_password=PASSWORD, national_db_url=national_url, signing_dir=signing_dir)


@asynccontextmanager
async def fresh_database(admin_uri: str) -> AsyncIterator[Database]:
    name = f"hoso_replay_{uuid.uuid4().hex[:10]}"
    url = ensure_database(admin_uri, name)
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    try:
        yield db
    finally:
        await db.dispose()
        drop_database(admin_uri, name)


@asynccontextmanager
async def stack(admin_uri: str, national_url: str, signing_dir: Path, recorded: dict) -> AsyncIterator[Stack]:
    async with fresh_database(admin_uri) as db:
        async with db.session() as session:
            org = await seed_org(session, PASSWORD)
        env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=test_server_path(),
                                                            identity=IDENTITY)
        try:
            settings = settings_for(db.url, national_url, signing_dir)
            async with build_worker(env.client, db, settings, task_queue=TASK_QUEUE):
                yield Stack(env, db, org, recorded)
        finally:
            await env.shutdown()


# --- the server's clock ---------------------------------------------------------------------------

async def travel_to(env: WorkflowEnvironment, day: date, hour: int = 9) -> None:
    target = datetime.combine(day, time(hour), tzinfo=VN_TZ)
    now = await env.get_current_time()
    if target > now:
        await env.sleep(target - now)


async def next_month(env: WorkflowEnvironment, day: int) -> date:
    """Travel to `day` of next month, 09:00: far from every cutoff, so each run takes the same path."""
    today = (await env.get_current_time()).astimezone(VN_TZ).date()
    target = date(today.year + today.month // 12, today.month % 12 + 1, day)
    await travel_to(env, target)
    return target


def last_day(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


# --- histories --------------------------------------------------------------------------------------

def quiet(history: WorkflowHistory) -> bool:
    """No workflow task and no activity in flight: the workflow waits (or is closed)."""
    running: set[int] = set()
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            running.add(event.event_id)
        for name in ACTIVITY_ENDS:
            if event.HasField(name):
                running.discard(getattr(event, name).scheduled_event_id)
    return bool(history.events) and not running and history.events[-1].event_type not in ACTIVE_EVENTS


async def quiet_history(client: Client, workflow_id: str, timeout: float = 30.0) -> WorkflowHistory:
    """The history once it is quiet and stays so for a moment (polled in real time)."""
    previous = None
    for _ in range(int(timeout / 0.25)):
        try:
            history = await client.get_workflow_handle(workflow_id).fetch_history()
        except Exception:  # noqa: BLE001 - not started yet (signal-with-start from an activity)
            history = None
        if history is not None and quiet(history) and previous is not None \
                and len(previous.events) == len(history.events):
            return history
        previous = history
        await asyncio.sleep(0.25)
    raise TimeoutError(f"{workflow_id} did not settle")


async def closed(client: Client, workflow_id: str) -> bool:
    status = (await client.get_workflow_handle(workflow_id).describe()).status
    return status is not None and status != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING


async def record(s: Stack, workflow_id: str, case: str, *, done: bool = False) -> None:
    """Write the workflow's quiet history to histories/<WorkflowType>-<case>.json."""
    if done:
        await until(lambda: closed(s.client, workflow_id), timeout=30)
    history = await quiet_history(s.client, workflow_id)
    kind = history.events[0].workflow_execution_started_event_attributes.workflow_type.name
    name = f"{kind}-{case}.json"
    s.recorded[name] = history
    print(f"{name}: {workflow_id}, {len(history.events)} events")


# --- steps of the scenarios -------------------------------------------------------------------------

async def activate(db: Database, username: str, code: str) -> None:
    async with db.session() as session:
        await auth.activate(username, code, "mat-khau-moi-123", session=session)


async def latest_revision(db: Database, person_id: int) -> int:
    async with db.session() as session:
        return (await session.execute(select(ProfileRevision.id).where(ProfileRevision.person_id == person_id)
                                      .order_by(ProfileRevision.number.desc()))).scalars().first()


async def items_in(db: Database, approval_wid: str, count: int) -> bool:
    """At least `count` revisions in the approval run by the workflow approval_wid."""
    async with db.session() as session:
        query = select(func.count()).select_from(ApprovalItem).join(
            Approval, Approval.id == ApprovalItem.approval_id).where(Approval.workflow_id == approval_wid)
        return (await session.execute(query)).scalar_one() >= count


async def reminded(db: Database, task_id: int) -> bool:
    async with db.session() as session:
        return (await session.get(Task, task_id)).reminded_at is not None


async def fire_next_timer(s: Stack, workflow_id: str) -> None:
    """Move the server's clock just past the workflow's newest timer."""
    history = await quiet_history(s.client, workflow_id)
    started = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED][-1]
    fires = started.event_time.ToDatetime(tzinfo=VN_TZ) + started.timer_started_event_attributes \
        .start_to_fire_timeout.ToTimedelta()
    await s.env.sleep(fires + timedelta(minutes=1) - await s.env.get_current_time())


async def hire_with_hr_return(s: Stack, unit: int, hired_on: date) -> tuple[int, str]:
    """A hire whose CV HR returns once, then accepts; return (person_id, workflow id)."""
    person = await hire(s.db, s.client, TASK_QUEUE, "hr.syt", unit, hired_on)
    wid = f"onboarding/{person.id}"
    account = await open_task(s.db, wid, "create_account")
    done = await complete_as(s.db, s.client, "hr.syt", account.id, "done", {"username": "an.nguyenvan"})
    await activate(s.db, "an.nguyenvan", done.activation_code)
    await save_cv(s.db, "an.nguyenvan", person.id, CV_VALID)
    await complete_as(s.db, s.client, "an.nguyenvan", (await open_task(s.db, wid, "self_entry")).id, "submit")
    await complete_as(s.db, s.client, "hr.syt", (await open_task(s.db, wid, "review_entry")).id, "return",
                      {"comment": "Bổ sung quê quán chi tiết."})
    await save_cv(s.db, "an.nguyenvan", person.id, {"hometown": "Thôn 2, xã Tịnh Khê, tỉnh Quảng Ngãi"})
    await complete_as(s.db, s.client, "an.nguyenvan", (await open_task(s.db, wid, "self_entry")).id, "submit")
    await complete_as(s.db, s.client, "hr.syt", (await open_task(s.db, wid, "review_entry")).id, "accept")
    return person.id, wid


# --- scenarios ----------------------------------------------------------------------------------------

async def month_of_hires(s: Stack) -> None:
    """Two hires in one unit: HR returns An's CV once; the head approves An and returns Bình; the Director
    signs the province's month."""
    first = await next_month(s.env, 2)
    unit, month = s.org.units["SYT"], f"{first:%Y-%m}"
    approval_wid, province_wid = f"approval/{unit}/{month}", f"province-approval/{month}"
    an, an_wid = await hire_with_hr_return(s, unit, first)
    sign = await open_task(s.db, approval_wid, "sign_approval")
    binh, binh_wid = await onboard_to_ready(s.db, s.client, TASK_QUEUE, unit_id=unit, hr="hr.syt",
                                            citizen_id="051195004321", name="Trần Thị Bình",
                                            login="binh.tranthi", hired_on=first, sex="nu")
    await until(lambda: items_in(s.db, approval_wid, 2))
    await quiet_history(s.client, approval_wid)
    an_rev, binh_rev = await latest_revision(s.db, an), await latest_revision(s.db, binh)
    await complete_as(s.db, s.client, "head.syt", sign.id, "sign", {
        "decisions": {str(an_rev): "approve", str(binh_rev): "return"},
        "reasons": {str(binh_rev): "Thiếu quá trình công tác trước năm 2020."}})
    await open_task(s.db, binh_wid, "self_entry")
    await record(s, binh_wid, "head-return-open")
    await record(s, an_wid, "hr-return-approved", done=True)
    await record(s, approval_wid, "approve-and-return", done=True)
    await record(s, province_wid, "waiting-for-window-open")
    await travel_to(s.env, last_day(first) - timedelta(days=4), 1)
    director = await open_task(s.db, province_wid, "sign_province")
    await complete_as(s.db, s.client, "giamdoc.snv", director.id, "sign")
    await record(s, province_wid, "director-signed", done=True)


async def personal_update(s: Stack) -> None:
    """A person's change of residence with its scan, accepted by HR and approved by the head."""
    today = await next_month(s.env, 3)
    unit = s.org.units["SYT"]
    person_id = await imported_person(s.db, unit)
    started = await start_update(s.db, s.env, TASK_QUEUE, LOGIN, person_id, kind="update_personal",
                                 change_date=today - timedelta(days=2),
                                 data={"residence": "Số 5 Hùng Vương, tỉnh Quảng Ngãi"})
    wid, approval_wid = started.workflow_id, f"approval/{unit}/{today:%Y-%m}"
    entry = await open_task(s.db, wid, "update_entry")
    await attach_scan(s.db, LOGIN, started.id)
    await complete_as(s.db, s.client, LOGIN, entry.id, "submit")
    await complete_as(s.db, s.client, "hr.syt", (await open_task(s.db, wid, "review_update")).id, "accept")
    sign = await open_task(s.db, approval_wid, "sign_approval")
    await record(s, approval_wid, "signing-open")
    await complete_as(s.db, s.client, "head.syt", sign.id, "sign", {"decisions": {str(started.id): "approve"}})
    await record(s, wid, "personal-reviewed-approved", done=True)


async def reminded_self_entry(s: Stack) -> None:
    """A hire whose account is made; the person has not entered the CV and has been reminded."""
    first = await next_month(s.env, 2)
    person = await hire(s.db, s.client, TASK_QUEUE, "hr.syt", s.org.units["SYT"], first)
    wid = f"onboarding/{person.id}"
    account = await open_task(s.db, wid, "create_account")
    done = await complete_as(s.db, s.client, "hr.syt", account.id, "done", {"username": "an.nguyenvan"})
    await activate(s.db, "an.nguyenvan", done.activation_code)
    entry = await open_task(s.db, wid, "self_entry")
    await fire_next_timer(s, wid)
    await until(lambda: reminded(s.db, entry.id))
    await record(s, wid, "self-entry-reminded-open")


async def arrival_pulled(s: Stack, national_url: str) -> None:
    """An arrival from another province: the first pull finds no record (refused, the task stays open); the old
    province syncs it; the second pull stores it; the person submits it, HR accepts, the head approves."""
    from tests.arrivals import WOMAN, other_province_record, publish, request_arrival
    from services.errors import Conflict
    first = await next_month(s.env, 2)
    unit = s.org.units["SYT"]
    transfer = await request_arrival(s.db, s.client, TASK_QUEUE, hr="hr.syt", unit_id=unit, profile="quang-ngai",
                                     citizen_id=WOMAN, effective_on=first, today=first, paper_file_on=first)
    wid = transfer.workflow_id
    account = await open_task(s.db, wid, "create_account")
    done = await complete_as(s.db, s.client, "hr.syt", account.id, "done", {"username": "hoa.tranthi"})
    await activate(s.db, "hoa.tranthi", done.activation_code)
    pull = await open_task(s.db, wid, "pull_national")
    try:
        await complete_as(s.db, s.client, "sonoivu", pull.id, "done")
        raise AssertionError("the first pull should find no record")
    except Conflict:
        pass
    await publish(national_url, other_province_record(WOMAN))
    await complete_as(s.db, s.client, "sonoivu", pull.id, "done")
    await complete_as(s.db, s.client, "hoa.tranthi", (await open_task(s.db, wid, "self_entry")).id, "submit")
    await complete_as(s.db, s.client, "hr.syt", (await open_task(s.db, wid, "review_entry")).id, "accept")
    sign = await open_task(s.db, f"approval/{unit}/{first:%Y-%m}", "sign_approval")
    revision = await latest_revision(s.db, transfer.person_id)
    await complete_as(s.db, s.client, "head.syt", sign.id, "sign", {"decisions": {str(revision): "approve"}})
    await record(s, wid, "not-found-then-pulled-approved", done=True)


SCENARIOS = [month_of_hires, personal_update, reminded_self_entry, arrival_pulled]
NEEDS_NATIONAL_URL = {arrival_pulled}  # scenarios that also post to the national stand-in themselves
SCENARIOS += TRANSFER_SCENARIOS  # workflows/transfer.py, in tests/workflows/transfer_histories.py
SCENARIOS += MERGER_SCENARIOS  # workflows/merger.py, in tests/workflows/merger_histories.py
SCENARIOS += AUDIT_SCENARIOS  # workflows/audit_check.py, in tests/workflows/audit_histories.py
SCENARIOS += RETIREMENT_SCENARIOS  # workflows/retirement.py, in tests/workflows/retirement_histories.py
SCENARIOS += REPORT_SCENARIOS  # workflows/reports.py, in tests/workflows/report_histories.py
SCENARIOS += BACKUP_SCENARIOS  # workflows/backup.py, in tests/workflows/backup_histories.py


def write(recorded: dict[str, WorkflowHistory]) -> None:
    """Replace the recorded histories and their workflow ids (old files are removed)."""
    HISTORIES.mkdir(exist_ok=True)
    for old in HISTORIES.glob("*.json"):
        old.unlink()
    for name, history in sorted(recorded.items()):
        (HISTORIES / name).write_text(history.to_json() + "\n", encoding="utf-8")
    ids = {name: history.workflow_id for name, history in sorted(recorded.items())}
    WORKFLOW_IDS.write_text(json.dumps(ids, indent=2) + "\n", encoding="utf-8")


async def main() -> None:
    admin_uri = os.environ.get("DATABASE_URL") or embedded_postgres_uri(ROOT / ".var" / "test")
    recorded: dict[str, WorkflowHistory] = {}
    national = InProcessReceiver()
    await national.start()
    try:
        with tempfile.TemporaryDirectory(prefix="hoso-replay-signing-") as signing_dir:
            for scenario in SCENARIOS:
                print(f"-- {scenario.__name__}")
                async with stack(admin_uri, national.url, Path(signing_dir), recorded) as s:
                    await (scenario(s, national.url) if scenario in NEEDS_NATIONAL_URL else scenario(s))
    finally:
        await national.stop()
    write(recorded)


async def record_only(scenarios, prefixes: tuple[str, ...]) -> None:
    """Record only these scenarios and replace only the histories whose names start with `prefixes` (a feature's
    own, e.g. `python -m tests.workflows.transfer_histories`), leaving the others and their ids as they are."""
    admin_uri = os.environ.get("DATABASE_URL") or embedded_postgres_uri(ROOT / ".var" / "test")
    recorded: dict = {}
    national = InProcessReceiver()
    await national.start()
    try:
        with tempfile.TemporaryDirectory(prefix="hoso-replay-signing-") as signing_dir:
            for scenario in scenarios:
                print(f"-- {scenario.__name__}")
                async with stack(admin_uri, national.url, Path(signing_dir), recorded) as s:
                    await scenario(s)
    finally:
        await national.stop()
    for old in HISTORIES.glob("*.json"):
        if old.name.startswith(prefixes):
            old.unlink()
    ids = {name: wid for name, wid in json.loads(WORKFLOW_IDS.read_text(encoding="utf-8")).items()
           if not name.startswith(prefixes)}
    for name, history in sorted(recorded.items()):
        (HISTORIES / name).write_text(history.to_json() + "\n", encoding="utf-8")
        ids[name] = history.workflow_id
    WORKFLOW_IDS.write_text(json.dumps(dict(sorted(ids.items())), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())

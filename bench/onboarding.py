"""Onboardings per second through the real services and workflows, next to a bare Temporal baseline.

    python -m bench.onboarding [--n 20] [--concurrency 5] [--warmup 1] [--rounds 2]

One Temporal dev server and one throwaway PostgreSQL database for the whole run:
  real  N hires driven as the UI/API drive them (hire → create account → activate → save CV →
        submit → accept → workflow result), against the real worker (bootstrap.worker.build_worker);
  bare  N BareOnboarding workflows (bench/bare.py): same activities and Updates, no database.
Both poll for the open step at the same interval (the real one reads the tasks table, the bare one
queries the workflow), keep `concurrency` onboardings in flight and report a rate and latencies. The
onboardings run in rounds, real then bare, with both workers up throughout (run_paired).
Nothing is asserted: the numbers are printed for a person to read.
"""
import argparse
import asyncio
import math
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from time import perf_counter

from sqlalchemy import bindparam, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.bare import ACTIVITIES, ACTOR_ID, BareOnboarding
from bootstrap.demo import STAFF, login_of, seed_org
from bootstrap.demo_people import DemoHire, citizen_id, demo_cv
from bootstrap.worker import build_worker
from core.config import ROOT, Settings
from core.db import Database
from core.devstack import drop_database, embedded_postgres_uri, ensure_database
from core.migrate import upgrade
from models import Task, User
from services import auth, onboarding, people, task_actions
from services.errors import Conflict
from services.scope import load_viewer
from rules.clock import local_date
from workflows.contracts import CompleteTaskInput, OnboardingInput
from workflows.onboarding import workflow_id

PASSWORD = "mat-khau-bench"  # long enough for auth.activate's minimum
POLL = 0.05                  # seconds between two looks for the open step, in both runs
STEP_TIMEOUT = 60.0          # seconds to wait for one step before giving up
UNITS = list(STAFF)          # hires are spread over the demo units, each with its own HR
# The driver's own statements, built once as the app's frequent ones are: building a select costs about as much
# Python time as running it, and that would count against the real side.
OPEN_STEP = select(Task.id).where(Task.workflow_id == bindparam("workflow_id"), Task.kind == bindparam("kind"),
                                  Task.status == "open")
USER_ID = select(User.id).where(User.username == bindparam("username"))


@dataclass
class Result:
    latencies: list[float]   # seconds per onboarding, first call to workflow result
    wall: float              # seconds from the first start to the last result
    retries: int = 0         # Updates refused because the workflow had not yet seen the open task
    history_events: int = 0  # events in one workflow's history: a check that both shapes match

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall

    @property
    def mean(self) -> float:
        return sum(self.latencies) / len(self.latencies)

    @property
    def p95(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[math.ceil(0.95 * len(ordered)) - 1]  # nearest rank


async def measure(n: int, concurrency: int, one, first: int = 0) -> tuple[list[float], float]:
    """Run one(i) for first <= i < first + n with at most `concurrency` in flight; return latencies and wall
    time."""
    gate = asyncio.Semaphore(concurrency)

    async def timed(i: int) -> float:
        async with gate:
            start = perf_counter()
            await one(i)
            return perf_counter() - start

    start = perf_counter()
    latencies = await asyncio.gather(*(timed(i) for i in range(first, first + n)))
    return list(latencies), perf_counter() - start


# ---- real: services, database, real workflow -------------------------------------------------------

@dataclass
class RealDriver:
    client: Client
    db: Database
    settings: Settings
    task_queue: str
    units: dict[str, int]
    retries: int = 0
    last_workflow: str = ""

    def hire_for(self, serial: int) -> DemoHire:
        unit = UNITS[serial % len(UNITS)]
        return DemoHire(f"Nguyễn Văn Thử {serial}", "nam", date(1995, 3, 15), unit, 0, "active",
                        f"bench.{serial:06d}")

    async def onboard(self, serial: int) -> None:
        """One whole onboarding, each step through the service the UI/API calls."""
        hire = self.hire_for(serial)
        hr = login_of(hire.unit, "unit_hr")
        cid = citizen_id(hire, serial)
        person_id = await self._hire(hr, hire, cid)
        wid = self.last_workflow = workflow_id(person_id)

        account = await self._open_task(wid, "create_account")
        done = await self._complete(hr, account, "done", {"username": hire.login})
        async with self.db.session() as session:
            await auth.activate(hire.login, done.activation_code, PASSWORD, session=session)

        async with self.db.session() as session:
            me = await load_viewer(await _user_id(session, hire.login), session=session)
            await people.save_draft(me, person_id, demo_cv(hire, cid), session=session)
        await self._complete(hire.login, await self._open_task(wid, "self_entry"), "submit")
        await self._complete(hr, await self._open_task(wid, "review_entry"), "accept")
        await self._queued_for_approval(wid)

    async def _queued_for_approval(self, wid: str) -> None:
        """The onboarding's own work ends when its revision joins the month's approval; the
        signature is a monthly batch, not part of one onboarding's latency."""
        handle = self.client.get_workflow_handle(wid)
        deadline = perf_counter() + STEP_TIMEOUT
        while await handle.query("stage") != "approval":
            if perf_counter() > deadline:
                raise TimeoutError(f"{wid} never reached the approval")
            await asyncio.sleep(POLL)

    async def _hire(self, hr: str, hire: DemoHire, cid: str) -> int:
        today = local_date(datetime.now(UTC))
        async with self.db.session() as session:
            viewer = await load_viewer(await _user_id(session, hr), session=session)
            person = await onboarding.hire(self.client, self.task_queue, session, viewer, people.HireInput(
                full_name=hire.name, sex=hire.sex, date_of_birth=hire.born, citizen_id=cid,
                unit_id=self.units[hire.unit], hired_on=today, kind="cong_chuc"),
                profile_name=self.settings.profile, today=today)
            return person.id

    async def _open_task(self, wid: str, kind: str) -> int:
        """Poll the tasks table, as a task list would, until the step's task is open."""
        deadline = perf_counter() + STEP_TIMEOUT
        while perf_counter() < deadline:
            async with self.db.session() as session:
                task_id = (await session.execute(OPEN_STEP, {"workflow_id": wid, "kind": kind})).scalar()
            if task_id is not None:
                return task_id
            await asyncio.sleep(POLL)
        raise TimeoutError(f"no open {kind} task in {wid}")

    async def _complete(self, username: str, task_id: int, outcome: str, data: dict | None = None):
        """task_actions.complete; retried when the row is committed but the workflow has not yet
        processed the "open" activity's result (its validator then says the task is not open)."""
        for _ in range(int(STEP_TIMEOUT / POLL)):
            try:
                async with self.db.session() as session:
                    viewer = await load_viewer(await _user_id(session, username), session=session)
                    return await task_actions.complete(self.client, session, viewer, task_id, outcome, data)
            except Conflict as err:
                if err.code != "task_not_open":
                    raise
                self.retries += 1
                await asyncio.sleep(POLL)
        raise TimeoutError(f"task {task_id} never accepted {outcome}")


async def _user_id(session, username: str) -> int:
    return (await session.execute(USER_ID, {"username": username})).scalar_one()


@asynccontextmanager
async def real_side(client: Client, url: str, n: int, warmup: int) -> AsyncIterator[RealDriver]:
    """The demo org seeded and a real worker running; `warmup` onboardings done (serials n and up, untimed:
    imports, sandbox, connection pool)."""
    settings = Settings(database_url=url, smtp_host=None, profile="quang-ngai", secret_key="bench",
                        demo_password=PASSWORD)
    db = Database(url)
    try:
        async with db.session() as session:
            org = await seed_org(session, PASSWORD)
        driver = RealDriver(client, db, settings, f"bench-real-{uuid.uuid4().hex[:8]}", org.units)
        async with build_worker(client, db, settings, task_queue=driver.task_queue):
            for serial in range(n, n + warmup):
                await driver.onboard(serial)
            driver.retries = 0
            yield driver
    finally:
        await db.dispose()


# ---- bare: the same shape on Temporal alone ---------------------------------------------------------

@dataclass
class BareDriver:
    client: Client
    task_queue: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    last_workflow: str = ""

    async def onboard(self, serial: int) -> None:
        wid = self.last_workflow = f"bare/{self.run_id}/{serial}"
        handle = await self.client.start_workflow(
            BareOnboarding.run, OnboardingInput(person_id=serial, unit_id=1, profile="quang-ngai",
                                                profile_version="bench", hired_on=date.today().isoformat()),
            id=wid, task_queue=self.task_queue)
        steps = (("create_account", "done", {"username": f"bench.{serial:06d}"}),
                 ("self_entry", "submit", {"revision_id": serial}),
                 ("review_entry", "accept", {"comment": ""}))
        for kind, outcome, data in steps:
            task_id = await self._open_task(handle, kind)
            await handle.execute_update(BareOnboarding.complete_task,
                                        CompleteTaskInput(task_id, outcome, ACTOR_ID, data))
        await handle.result()

    @staticmethod
    async def _open_task(handle, kind: str) -> int:
        """Poll the workflow's query until the step of this kind is open."""
        deadline = perf_counter() + STEP_TIMEOUT
        while perf_counter() < deadline:
            opened = await handle.query(BareOnboarding.open_step)
            if opened and opened[1] == kind:
                return opened[0]
            await asyncio.sleep(POLL)
        raise TimeoutError(f"no open {kind} step in {handle.id}")


@asynccontextmanager
async def bare_side(client: Client, n: int, warmup: int) -> AsyncIterator[BareDriver]:
    driver = BareDriver(client, f"bench-bare-{uuid.uuid4().hex[:8]}")
    async with Worker(client, task_queue=driver.task_queue, workflows=[BareOnboarding], activities=ACTIVITIES):
        for serial in range(n, n + warmup):
            await driver.onboard(serial)
        yield driver


async def run_paired(client: Client, url: str, n: int, concurrency: int, warmup: int,
                     rounds: int = 1) -> tuple[Result, Result]:
    """N real and N bare onboardings in `rounds` rounds, each a share of the real ones then the same share of
    the bare ones, both workers running throughout: a machine whose speed drifts during the run (a neighbour,
    a slower minute) weighs on both sides alike. Each side's rate is its N over the sum of its rounds' walls."""
    async with real_side(client, url, n, warmup) as real, bare_side(client, n, warmup) as bare:
        measured: dict[str, tuple[list[float], float]] = {"real": ([], 0.0), "bare": ([], 0.0)}
        first = 0
        for k in range(rounds):
            share = n // rounds + (1 if k < n % rounds else 0)
            for side, driver in (("real", real), ("bare", bare)):
                latencies, wall = await measure(share, concurrency, driver.onboard, first)
                measured[side] = (measured[side][0] + latencies, measured[side][1] + wall)
            first += share
        return (Result(*measured["real"], real.retries, await history_events(client, real.last_workflow)),
                Result(*measured["bare"], 0, await history_events(client, bare.last_workflow)))


async def history_events(client: Client, wid: str) -> int:
    history = await client.get_workflow_handle(wid).fetch_history()
    return len(history.events)


# ---- the run -------------------------------------------------------------------------------------

def report(n: int, concurrency: int, real: Result, bare: Result) -> str:
    rows = [
        ("onboardings (N)", f"{n}", f"{n}"),
        ("concurrency", f"{concurrency}", f"{concurrency}"),
        ("rate (/s)", f"{real.rate:.2f}", f"{bare.rate:.2f}"),
        ("wall (s)", f"{real.wall:.2f}", f"{bare.wall:.2f}"),
        ("latency mean (s)", f"{real.mean:.3f}", f"{bare.mean:.3f}"),
        ("latency p95 (s)", f"{real.p95:.3f}", f"{bare.p95:.3f}"),
        ("history events", f"{real.history_events}", f"{bare.history_events}"),
        ("update retries", f"{real.retries}", f"{bare.retries}"),
    ]
    lines = [f"{'':18} {'real':>10} {'bare':>10}"]
    lines += [f"{label:18} {a:>10} {b:>10}" for label, a, b in rows]
    lines.append(f"ratio real/bare (rate): {real.rate / bare.rate:.2f}")
    return "\n".join(lines)


async def bench(url: str, n: int, concurrency: int, warmup: int, rounds: int) -> str:
    temporal = str(Path(sys.executable).with_name("temporal"))
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=temporal,
                                                dev_server_extra_args=["--log-level", "error"])
    try:
        real, bare = await run_paired(env.client, url, n, concurrency, warmup, rounds)
    finally:
        await env.shutdown()
    return report(n, concurrency, real, bare)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.onboarding", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="onboardings per run (default 20)")
    parser.add_argument("--concurrency", type=int, default=5, help="onboardings in flight (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed onboardings first (default 1)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of real then bare onboardings, N shared among them (default 2)")
    args = parser.parse_args(argv)

    # DATABASE_URL when set, else the embedded PostgreSQL; a throwaway database either way.
    admin_uri = os.environ.get("DATABASE_URL") or embedded_postgres_uri(ROOT / ".var" / "bench")
    name = f"hoso_bench_{uuid.uuid4().hex[:10]}"
    url = ensure_database(admin_uri, name)
    try:
        upgrade(url)
        print(f"bench: N={args.n} concurrency={args.concurrency} warmup={args.warmup} rounds={args.rounds} ...",
              flush=True)
        print(asyncio.run(bench(url, args.n, args.concurrency, args.warmup, args.rounds)))
    finally:
        drop_database(admin_uri, name)


if __name__ == "__main__":
    main()

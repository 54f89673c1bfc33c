"""A province at full size, measured against raw PostgreSQL, raw pyhanko and bare Temporal, in one run.

    python -m bench.province [--people 60000] [--units 1500] [--tasks 1000000] [--escalations 10000]
    python -m bench.province --quick        # 20,000 people, 300,000 tasks, 2,000 escalations

One throwaway PostgreSQL database and one Temporal dev server with its SQLite file for the whole run:
  build       units and their HR and heads (bench/province_data.py), the people through
              services/importer.import_rows (the import rate), the tasks in bulk with their candidates;
  inbox       GET /api/tasks (mine / unit, open / overdue) through the real app, logged in as HR officials
              of the biggest units, against one hand-written SQL query returning the same rows;
  search      GET /api/search (with and without diacritics, part of a name, citizen ID) as Sở Nội vụ,
              against the same matching written by hand in SQL;
  signing     a 500-revision monthly batch: build, then sign and apply in one transaction (the services the
              tasks.sign activity calls), against pyhanko signing the same PDF with the same key;
  onboarding  bench/onboarding.py's real and bare runs, on this province's database and server, in rounds of 10
              real then 10 bare (run_paired);
  escalation  N human tasks (bench/escalation.py) due within the same minute; lateness = the escalation's
              audit event − the due time.
The dev server runs as `hoso run` starts it (core/devstack.py): its SQLite file in WAL mode with synchronous=normal
(in its default rollback-journal mode the server wrote about 40 MB a second while it opened 5-7 tasks a second; pass
--sqlite-pragma journal_mode=delete to measure it), one partition per task queue and eager activities. The escalation
worker has production's sizes (bootstrap/worker.worker_options, HOSO_WORKER_*).
--profile PREFIX runs each phase under pyinstrument (the test extras) and writes PREFIX-<phase>.txt.
Nothing is asserted. It prints a table, and last one JSON line with the headline figures.
"""
import argparse
import asyncio
import json
import logging
import math
import os
import random
import statistics
import sys
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from time import perf_counter

import httpx
import psycopg
from sqlalchemy import select, text
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench import province_data
from bench.escalation import EscalationProbe, probe_schedule
from bench.onboarding import run_paired
from core.config import ROOT, Settings
from core.db import Database
from core.devstack import (
    DEV_SERVER_SQLITE_PRAGMAS, dev_server_tuning_args, drop_database, embedded_postgres_uri, ensure_database,
)
from core.migrate import upgrade

PASSWORD = "mat-khau-bench"
PROFILE = "quang-ngai"
HR_OFFICIALS = 4          # the inbox is read by the HR officials of this many of the biggest units
BATCH = 500               # revisions in the monthly batch
ONBOARDINGS_PER_ROUND = 10  # real then bare, round after round (bench/onboarding.run_paired)
ROUNDS = 5                # monthly batches signed, one month after another: the median round is reported
ESCALATION_WINDOW = 60.0  # seconds over which the deadlines are spread
PHASES = ("inbox", "search", "signing", "onboarding", "escalation")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]  # nearest rank


@dataclass
class Timing:
    app: list[float]
    raw: list[float]
    rows: int
    same: bool

    def p(self, which: str, q: float) -> float:
        return pct(getattr(self, which), q) * 1000


# ---- building the province ---------------------------------------------------------------------------

async def build(db: Database, people: int, units: int, tasks: int) -> tuple[province_data.Province, dict]:
    from services.importer import import_rows  # issue 9, item 1

    figures: dict = {}
    async with db.session() as session:
        province = await province_data.build_org(session, units, PASSWORD)
    figures["units"] = len(province.units)
    last = [0.0]

    def progress(p) -> None:
        if p.seconds - last[0] >= 15:
            last[0] = p.seconds
            print(f"  import: {p.done} rows, {p.rate:.0f}/s", flush=True)

    rows = province_data.person_rows(province, people, datetime.now(UTC).date())
    start = perf_counter()
    report = await import_rows(db, rows, profile_name=PROFILE, batch_size=1000, progress=progress)
    figures["import_wall"] = perf_counter() - start
    figures["import"] = report
    if report.bad:
        print(f"  import: {len(report.bad)} bad rows, first: {report.bad[:3]}", flush=True)
    start = perf_counter()
    async with db.session() as session:
        figures["tasks"] = await province_data.insert_tasks(session, province, tasks)
    figures["tasks_wall"] = perf_counter() - start
    async with db.session() as session:
        await session.execute(text("ANALYZE"))
    return province, figures


# ---- the inbox -------------------------------------------------------------------------------------

TASK_COLUMNS = ("t.id, t.kind, t.title, t.subject_person_id, t.unit_id, t.actor_role, t.due_on, t.due_at, "
                "t.legal_basis, t.rule, t.status, t.escalation_level, t.workflow_id, t.outcome, t.completed_at, "
                "(SELECT array_agg(u.username ORDER BY u.username) FROM task_candidates c2 "
                " JOIN users u ON u.id = c2.user_id WHERE c2.task_id = t.id AND c2.can_complete) AS assignees")
# The page the app answers by default (the first PAGE_SIZE tasks by due date) with their assignees, and the total.
# `visible` is the scope's (id, due_at): the candidacies, and for "unit" the subtree's open tasks too.
RAW_PAGE = (", page AS (SELECT id FROM visible ORDER BY due_at NULLS LAST, id LIMIT %(limit)s) "
            f"SELECT (SELECT count(*) FROM visible) AS total, {TASK_COLUMNS} "
            "FROM tasks t JOIN page ON page.id = t.id ORDER BY t.due_at NULLS LAST, t.id")
RAW_CANDIDACIES = ("SELECT t.id, t.due_at FROM task_candidates c JOIN tasks t ON t.id = c.task_id "
                   "WHERE c.user_id = %(uid)s AND t.status = 'open' {overdue}")
RAW_MINE = f"WITH visible AS ({RAW_CANDIDACIES})" + RAW_PAGE
RAW_UNIT = ("WITH RECURSIVE tree(id) AS ("
            " SELECT unit_id FROM role_grants WHERE user_id = %(uid)s AND unit_id IS NOT NULL"
            " UNION SELECT u.id FROM units u JOIN tree ON u.parent_id = tree.id), "
            "visible AS (SELECT t.id, t.due_at FROM tasks t WHERE t.status = 'open' {overdue}"
            f" AND t.unit_id IN (SELECT id FROM tree) UNION {RAW_CANDIDACIES})" + RAW_PAGE)
INBOX_CASES = [("mine, open", "mine", False), ("unit, open", "unit", False),
               ("mine, overdue", "mine", True), ("unit, overdue", "unit", True)]


async def login(app, username: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    response = await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    response.raise_for_status()
    return client


async def measure_inbox(app, raw: psycopg.AsyncConnection, officials: list[tuple[str, int]],
                        requests: int) -> dict[str, Timing]:
    """The app's first page (its default size) against the same page and total written by hand."""
    from services.tasks import PAGE_SIZE
    # As autovacuum would have after the bulk insert: the visibility map lets both sides read the open tasks'
    # partial index alone (index-only), without fetching each row from the table.
    await raw.execute("VACUUM (ANALYZE) tasks, task_candidates")
    clients = [await login(app, name) for name, _ in officials]
    results = {}
    try:
        for label, scope, overdue in INBOX_CASES:
            sql = (RAW_MINE if scope == "mine" else RAW_UNIT).replace("{overdue}", "AND t.due_at < now()" if overdue else "")
            params = {"scope": scope, "status": "open", "overdue": str(overdue).lower()}
            app_times, raw_times, same, rows = [], [], True, 0
            for i in range(requests + 1):  # the first round is a warm-up, not timed
                k = i % len(clients)
                start = perf_counter()
                response = await clients[k].get("/api/tasks", params=params)
                took = perf_counter() - start
                response.raise_for_status()
                app_ids = [t["id"] for t in response.json()]
                start = perf_counter()
                cur = await raw.execute(sql, {"uid": officials[k][1], "limit": PAGE_SIZE})
                fetched = await cur.fetchall()
                raw_took = perf_counter() - start
                if i:
                    app_times.append(took)
                    raw_times.append(raw_took)
                    rows += len(app_ids)
                raw_total = fetched[0][0] if fetched else 0
                same = same and app_ids == [r[1] for r in fetched] and int(response.headers["x-total-count"]) == raw_total
            results[label] = Timing(app_times, raw_times, round(rows / requests), same)
    finally:
        for client in clients:
            await client.aclose()
    return results


# ---- the search ------------------------------------------------------------------------------------

def raw_search_sql(q: str) -> tuple[str, dict]:
    """The matching of services/people.search_statement for a province-wide viewer, written by hand."""
    from services.people import GRADE_TEXT, MIN_TRIGRAM_QUERY

    words = " ".join(q.split())
    branches = ["SELECT id FROM people WHERE hoso_fold(full_name) LIKE '%%' || hoso_fold(%(q)s) || '%%'"]
    params = {"q": words}
    if words.isascii() and words.isdigit():
        branches.append("SELECT id FROM people WHERE citizen_id LIKE %(q)s || '%%' AND citizen_id >= %(q)s"
                        + (" AND citizen_id < %(hi)s" if words.strip("9") else ""))
        params["hi"] = str(int(words) + 1).zfill(len(words))
    if len(words) >= MIN_TRIGRAM_QUERY:
        branches.append("SELECT p.id FROM people p JOIN units ON units.id = p.unit_id WHERE "
                        "hoso_fold(units.name) LIKE '%%' || hoso_fold(%(q)s) || '%%' "
                        "OR hoso_fold(units.code) LIKE hoso_fold(%(q)s) || '%%'")
        branches.append("SELECT p.id FROM people p JOIN profile_revisions ON profile_revisions.id = p.current_revision_id "
                        f"WHERE {GRADE_TEXT.replace('%', '%%')} LIKE '%%' || hoso_fold(%(q)s) || '%%'")
    sql = ("SELECT p.id, p.full_name, p.sex, p.date_of_birth, p.citizen_id, p.unit_id, p.kind, p.hired_on, p.status "
           "FROM people p WHERE p.status IN ('onboarding', 'active') AND p.id IN ("
           + " UNION ".join(branches) + ") ORDER BY hoso_fold(p.full_name) LIKE '%%' || hoso_fold(%(q)s) || '%%' DESC, "
           "similarity(hoso_fold(p.full_name), hoso_fold(%(q)s)) DESC, hoso_fold(p.full_name), p.id LIMIT 100")
    return sql, params


async def search_cases(raw: psycopg.AsyncConnection) -> list[tuple[str, str]]:
    cur = await raw.execute("SELECT full_name, citizen_id FROM people WHERE status = 'active' ORDER BY id LIMIT 1 OFFSET 777")
    name, cid = await cur.fetchone()
    from unidecode import unidecode
    family, middle, given = name.split(" ", 2)
    return [("name, diacritics", name), ("name, no diacritics", unidecode(name).lower()),
            ("part of a name", f"{middle} {given}"[1:]), ("family + middle", f"{family} {middle}"),
            ("citizen ID", cid), ("citizen ID prefix", cid[:7])]


async def measure_search(app, raw: psycopg.AsyncConnection, username: str, requests: int) -> dict[str, Timing]:
    client = await login(app, username)
    results = {}
    try:
        cases = await search_cases(raw)
        for label, q in cases:
            sql, params = raw_search_sql(q)
            app_times, raw_times, same, rows = [], [], True, 0
            per_case = requests
            for i in range(per_case + 1):
                start = perf_counter()
                response = await client.get("/api/search", params={"q": q})
                took = perf_counter() - start
                response.raise_for_status()
                ids = [p["id"] for p in response.json()]
                start = perf_counter()
                cur = await raw.execute(sql, params)
                fetched = await cur.fetchall()
                raw_took = perf_counter() - start
                if i:
                    app_times.append(took)
                    raw_times.append(raw_took)
                    rows += len(ids)
                same = same and ids == [r[0] for r in fetched]
            results[f"{label} «{q}»"] = Timing(app_times, raw_times, round(rows / per_case), same)
    finally:
        await client.aclose()
    return results


# ---- the monthly batch -----------------------------------------------------------------------------

async def measure_signing(db: Database, settings: Settings, province: province_data.Province) -> dict:
    """A 500-revision batch of the biggest unit, previewed, then built, signed and applied through the services
    the preview page and the tasks.sign activity call (no Temporal in between), then the same PDF signed by
    pyhanko alone with the same key, three times; ROUNDS months in a row. Each round is set against the median
    of its own raw signatures, made right after it (the machine's speed drifts between rounds), and the median
    round is reported (a worker signs month after month; the first round also pays the process's first use of
    each statement).

    prepare is the head's preview (tasks.preview_document, what «Xem trước» and POST /api/tasks/{id}/preview
    call): it renders the batch PDF and keeps it with the digest of everything it shows (prepared_documents).
    It happens while the head reads the batch, before she signs, so it is printed but not in the ratio.
    build is then tasks.signing: the task locked, the batch's pending items and decisions read again, their
    digest checked against the kept one (a batch changed since the preview is rendered again, never signed
    stale), and the kept PDF loaded. sign and apply is tasks.sign_and_complete in the same transaction, the
    tasks.sign activity's path for a key held in the worker: the batch's statements sent in pipeline mode, the
    PDF signed while they run, then the signature kept, the task done and the transaction committed (the
    activity returns the completion, so the workflow runs no tasks.complete after it). signing_vs_raw =
    (build + sign and apply) ÷ raw counts every effect of the signature. «signed the preview» says the signed
    bytes were the previewed ones. The head's key is open in the process by then (the preview opened it;
    services/signing keeps opened keys), as raw's is: a worker that has not yet opened it pays that once (~40 ms)."""
    from services import tasks
    from services.scope import load_viewer
    from workflows.contracts import CompleteTaskInput

    code = province_data.big_units(province, 1)[0]
    unit_id, head = province.units[code], province.head[code]
    now = datetime.now(UTC)
    rounds = []
    for month in (f"{now.year + (now.month + k - 1) // 12}-{(now.month + k - 1) % 12 + 1:02d}" for k in range(ROUNDS)):
        task_id, decisions = await _batch_of(db, unit_id, head, month, now)
        inp = CompleteTaskInput(task_id, "sign", head, {"decisions": decisions, "reasons": {}})
        begun = perf_counter()
        async with db.session() as session:
            viewer = await load_viewer(head, session=session)
            preview = await tasks.preview_document(settings, viewer, task_id, "sign", inp.data, now=now,
                                                   session=session)
        start = perf_counter()
        async with db.session() as session:  # as the tasks.sign activity does, for a key held in the worker
            signing = await tasks.signing(settings, inp, now=now, session=session)
            built = perf_counter()
            signed = await tasks.sign_and_complete(settings, inp, signing, now=now, session=session)
        applied = perf_counter()
        to_sign = signing.document
        rounds.append({"prepare": start - begun, "previewed": to_sign.pdf == preview, "together": signing.together,
                       "build": built - start, "sign_apply": applied - built, "total": applied - start,
                       "raw": [await raw_sign(to_sign) for _ in range(3)],
                       "approved": sum(1 for d in signed.completed.result["decisions"] if d["decision"] == "approved"),
                       "pdf_kb": len(to_sign.pdf) / 1024,
                       "pages": to_sign.pdf.count(b"/Type /Page") - to_sign.pdf.count(b"/Type /Pages")})
    for r in rounds:  # each round against the raw signatures made right after it, on the machine as it was then
        r["raw"] = statistics.median(r["raw"])
    middle = sorted(rounds, key=lambda r: r["total"] / r["raw"])[len(rounds) // 2]
    return {**middle, "ratios": [r["total"] / r["raw"] for r in rounds],
            "previewed": all(r["previewed"] for r in rounds), "together": all(r["together"] for r in rounds)}


async def _batch_of(db: Database, unit_id: int, head: int, month: str, now: datetime) -> tuple[int, dict[str, str]]:
    """The month's batch of BATCH revisions (a salary step each) for the unit's first people, and its signing task:
    (task id, every revision approved)."""
    from models import Approval, ApprovalItem, Person, ProfileRevision, Task, TaskCandidate

    async with db.session() as session:
        chosen = list((await session.execute(select(Person).where(Person.unit_id == unit_id)
                                             .order_by(Person.id).limit(BATCH))).scalars())
        if len(chosen) < BATCH:  # a small province: fill the batch from elsewhere (the batch checks no unit)
            chosen += list((await session.execute(select(Person).where(Person.unit_id != unit_id)
                                                  .order_by(Person.id).limit(BATCH - len(chosen)))).scalars())
        wid = f"approval/{unit_id}/{month}"
        approval = Approval(level="unit", unit_id=unit_id, month=month, workflow_id=wid, profile=PROFILE,
                            profile_version="2026", status="open")
        session.add(approval)
        await session.flush()
        decisions = {}
        for person in chosen:
            current = await session.get(ProfileRevision, person.current_revision_id)
            data = {**current.data, "salary_step": int(current.data.get("salary_step") or 1) + 1,
                    "salary_from": f"{month}-01"}  # two fields changed in every round
            revision = ProfileRevision(person_id=person.id, number=current.number + 1, status="ready", data=data,
                                       kind="update_state_decision", change_date=now.date(),
                                       change_reason="Nâng bậc lương thường xuyên", decision_no="12/QĐ-BENCH",
                                       workflow_id=f"update/bench-{person.id}-{month}")
            session.add(revision)
            await session.flush()
            session.add(ApprovalItem(approval_id=approval.id, revision_id=revision.id, decision="pending"))
            decisions[str(revision.id)] = "approve"
        task = Task(workflow_id=wid, step_key="sign@bench", kind="sign_approval", title=f"Ký phê duyệt {month}",
                    unit_id=unit_id, actor_role="unit_head", rule="monthly_approval", profile=PROFILE,
                    profile_version="2026", started_on=now.date())
        session.add(task)
        await session.flush()
        session.add(TaskCandidate(task_id=task.id, user_id=head, reason="Thủ trưởng đơn vị"))
        return task.id, decisions


async def raw_sign(to_sign) -> float:
    """pyhanko alone: the same PDF, the same PKCS#12 key, the same PAdES metadata; seconds."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = to_sign.signer.pyhanko_signer()
    start = perf_counter()
    writer = IncrementalPdfFileWriter(BytesIO(to_sign.pdf), strict=False)
    meta = signers.PdfSignatureMetadata(field_name=to_sign.field_name, reason=to_sign.reason,
                                        location=to_sign.location, md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES)
    pdf_signer = signers.PdfSigner(meta, signer=signer,
                                   new_field_spec=fields.SigFieldSpec(sig_field_name=to_sign.field_name))
    await pdf_signer.async_sign_pdf(writer, output=BytesIO())
    return perf_counter() - start


# ---- escalations -----------------------------------------------------------------------------------

PROBES_OPENED = text("SELECT count(*) FROM tasks WHERE due_at >= :due AND workflow_id LIKE :p")


async def measure_escalations(client: Client, db: Database, settings: Settings, n: int) -> dict:
    """n probes due within one minute, after a warm-up that measures how fast tasks open here."""
    from activities.tasks import TaskActivities
    from bootstrap.worker import worker_options

    group = TaskActivities(db, settings, client)
    queue = f"bench-escalation-{uuid.uuid4().hex[:8]}"
    run = uuid.uuid4().hex[:6]
    async with db.session() as session:
        people = (await session.execute(text(
            "SELECT id, unit_id FROM people WHERE status = 'active' ORDER BY id"))).all()
    rng = random.Random(7)
    picks = [people[rng.randrange(len(people))] for _ in range(n)]
    gate = asyncio.Semaphore(50)
    today = datetime.now(UTC).date().isoformat()

    async def start(prefix: str, i: int, person: tuple[int, int], due: datetime) -> None:
        async with gate:
            await client.start_workflow(EscalationProbe.run, [person[0], person[1], today, due.isoformat()],
                                        id=f"bench-esc/{run}/{prefix}{i}", task_queue=queue)

    async def opened(prefix: str, due_from: datetime) -> int:
        # due_at (indexed) bounds the scan to the probes: a LIKE on workflow_id reads every task, several times a
        # second, on the PostgreSQL the measured activities use
        async with db.session() as session:
            return (await session.execute(PROBES_OPENED, {"due": due_from, "p": f"bench-esc/{run}/{prefix}%"})
                    ).scalar_one()

    worker = Worker(client, task_queue=queue, workflows=[EscalationProbe],
                    activities=[probe_schedule, group.open, group.remind, group.escalate_head, group.escalate_sonoivu],
                    **worker_options(settings))  # production's sizes (bootstrap/worker.py)
    async with worker:
        warm = max(50, min(200, n // 10))
        began = perf_counter()
        far = datetime.now(UTC) + timedelta(hours=2)
        await asyncio.gather(*(start("w", i, picks[i % n], far) for i in range(warm)))
        while await opened("w", far) < warm:
            await asyncio.sleep(0.2)
        open_rate = warm / (perf_counter() - began)
        lead = n / open_rate * 1.5 + 20
        t0 = datetime.now(UTC) + timedelta(seconds=lead)
        print(f"  escalation: warm-up opened {open_rate:.0f} tasks/s; {n} deadlines from +{lead:.0f}s over "
              f"{ESCALATION_WINDOW:.0f}s", flush=True)
        dues = [t0 + timedelta(seconds=ESCALATION_WINDOW * i / n) for i in range(n)]
        began = perf_counter()
        await asyncio.gather(*(start("p", i, picks[i], dues[i]) for i in range(n)))
        started = perf_counter() - began
        until = perf_counter() + lead + ESCALATION_WINDOW + 600
        query = text(PROBES_OPENED.text + " AND escalation_level >= 1")
        while perf_counter() < until:
            async with db.session() as session:
                done = (await session.execute(query, {"due": t0, "p": f"bench-esc/{run}/p%"})).scalar_one()
            if done >= n:
                break
            await asyncio.sleep(1)
        async with db.session() as session:
            rows = (await session.execute(text(
                "SELECT t.due_at, t.created_at, t.escalated_head_at, a.at FROM tasks t "
                "JOIN audit_events a ON a.subject = 'task:' || t.id AND a.action = 'task.escalate_head' "
                "WHERE t.workflow_id LIKE :p"), {"p": f"bench-esc/{run}/p%"})).all()
    late = [(at - due).total_seconds() for due, _, _, at in rows]
    stamped = [(stamp - due).total_seconds() for due, _, stamp, _ in rows]
    return {"n": n, "recorded": len(rows), "open_rate": open_rate, "start_s": started,
            "opened_after_due": sum(1 for due, created, _, _ in rows if created > due),
            "p50": pct(late, 50) if late else float("nan"), "p99": pct(late, 99) if late else float("nan"),
            "max": max(late) if late else float("nan"),
            "stamp_p99": pct(stamped, 99) if stamped else float("nan")}


# ---- the run ---------------------------------------------------------------------------------------

class Profiled:
    """`async with Profiled(args, "inbox"):` runs the phase under pyinstrument when --profile is given and
    writes its call tree to PREFIX-inbox.txt (the timings of a profiled run are slower: compare none of them)."""

    def __init__(self, args, phase: str):
        self.prefix, self.phase, self.profiler = args.profile, phase, None

    async def __aenter__(self):
        if self.prefix:
            from pyinstrument import Profiler  # the test extras' pyinstrument
            self.profiler = Profiler(async_mode="enabled", interval=0.001)
            self.profiler.start()

    async def __aexit__(self, *exc):
        if self.profiler is not None:
            self.profiler.stop()
            path = Path(f"{self.prefix}-{self.phase}.txt")
            path.write_text(self.profiler.output_text(unicode=True, show_all=False))
            print(f"  profile: {path}", flush=True)


async def bench(url: str, args, work: Path) -> None:
    db = Database(url)
    settings = Settings(database_url=url, smtp_host=None, profile=PROFILE, secret_key="bench",
                        demo_password=PASSWORD, signing_dir=work / "signing")
    temporal = str(Path(sys.executable).with_name("temporal"))
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=temporal,
                                                dev_server_database_filename=str(work / "temporal.sqlite"),
                                                dev_server_extra_args=["--log-level", "error", *dev_server_tuning_args(
                                                    args.sqlite_pragma or DEV_SERVER_SQLITE_PRAGMAS)])
    raw = await psycopg.AsyncConnection.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    out: dict = {}
    try:
        print(f"build: {args.units} units, {args.people} people (import), {args.tasks} tasks ...", flush=True)
        province, figures = await build(db, args.people, args.units, args.tasks)
        report = figures["import"]
        print(f"  imported {report.imported} in {report.seconds:.1f}s ({report.per_second:.0f}/s); "
              f"{figures['tasks']} tasks in {figures['tasks_wall']:.1f}s", flush=True)

        from api.main import create_app
        app = create_app(settings, db=db, temporal=env.client, task_queue="bench-app")
        for noisy in ("httpx", "fontTools"):  # a line per request, per subsetted font table otherwise
            logging.getLogger(noisy).setLevel(logging.WARNING)
        async with db.session() as session:
            users = dict((await session.execute(text("SELECT username, id FROM users"))).all())
        officials = [(name, users[name]) for name in
                     (province_data.login_of(code, "unit_hr") for code in province_data.big_units(province, HR_OFFICIALS))]
        if "inbox" in args.only:
            print(f"inbox: {args.requests} requests per case, as {', '.join(n for n, _ in officials)} ...", flush=True)
            async with Profiled(args, "inbox"):
                out["inbox"] = await measure_inbox(app, raw, officials, args.requests)
        if "search" in args.only:
            print(f"search: {args.requests} requests per case, as sonoivu ...", flush=True)
            async with Profiled(args, "search"):
                out["search"] = await measure_search(app, raw, "sonoivu", args.requests)
        if "signing" in args.only:
            print(f"signing: a {BATCH}-revision batch ...", flush=True)
            async with Profiled(args, "signing"):
                out["signing"] = await measure_signing(db, settings, province)
        if "onboarding" in args.only:
            rounds = max(1, args.onboardings // ONBOARDINGS_PER_ROUND)
            print(f"onboarding: N={args.onboardings} concurrency 5, in {rounds} rounds of real then bare ...",
                  flush=True)
            async with Profiled(args, "onboarding"):  # both sides: they alternate
                out["onboarding"] = await run_paired(env.client, url, args.onboardings, 5, 1, rounds)
        if "escalation" in args.only:
            print(f"escalation: {args.escalations} tasks ...", flush=True)
            async with Profiled(args, "escalation"):
                out["escalation"] = await measure_escalations(env.client, db, settings, args.escalations)
    finally:
        await raw.close()
        await env.shutdown()
        await db.dispose()
    print(table(args, figures, out))
    print(json.dumps(headline(figures, out)))


def _inbox_worst(results: dict[str, Timing]) -> tuple[float, float]:
    p95 = max(t.p("app", 95) for t in results.values())
    ratio = max(t.p("app", 95) / t.p("raw", 95) for t in results.values())
    return p95, ratio


def headline(figures: dict, out: dict) -> dict:
    """The JSON line; a phase left out by --only gives null."""
    line = dict.fromkeys(("inbox_p95_ms", "inbox_vs_sql", "search_p95_ms", "search_vs_sql"))
    line["import_per_s"] = round(figures["import"].per_second)
    line.update(dict.fromkeys(("escalation_lateness_p99_s", "signing_vs_raw", "onboarding_vs_bare")))
    for phase in ("inbox", "search"):
        if phase in out:
            p95, ratio = _inbox_worst(out[phase])
            line[f"{phase}_p95_ms"], line[f"{phase}_vs_sql"] = round(p95, 1), round(ratio, 2)
    if "escalation" in out:
        line["escalation_lateness_p99_s"] = round(out["escalation"]["p99"], 2)
    if "signing" in out:
        line["signing_vs_raw"] = round(out["signing"]["total"] / out["signing"]["raw"], 2)
    if "onboarding" in out:
        real, bare = out["onboarding"]
        line["onboarding_vs_bare"] = round(real.rate / bare.rate, 2)
    return line


def table(args, figures: dict, out: dict) -> str:
    lines = ["", f"province: {figures['units']} units, {figures['import'].imported} people, {figures['tasks']} tasks", ""]
    for title, results in (("inbox GET /api/tasks", out.get("inbox")), ("search GET /api/search", out.get("search"))):
        if results is None:
            continue
        lines.append(f"{title:44} {'rows':>5} {'app p50':>8} {'app p95':>8} {'sql p50':>8} {'sql p95':>8} "
                     f"{'p95 ×':>6} same")
        for label, t in results.items():
            lines.append(f"  {label:42} {t.rows:>5} {t.p('app', 50):>8.1f} {t.p('app', 95):>8.1f} "
                         f"{t.p('raw', 50):>8.2f} {t.p('raw', 95):>8.2f} {t.p('app', 95) / t.p('raw', 95):>6.1f} "
                         f"{'yes' if t.same else 'NO'}")
        lines.append("")
    report = figures["import"]
    lines.append(f"import: {report.imported} imported, {report.skipped} skipped, {len(report.bad)} bad in "
                 f"{report.seconds:.1f}s: {report.per_second:.0f} records/s (wall {figures['import_wall']:.1f}s)")
    s = out.get("signing")
    if s:
        lines.append(f"monthly batch of {BATCH} ({s['approved']} approved; PDF {s['pdf_kb']:.0f} KB, {s['pages']} pages): "
                     f"prepare (the head's preview) {s['prepare']:.2f}s, not in the ratio; then")
        lines.append(f"  build {s['build']:.3f}s + sign and apply {s['sign_apply']:.3f}s = {s['total']:.3f}s "
                     f"against raw pyhanko {s['raw']:.3f}s: total/raw {s['total'] / s['raw']:.2f} "
                     f"(the median round of {', '.join(f'{t:.2f}' for t in s['ratios'])}); "
                     f"in one transaction: {'yes' if s['together'] else 'NO'}; "
                     f"signed the preview: {'yes' if s['previewed'] else 'NO'}")
    if "onboarding" in out:
        real, bare = out["onboarding"]
        lines.append(f"onboarding N={args.onboardings}: real {real.rate:.2f}/s (p95 {real.p95:.2f}s), bare {bare.rate:.2f}/s "
                     f"(p95 {bare.p95:.2f}s), ratio {real.rate / bare.rate:.2f}; history events {real.history_events} / "
                     f"{bare.history_events}")
    e = out.get("escalation")
    if e:
        lines.append(f"escalation: {e['recorded']}/{e['n']} recorded (started in {e['start_s']:.0f}s, warm-up open rate "
                     f"{e['open_rate']:.0f}/s, {e['opened_after_due']} opened after their due time); lateness p50 "
                     f"{e['p50']:.2f}s p99 {e['p99']:.2f}s max {e['max']:.2f}s (activity scheduled: p99 {e['stamp_p99']:.2f}s)")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.province", description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=60_000)
    parser.add_argument("--units", type=int, default=1_500)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--escalations", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per inbox or search case (default 200)")
    parser.add_argument("--onboardings", type=int, default=30,
                        help=f"real and bare onboardings each, in rounds of {ONBOARDINGS_PER_ROUND} (default 30)")
    parser.add_argument("--quick", action="store_true", help="20,000 people, 300,000 tasks, 2,000 escalations")
    parser.add_argument("--sqlite-pragma", action="append", default=[], metavar="PRAGMA=VALUE",
                        help="passed to the dev server's SQLite, repeatable (default: "
                             f"{' '.join(DEV_SERVER_SQLITE_PRAGMAS)}, as `hoso run` starts it)")
    parser.add_argument("--only", default=",".join(PHASES), type=lambda v: [p for p in v.split(",") if p],
                        help=f"comma-separated phases to measure after the build (default all: {','.join(PHASES)})")
    parser.add_argument("--profile", metavar="PREFIX", help="profile each phase (pyinstrument) into PREFIX-<phase>.txt")
    args = parser.parse_args(argv)
    unknown = set(args.only) - set(PHASES)
    if unknown:
        parser.error(f"unknown phase(s) in --only: {', '.join(sorted(unknown))}")
    if args.quick:
        args.people, args.tasks, args.escalations = 20_000, 300_000, 2_000

    admin_uri = os.environ.get("DATABASE_URL") or embedded_postgres_uri(ROOT / ".var" / "bench")
    name = f"hoso_bench_{uuid.uuid4().hex[:10]}"
    url = ensure_database(admin_uri, name)
    began = perf_counter()
    try:
        upgrade(url)
        with tempfile.TemporaryDirectory(prefix="hoso-province-") as work:
            asyncio.run(bench(url, args, Path(work)))
    finally:
        drop_database(admin_uri, name)
    print(f"(whole run {perf_counter() - began:.0f}s)", file=sys.stderr)


if __name__ == "__main__":
    main()

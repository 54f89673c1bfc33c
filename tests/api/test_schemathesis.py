"""No input makes the API answer a server error (issue 8, item 6): schemathesis generates requests from
/openapi.json for every operation (its examples, coverage and fuzzing phases, valid and invalid data) and sends
them logged in as each role, against the real app, worker, Temporal dev server and PostgreSQL.

The app runs in a thread of its own, with its own event loop, database engine, Temporal client and worker
(uvicorn on a free port): schemathesis and Hypothesis are synchronous, and the app's ASGI transport would run
each call on a fresh event loop, which the engine's pool and the Temporal client do not survive. The requests
go over HTTP to that server, so what is tested is what a client sees.

Generated ids are mixed with the ids of records that exist (a person in the middle of an update, a hire waiting
for its account, a delegation, the units), so the routes are exercised past their 404s. Hypothesis is
derandomized: a run is the same on every machine."""
import asyncio
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import hypothesis
import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance
from sqlalchemy import select, text
from temporalio.client import Client

from api.main import create_app
from bootstrap.demo import seed_org
from bootstrap.demo_people import wait_task
from bootstrap.worker import build_worker
from core.config import Settings
from core.db import Database
from core.temporal import connect
from models import Person, ProfileRevision, User
from rules.clock import local_date
from rules.profiles import get_profile
from services import auth, delegations, onboarding, people, updates
from services.scope import load_viewer
from tests.conftest import PASSWORD, TABLES
from tests.helpers import CV_VALID
from tests.national_receiver.support import InProcessReceiver, free_port

ROLES = {"person": "lan.nguyenthi", "unit_hr": "hr.syt", "unit_head": "head.syt", "sonoivu_admin": "sonoivu",
         "sonoivu_director": "giamdoc.snv", "auditor": "thanhtra"}
PERSON_NAME, PERSON_CITIZEN_ID, PERSON_BORN = "Nguyễn Thị Lan", "051185000777", date(1985, 7, 12)
HIRE_CITIZEN_ID = "051096000888"
MAX_EXAMPLES = 25  # fuzzing examples per operation as the administrator
ROLE_EXAMPLES = 8  # per operation and role for the others


@dataclass
class Live:
    """The app served over HTTP from its own thread, and the records the run may aim at."""
    url: str = ""
    ids: dict[str, list[int]] = field(default_factory=dict)
    sessions: dict[str | None, requests.Session] = field(default_factory=dict)  # kept alive, one per role

    def login(self, role: str) -> None:
        self.sessions[role] = http = requests.Session()
        response = http.post(f"{self.url}/api/auth/login", json={"username": ROLES[role], "password": PASSWORD},
                             timeout=30)
        assert response.status_code == 200, response.text

    def close(self) -> None:
        for http in self.sessions.values():
            http.close()


class LiveApp:
    """Starts the national receiver's stand-in, a worker and uvicorn on an event loop of a thread of its own."""

    def __init__(self, database_url: str, temporal_target: str, namespace: str, settings: dict):
        self.database_url, self.temporal_target, self.namespace = database_url, temporal_target, namespace
        self.settings = settings
        self.live = Live()
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop: asyncio.Event | None = None
        self.thread = threading.Thread(target=self._run, name="schemathesis-app", daemon=True)

    def start(self) -> Live:
        self.thread.start()
        if not self.ready.wait(180) or self.error is not None:
            raise RuntimeError("the app for schemathesis did not start") from self.error
        return self.live

    def close(self) -> None:
        if self.loop is not None and self.stop is not None:
            self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(60)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as err:  # noqa: BLE001 - handed to the test's thread
            self.error = err
            self.ready.set()

    async def _serve(self) -> None:
        self.loop, self.stop = asyncio.get_running_loop(), asyncio.Event()
        db = Database(self.database_url)
        national = InProcessReceiver()
        await national.start()
        settings = Settings(**self.settings, national_db_url=national.url)
        client = await connect(self.temporal_target, self.namespace, settings=settings)  # the app's codec
        task_queue = f"schemathesis-{free_port()}"
        try:
            async with build_worker(client, db, settings, task_queue=task_queue):
                self.live.ids = await _seed(db, client, task_queue)
                port = free_port()
                server = uvicorn.Server(uvicorn.Config(
                    create_app(settings, db=db, temporal=client, task_queue=task_queue), host="127.0.0.1",
                    port=port, log_level="warning", lifespan="on", timeout_graceful_shutdown=5))
                serving = asyncio.create_task(server.serve())
                while not server.started:
                    if serving.done():
                        serving.result()
                    await asyncio.sleep(0.02)
                self.live.url = f"http://127.0.0.1:{port}"
                self.ready.set()
                await self.stop.wait()
                server.should_exit = True
                await serving
        finally:
            await national.stop()
            await db.dispose()


async def _seed(db: Database, client: Client, task_queue: str) -> dict[str, list[int]]:
    """The demo organisation; a person (imported record, with a login) who started an update; a hire waiting for
    its account; a delegation. Returns the ids of each kind of path or query parameter."""
    async with db.session() as session:
        await session.execute(text(f"TRUNCATE {TABLES} CASCADE"))
    async with db.session() as session:
        org = await seed_org(session, PASSWORD)
    today = local_date(datetime.now(UTC))
    profile = get_profile("quang-ngai", on=today)
    async with db.session() as session:
        person = Person(full_name=PERSON_NAME, search_name=people.search_key(PERSON_NAME), sex="nu",
                        date_of_birth=PERSON_BORN, citizen_id=PERSON_CITIZEN_ID, unit_id=org.units["SYT"],
                        kind="cong_chuc", hired_on=date(2015, 3, 2), status="active", profile=profile.name,
                        profile_version=profile.version)
        session.add(person)
        await session.flush()
        revision = ProfileRevision(person_id=person.id, number=1, status="approved", kind="import",
                                   data={**CV_VALID, "full_name": PERSON_NAME, "sex": "nu",
                                         "date_of_birth": PERSON_BORN.isoformat(), "citizen_id": PERSON_CITIZEN_ID},
                                   approved_at=datetime.now(UTC), change_reason="Chuyển từ hệ thống cũ")
        session.add(revision)
        await session.flush()
        person.current_revision_id = revision.id
        user = User(username=ROLES["person"], full_name=PERSON_NAME, unit_id=org.units["SYT"], person_id=person.id,
                    password_hash=auth.hash_secret(PASSWORD))
        session.add(user)
        await session.flush()
        person_id, user_id = person.id, user.id
    async with db.session() as session:
        me = await load_viewer(user_id, session=session)
        update = await updates.start(client, task_queue, session, me, person_id, kind="update_personal",
                                     change_date=today - timedelta(days=1), reason="Thay đổi nơi ở",
                                     data={"residence": "Số 12 Lê Lợi, phường Cẩm Thành, tỉnh Quảng Ngãi"},
                                     decision_no=None, today=today)
    async with db.session() as session:
        hr = await load_viewer(org.users["hr.syt"], session=session)
        hired = await onboarding.hire(client, task_queue, session, hr, people.HireInput(
            full_name="Trần Văn Bình", sex="nam", date_of_birth=date(1996, 5, 2), citizen_id=HIRE_CITIZEN_ID,
            unit_id=org.units["SYT"], hired_on=today, kind="cong_chuc"), profile_name="quang-ngai", today=today)
    async with db.session() as session:
        head = await load_viewer(org.users["head.syt"], session=session)
        delegation = await delegations.create(head, unit_id=org.units["SYT"], delegate_username="pho.syt",
                                              document_no="15/UQ-SYT", valid_from=today,
                                              valid_to=today + timedelta(days=30), client=client, session=session)
    tasks = [await wait_task(db, update.workflow_id, "update_entry"),
             await wait_task(db, f"onboarding/{hired.id}", "create_account")]
    async with db.session() as session:
        revisions = list((await session.execute(select(ProfileRevision.id))).scalars())
    return {"person_id": [person_id, hired.id], "revision_id": revisions, "task_id": [t.id for t in tasks],
            "unit_id": sorted(org.units.values()), "delegation_id": [delegation.id],
            # not the accounts the run logs in with: the administrator's cases deactivate and reset accounts
            "user_id": sorted(uid for login, uid in org.users.items() if login not in ROLES.values())}


@pytest.fixture(scope="module")
def live(database_url, dev_env, smtp, signing_dir):
    app = LiveApp(database_url, dev_env.client.service_client.config.target_host, dev_env.client.namespace, {
        "database_url": database_url, "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "profile": "quang-ngai",
        "secret_key": "test-secret", "demo_password": PASSWORD, "signing_dir": signing_dir})
    served = app.start()
    served.sessions[None] = requests.Session()
    for role in ROLES:
        served.login(role)
    KNOWN_IDS.update(served.ids)
    yield served
    served.close()
    app.close()


def _with_known_ids(generated: dict, known: dict[str, list[int]]) -> st.SearchStrategy:
    """The generated values, or for an id that could name a record, sometimes the id of one that exists."""
    choices = {}
    for name, value in (generated or {}).items():
        ids = known.get(name)
        valid = isinstance(value, int) and not isinstance(value, bool)
        choices[name] = st.one_of(st.just(value), st.sampled_from(ids)) if ids and valid else st.just(value)
    return st.fixed_dictionaries(choices)


# The schema the app publishes, read from the app itself (its routes do not depend on the settings); the requests
# go to the live server.
SPEC = create_app(Settings(secret_key="test-secret")).openapi()
KNOWN_IDS: dict[str, list[int]] = {}  # filled by `live` once the records exist
PUBLIC = ["/api/auth/login", "/api/auth/activate", "/api/auth/logout", "/api/deadline"]  # answered without login


def _schema(*, coverage: bool, unexpected_methods: bool = False):
    """The schema with the hooks that aim ids at existing records. The coverage phase (boundary values, missing and
    wrong-typed fields, unexpected methods) mostly meets the validation, the same for every role: it runs once,
    for the anonymous operations and as Sở Nội vụ's administrator, who passes the permission checks of most
    routes; every role runs the examples and the fuzzing phase."""
    loaded = schemathesis.openapi.from_dict(SPEC)
    loaded.config.phases.coverage.enabled = coverage
    if not unexpected_methods:  # every method a path does not have answers the framework's 405: tried once
        loaded.config.phases.coverage.unexpected_methods = set()

    @loaded.hook
    def flatmap_path_parameters(context, path_parameters):
        return _with_known_ids(path_parameters, KNOWN_IDS)

    @loaded.hook
    def flatmap_query(context, query):
        return _with_known_ids(query, KNOWN_IDS)

    return loaded


# The CV's body has 22 optional fields: its coverage cases (some 300 per operation) re-test the model's validation
# and reach the routes only as 403 or 404 for the administrator; fuzzing covers these operations.
CV_EDITS = ["PUT /api/people/{person_id}/cv", "PUT /api/revisions/{revision_id}",
            "POST /api/people/{person_id}/updates"]
public_operations = _schema(coverage=True, unexpected_methods=True).include(path=PUBLIC)
as_the_administrator = _schema(coverage=True).exclude(path=PUBLIC).exclude(name=CV_EDITS)
cv_edits_as_the_administrator = _schema(coverage=False).include(name=CV_EDITS)
as_each_role = _schema(coverage=False).exclude(path=PUBLIC)
SETTINGS = dict(derandomize=True, database=None, deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
CHECKS = [not_a_server_error, response_schema_conformance]


def _call(case, live: Live, role: str | None):
    response = case.call(base_url=live.url, session=live.sessions[role], timeout=60)
    case.validate_response(response, checks=CHECKS)
    # Every operation but the public ones needs the session: a 401 would mean the run lost it (an account
    # deactivated, a password reset), and the role's cases would test nothing past the login check.
    assert role is None or response.status_code != 401, f"{role} lost their session: {response.text}"


@public_operations.parametrize()
@hypothesis.settings(max_examples=10, **SETTINGS)  # each login hashes a password (argon2): kept few
def test_public_operations(case, live):
    _call(case, live, None)


@as_the_administrator.parametrize()
@hypothesis.settings(max_examples=MAX_EXAMPLES, **SETTINGS)
def test_as_the_administrator(case, live):
    _call(case, live, "sonoivu_admin")


@cv_edits_as_the_administrator.parametrize()
@hypothesis.settings(max_examples=MAX_EXAMPLES, **SETTINGS)
def test_cv_edits_as_the_administrator(case, live):
    _call(case, live, "sonoivu_admin")


@pytest.fixture(scope="module", params=[role for role in ROLES if role != "sonoivu_admin"])
def role(request) -> str:
    return request.param


@as_each_role.parametrize()
@hypothesis.settings(max_examples=ROLE_EXAMPLES, **SETTINGS)
def test_as_each_role(case, role, live):
    _call(case, live, role)


"""Login that cannot be turned against its users: growing delays per account and per address (never a lock),
the same answer for an unknown user, server-side sessions that logout and a new password end, security
headers, and a body limit answered before the body is read. The app runs without Temporal (nothing here
starts a workflow); time is moved by writing the rows' timestamps or by passing `now` to the service."""
import asyncio
import base64
import hashlib
import json
import re
import socket
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher
from sqlalchemy import select, text

from api.main import create_app
from core.config import ROOT
from models import User
from services import auth
from tests.conftest import PASSWORD

LOGIN = "/api/auth/login"
WRONG = {"username": "hr.syt", "password": "sai-mat-khau"}
RIGHT = {"username": "hr.syt", "password": PASSWORD}


@pytest.fixture(autouse=True)
async def no_throttle(db):
    """The throttle table is not emptied between tests by conftest: start and end each test without rows."""
    async with db.session() as session:
        await session.execute(text("DELETE FROM login_throttle"))
    yield
    async with db.session() as session:
        await session.execute(text("DELETE FROM login_throttle"))


@pytest.fixture
async def app(db, settings, org):
    return create_app(settings, db=db)


@pytest.fixture
async def client_at(app):
    """A client factory: each client has its own address (the throttle's "ip:" key) and cookies."""
    clients = []

    def make(address: str = "10.0.0.1", on=None) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=on or app, client=(address, 40000)),
                                   base_url="http://testserver")
        clients.append(client)
        return client

    yield make
    await asyncio.gather(*(c.aclose() for c in clients))


async def throttle(db, key: str):
    async with db.session() as session:
        return (await session.execute(text("SELECT failures, blocked_until FROM login_throttle WHERE key = :k"),
                                      {"k": key})).first()


async def just_failed(db, key: str) -> float:
    """The delay the service gave the key's last failure, restarted from now (a busy machine must not let it
    run out between two requests of a test)."""
    async with db.session() as session:
        return float((await session.execute(text(
            "UPDATE login_throttle SET blocked_until = now() + (blocked_until - last_failure_at), "
            "last_failure_at = now() WHERE key = :k RETURNING extract(epoch FROM blocked_until - last_failure_at)"),
            {"k": key})).scalar_one())


async def wait_passes(db, key: str) -> None:
    """As if the user had waited the delay out (the count stays)."""
    async with db.session() as session:
        await session.execute(text("UPDATE login_throttle SET blocked_until = now() - interval '1 second' "
                                   "WHERE key = :k"), {"k": key})


# ---- throttling -------------------------------------------------------------------------------

def test_the_delay_doubles_after_the_free_failures_up_to_the_cap():
    assert [auth.delay_seconds(n, 5, 900) for n in range(1, 17)] == \
        [None, None, None, None, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert auth.delay_seconds(10_000, 5, 900) == 900
    assert auth.wait_text(1) == "1 giây" and auth.wait_text(64) == "1 phút 4 giây" and auth.wait_text(900) == "15 phút"


async def test_account_delay_grows_and_the_user_gets_in_after_it(client_at, db):
    client = client_at("10.1.0.1")
    for _ in range(5):
        refused = await client.post(LOGIN, json=WRONG)
        assert refused.status_code == 401 and refused.json()["code"] == "bad_credentials"
    for failures, wait in ((5, 1), (6, 2), (7, 4)):
        assert await just_failed(db, "user:hr.syt") == wait
        delayed = await client.post(LOGIN, json=RIGHT)  # even the right password waits: nothing is checked
        assert delayed.status_code == 429 and delayed.headers["retry-after"] == str(wait), delayed.text
        assert delayed.json() == {"detail": f"Đăng nhập sai nhiều lần liên tiếp. Vui lòng đợi {wait} giây rồi thử lại.",
                                  "code": "login_delayed", "retry_after": wait}
        assert (await throttle(db, "user:hr.syt")).failures == failures  # an attempt during the delay is not counted
        await wait_passes(db, "user:hr.syt")
        if failures < 7:
            assert (await client.post(LOGIN, json=WRONG)).status_code == 401
    assert (await client.post(LOGIN, json=RIGHT)).status_code == 200  # no lock: waiting is enough
    assert await throttle(db, "user:hr.syt") is None  # the success cleared the account's count
    assert (await client.get("/api/me")).json()["username"] == "hr.syt"
    assert (await throttle(db, "ip:10.1.0.1")).failures == 7  # the address's count is kept
    assert (await client_at("10.1.0.1").post(LOGIN, json={"username": "hr.sgd", "password": PASSWORD})).status_code == 200


async def test_the_page_delays_too(client_at, db):
    client = client_at("10.1.0.2")
    page = await client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    form = {"csrf": token, "username": "hr.syt", "password": "sai"}
    for _ in range(5):
        assert (await client.post("/login", data=form)).status_code == 401
    assert await just_failed(db, "user:hr.syt") == 1
    delayed = await client.post("/login", data={**form, "password": PASSWORD})
    assert delayed.status_code == 429 and delayed.headers["retry-after"] == "1"
    assert "Vui lòng đợi 1 giây rồi thử lại." in delayed.text


async def test_the_delay_is_capped_and_the_count_starts_again_after_the_window(db, settings, org):
    """The service with an injected clock: every failure after the fifth doubles the wait, up to 15 minutes."""
    async def attempt(now: datetime, password: str = "sai"):
        try:
            async with db.session() as session:
                await auth.login(settings, "hr.sgd", password, address="10.1.1.1", now=now, session=session)
        except (auth.LoginRefused, auth.LoginDelayed) as err:
            return err
        return None

    now = datetime(2026, 12, 24, 8, 0, tzinfo=UTC)  # the day before the approval cutoff
    for _ in range(5):
        assert isinstance(await attempt(now), auth.LoginRefused)
    waits = []
    for _ in range(12):
        delayed = await attempt(now, PASSWORD)
        assert isinstance(delayed, auth.LoginDelayed)
        waits.append(delayed.retry_after)
        now += timedelta(seconds=delayed.retry_after)
        assert isinstance(await attempt(now), auth.LoginRefused)
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert "15 phút" in (await attempt(now)).message
    now += timedelta(minutes=settings.login_failure_window_minutes, seconds=1)  # an hour without failure
    assert isinstance(await attempt(now), auth.LoginRefused)
    assert (await throttle(db, "user:hr.sgd")).failures == 1 and (await throttle(db, "user:hr.sgd")).blocked_until is None
    assert await attempt(now, PASSWORD) is None


async def test_an_address_trying_many_accounts_is_delayed(client_at, db, settings):
    assert settings.login_free_failures_per_address > settings.login_free_failures  # an office shares one address
    policy = settings.model_copy(update={"login_free_failures_per_address": 8})  # fewer argon2 runs than 20
    sprayer = client_at("10.2.0.1", on=create_app(policy, db=db))
    for i in range(policy.login_free_failures_per_address):
        name = "hr.syt" if i == 0 else f"khong.co.{i}"
        assert (await sprayer.post(LOGIN, json={"username": name, "password": "123456"})).status_code == 401
    assert await just_failed(db, "ip:10.2.0.1") == 1
    delayed = await sprayer.post(LOGIN, json=RIGHT)
    assert delayed.status_code == 429 and delayed.headers["retry-after"] == "1"
    assert (await throttle(db, "user:hr.syt")).failures == 1  # no account was delayed
    assert (await client_at("10.2.0.2").post(LOGIN, json=RIGHT)).status_code == 200  # another address is not
    await wait_passes(db, "ip:10.2.0.1")
    assert (await sprayer.post(LOGIN, json=RIGHT)).status_code == 200


async def test_loopback_is_no_address(client_at, db):
    """A local reverse proxy that passes no X-Forwarded-For: its address is not counted (the accounts are)."""
    for address in ("127.0.0.1", "::1"):
        assert (await client_at(address).post(LOGIN, json=WRONG)).status_code == 401
    async with db.session() as session:
        assert (await session.execute(text("SELECT key, failures FROM login_throttle"))).all() == [("user:hr.syt", 2)]


async def test_concurrent_failures_are_each_counted_once(client_at, db, settings):
    loose = create_app(settings.model_copy(update={"login_free_failures": 100, "login_free_failures_per_address": 100}),
                       db=db)
    client = client_at("10.3.0.1", on=loose)
    answers = await asyncio.gather(*(client.post(LOGIN, json=WRONG) for _ in range(20)))
    assert [a.status_code for a in answers] == [401] * 20
    assert (await throttle(db, "user:hr.syt")).failures == 20 and (await throttle(db, "ip:10.3.0.1")).failures == 20

    # with the real policy, the ones that were checked are exactly the ones counted; the rest waited
    strict = client_at("10.3.0.2")
    answers = await asyncio.gather(*(strict.post(LOGIN, json={**WRONG, "username": "hr.sgd"}) for _ in range(12)))
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {401, 429} and statuses.count(401) >= 5
    assert (await throttle(db, "user:hr.sgd")).failures == statuses.count(401)


# ---- the same answer --------------------------------------------------------------------------

async def test_unknown_inactive_and_wrong_password_answer_alike(client_at, db, monkeypatch):
    verified = []
    original = PasswordHasher.verify

    def counting(self, hashed, password):
        verified.append(hashed)
        return original(self, hashed, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    async with db.session() as session:
        inactive = (await session.execute(select(User).where(User.username == "head.sgd"))).scalars().one()
        inactive.is_active = False
        pending = (await session.execute(select(User).where(User.username == "hr.sgd"))).scalars().one()
        pending.password_hash = None  # not activated yet
    answers = {}
    for username in ("hr.syt", "khong.ton.tai", "head.sgd", "hr.sgd"):
        verified.clear()
        response = await client_at("10.4.0.1").post(LOGIN, json={"username": username, "password": "sai"})
        answers[username] = (response.status_code, response.json())
        assert len(verified) == 1, username  # one argon2 verification each: the same work, the same time
    assert len(set(json.dumps(a) for a in answers.values())) == 1
    assert answers["hr.syt"] == (401, {"detail": "Tên đăng nhập hoặc mật khẩu không đúng.", "code": "bad_credentials"})


# ---- sessions ---------------------------------------------------------------------------------

def cookie_data(client: httpx.AsyncClient) -> dict:
    value = client.cookies["hoso_session"]
    payload = value.split(".")[0]
    return json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))


async def session_row(db, token: str):
    async with db.session() as session:
        return (await session.execute(text("SELECT * FROM sessions WHERE id = :id"),
                                      {"id": hashlib.sha256(token.encode()).hexdigest()})).mappings().first()


async def test_the_cookie_holds_only_the_session_and_logout_revokes_it(client_at, db):
    client = client_at()
    assert (await client.post(LOGIN, json=RIGHT)).status_code == 200
    data = cookie_data(client)
    assert set(data) == {"sid"}  # no user id in the cookie
    row = await session_row(db, data["sid"])
    assert row["revoked_at"] is None and row["expires_at"] - row["created_at"] == timedelta(hours=8)
    stolen = client.cookies["hoso_session"]

    assert (await client.post("/api/auth/logout")).status_code == 200
    assert (await session_row(db, data["sid"]))["revoked_at"] is not None
    replay = client_at()
    replay.cookies.set("hoso_session", stolen)
    refused = await replay.get("/api/me")
    assert refused.status_code == 401 and refused.json()["code"] == "not_authenticated"
    page = await replay.get("/")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/"


async def test_the_page_logout_revokes_the_session(client_at, db):
    client = client_at()
    assert (await client.post(LOGIN, json=RIGHT)).status_code == 200
    sid = cookie_data(client)["sid"]
    page = await client.get("/")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert (await client.post("/logout", data={"csrf": token})).status_code == 303
    assert (await session_row(db, sid))["revoked_at"] is not None


async def test_idle_and_expired_sessions_end(client_at, db, settings):
    client = client_at()
    assert (await client.post(LOGIN, json=RIGHT)).status_code == 200
    digest = hashlib.sha256(cookie_data(client)["sid"].encode()).hexdigest()

    async def set_row(**values):
        async with db.session() as session:
            await session.execute(text("UPDATE sessions SET " + ", ".join(f"{k} = :{k}" for k in values) + " WHERE id = :id"),
                                  {**values, "id": digest})

    now = datetime.now(UTC)
    await set_row(last_seen_at=now - timedelta(minutes=settings.session_idle_minutes - 5))
    assert (await client.get("/api/me")).status_code == 200
    assert (await session_row_by_digest(db, digest))["last_seen_at"] > now - timedelta(minutes=1)  # marked used
    await set_row(last_seen_at=now - timedelta(minutes=settings.session_idle_minutes + 1))
    assert (await client.get("/api/me")).status_code == 401  # idle too long
    await set_row(last_seen_at=now, expires_at=now - timedelta(seconds=1))
    assert (await client.get("/api/me")).status_code == 401  # past its absolute end


async def session_row_by_digest(db, digest: str):
    async with db.session() as session:
        return (await session.execute(text("SELECT * FROM sessions WHERE id = :id"), {"id": digest})).mappings().first()


async def test_activation_ends_every_earlier_session(client_at, db):
    """After a reset (a new one-time code), whoever still holds a session of the account is out."""
    laptop, phone = client_at("10.5.0.1"), client_at("10.5.0.2")
    for client in (laptop, phone):
        assert (await client.post(LOGIN, json=RIGHT)).status_code == 200
    async with db.session() as session:
        user = (await session.execute(select(User).where(User.username == "hr.syt"))).scalars().one()
        user.activation_hash = auth.hash_secret("ma-kich-hoat")
        user.activation_expires = datetime.now(UTC) + timedelta(days=1)
    fresh = client_at("10.5.0.3")
    activated = await fresh.post("/api/auth/activate", json={"username": "hr.syt", "code": "ma-kich-hoat",
                                                             "password": "mat-khau-moi-123"})
    assert activated.status_code == 200, activated.text
    assert (await laptop.get("/api/me")).status_code == 401 and (await phone.get("/api/me")).status_code == 401
    assert (await fresh.get("/api/me")).json()["username"] == "hr.syt"
    assert (await client_at("10.5.0.4").post(LOGIN, json=RIGHT)).status_code == 401  # the old password is gone


async def test_a_new_password_keeps_only_the_session_that_set_it(db, settings, org):
    async with db.session() as session:
        user = await auth.get_user(org.users["hr.syt"], session=session)
        here = await auth.start_session(settings, user.id, session=session)
        elsewhere = await auth.start_session(settings, user.id, session=session)
    async with db.session() as session:
        user = await auth.get_user(org.users["hr.syt"], session=session)
        assert await auth.set_password(user, "mat-khau-moi-456", keep_token=here, session=session) == 1
    async with db.session() as session:
        assert (await auth.session_viewer(settings, here, session=session)).user_id == user.id
        assert await auth.session_viewer(settings, elsewhere, session=session) is None
        assert await auth.session_viewer(settings, "gia-mao", session=session) is None


# ---- headers ----------------------------------------------------------------------------------

def assert_security_headers(response: httpx.Response) -> str:
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    return response.headers["content-security-policy"]


async def test_security_headers_on_pages_api_and_files(client_at):
    client = client_at()
    for response in (await client.get("/login"), await client.get("/api/me"), await client.get("/static/app.css"),
                     await client.get("/khong-co"), await client.post(LOGIN, json=WRONG)):
        csp = assert_security_headers(response)
        assert "script-src 'self';" in csp and "style-src 'self';" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert "cdn.jsdelivr.net" in assert_security_headers(await client.get("/docs"))  # Swagger UI's own page


def test_templates_have_no_inline_script():
    """The CSP runs no inline script: code lives in ui/static/*.js."""
    found = []
    for path in sorted((ROOT / "ui" / "templates").rglob("*.html")):
        source = path.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\son[a-z]+\s*=", r"javascript:", r"\sstyle\s*="):
            found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in re.finditer(pattern, source)]
    assert found == []


# ---- body limit -------------------------------------------------------------------------------

async def call_asgi(app, method: str, path: str, headers: list[tuple[bytes, bytes]], receive):
    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), *headers], "client": ("10.6.0.1", 40000),
             "server": ("testserver", 80)}
    await asyncio.wait_for(app(scope, receive, send), timeout=5)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


async def test_an_oversize_declared_body_is_refused_without_reading_it(app, settings):
    reads = []

    async def never():  # a client still sending its terabyte
        reads.append(1)
        await asyncio.Event().wait()

    huge = [(b"content-type", b"application/json"), (b"content-length", str(10**12).encode())]
    status, headers, body = await call_asgi(app, "POST", LOGIN, huge, never)
    assert status == 413 and reads == []
    assert json.loads(body) == {"code": "payload_too_large",
                                "detail": "Dữ liệu gửi lên quá lớn: mỗi tệp đính kèm tối đa 10 MB. Vui lòng chọn tệp nhỏ hơn."}
    assert headers[b"connection"] == b"close" and headers[b"x-frame-options"] == b"DENY"
    status, headers, body = await call_asgi(app, "POST", "/revisions/1/attachments", huge, never)
    assert status == 413 and reads == [] and headers[b"content-type"].startswith(b"text/html")
    assert "tối đa 10 MB" in body.decode()


@pytest.mark.parametrize("path", [LOGIN, "/revisions/1/attachments"])
async def test_a_chunked_body_stops_being_read_past_the_limit(app, settings, path):
    """No Content-Length (or a false one): the reading stops once the limit is passed."""
    chunk = b"x" * (256 * 1024)
    reads = 0
    if path == LOGIN:
        kind, first = b"application/json", b'{"username": "'
    else:  # a scanned document that never ends
        kind = b"multipart/form-data; boundary=b0undary"
        first = (b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="scan.pdf"\r\n'
                 b"Content-Type: application/pdf\r\n\r\n%PDF-1.7\n")

    async def endless():
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": first if reads == 1 else chunk, "more_body": True}

    status, headers, body = await call_asgi(app, "POST", path, [(b"content-type", kind)], endless)
    assert status == 413
    assert ("payload_too_large" if path == LOGIN else "<h1>Dữ liệu quá lớn</h1>") in body.decode()
    assert (reads - 2) * len(chunk) <= settings.attachment_max_bytes + 1024 * 1024  # the limit and one chunk


async def test_a_real_server_answers_413_at_once(app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.05)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000000000000\r\n\r\n{\"username\"")
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), timeout=3)  # not after a terabyte
        assert status.startswith(b"HTTP/1.1 413")
        writer.close()
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, timeout=10)

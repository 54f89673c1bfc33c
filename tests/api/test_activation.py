"""One-time activation codes (a keyed hash, single use, expiring; codes stored before as argon2 hashes still
work) and passwords (argon2id at PASSWORD_HASH_PARAMETERS; a hash made with other parameters is rehashed at the
next login). The app runs on the real PostgreSQL without Temporal: nothing here starts a workflow."""
import asyncio
import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select, text

from api.main import create_app
from models import RoleGrant, User
from services import admin, auth
from services.errors import Invalid
from tests.conftest import PASSWORD

ACTIVATE = "/api/auth/activate"
NEW_PASSWORD = "mat-khau-moi-123"
# argon2-cffi's own default (RFC 9106 low-memory: 64 MiB, t=3, p=4): what hashes were made with before
OLD_HASHER = PasswordHasher()


@pytest.fixture
async def client(db, settings, org):
    clients = []

    def make(address: str) -> httpx.AsyncClient:
        app = create_app(settings, db=db)
        made = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)),
                                 base_url="http://testserver")
        clients.append(made)
        return made

    yield make
    await asyncio.gather(*(c.aclose() for c in clients))


async def new_official(db, org, username: str = "hoa.tranthi") -> str:
    """An account made by Sở Nội vụ's administrator; returns its one-time code."""
    async with db.session() as session:
        _, code = await admin.create_account(session=session, actor="sonoivu", valid_days=14, new=admin.NewAccount(
            username=username, full_name="Trần Thị Hoa", roles=["unit_hr"], unit_id=org.units["SYT"]))
    return code


async def user_row(db, username: str) -> User:
    async with db.session() as session:
        return (await session.execute(select(User).where(User.username == username))).scalars().one()


async def set_user(db, username: str, **values) -> None:
    async with db.session() as session:
        user = (await session.execute(select(User).where(User.username == username))).scalars().one()
        for name, value in values.items():
            setattr(user, name, value)


def activation(username: str, code: str, password: str = NEW_PASSWORD) -> dict:
    return {"username": username, "code": code, "password": password}


async def test_a_code_is_stored_as_a_keyed_hash_and_activates_once(client, db, org):
    code = await new_official(db, org)
    stored = (await user_row(db, "hoa.tranthi")).activation_hash
    assert stored.startswith(auth.ACTIVATION_CODE_HMAC) and code not in stored
    assert len(code) >= 16  # 96 random bits

    first = await client("10.7.0.1").post(ACTIVATE, json=activation("hoa.tranthi", code))
    assert first.status_code == 200, first.text
    user = await user_row(db, "hoa.tranthi")
    assert user.activation_hash is None and auth.verify_secret(user.password_hash, NEW_PASSWORD)

    again = await client("10.7.0.2").post(ACTIVATE, json=activation("hoa.tranthi", code, "mat-khau-lan-hai"))
    assert again.status_code == 422 and again.json()["code"] == "bad_activation"
    assert auth.verify_secret((await user_row(db, "hoa.tranthi")).password_hash, NEW_PASSWORD)


async def test_the_same_code_used_twice_at_once_activates_once(client, db, org):
    code = await new_official(db, org)
    answers = await asyncio.gather(
        client("10.7.1.1").post(ACTIVATE, json=activation("hoa.tranthi", code, "mat-khau-thu-nhat")),
        client("10.7.1.2").post(ACTIVATE, json=activation("hoa.tranthi", code, "mat-khau-thu-hai")))
    assert sorted(a.status_code for a in answers) == [200, 422]
    winner = "mat-khau-thu-nhat" if answers[0].status_code == 200 else "mat-khau-thu-hai"
    assert auth.verify_secret((await user_row(db, "hoa.tranthi")).password_hash, winner)


async def test_an_activation_under_way_does_not_hold_up_a_row_that_names_the_account(db, org, monkeypatch):
    """The activation locks the account while argon2 hashes the password (about 30 ms, longer under load); a row
    that refers to the account, such as the person's first task naming them a candidate, is written meanwhile."""
    code = await new_official(db, org)
    hashing, release = threading.Event(), threading.Event()
    real_hash = auth.hash_secret

    def held_hash(secret: str) -> str:  # runs in a thread (asyncio.to_thread), with the row locked
        hashing.set()
        release.wait(10)
        return real_hash(secret)

    monkeypatch.setattr(auth, "hash_secret", held_hash)

    async def activate() -> None:
        async with db.session() as session:
            await auth.activate("hoa.tranthi", code, NEW_PASSWORD, session=session)

    activating = asyncio.create_task(activate())
    try:
        assert await asyncio.to_thread(hashing.wait, 10)
        user_id = (await user_row(db, "hoa.tranthi")).id
        async with db.session() as session:  # refused at once if it had to wait for the activation's lock
            await session.execute(text("SET LOCAL lock_timeout = '2s'"))
            session.add(RoleGrant(user_id=user_id, role="unit_head", unit_id=org.units["SYT"]))
        assert not activating.done()
    finally:
        release.set()
    await activating
    assert auth.verify_secret((await user_row(db, "hoa.tranthi")).password_hash, NEW_PASSWORD)


async def test_a_wrong_or_expired_code_is_refused_and_sets_nothing(client, db, org):
    code = await new_official(db, org)
    for wrong in (code[:-1] + ("A" if code[-1] != "A" else "B"), "", code + "x"):
        refused = await client("10.7.2.1").post(ACTIVATE, json=activation("hoa.tranthi", wrong))
        assert refused.status_code == 422, wrong
        assert refused.json() == {"detail": "Mã kích hoạt không đúng hoặc đã hết hạn.", "code": "bad_activation"}
    unknown = await client("10.7.2.1").post(ACTIVATE, json=activation("khong.ton.tai", code))
    assert unknown.json() == refused.json()
    async with db.session() as session:  # a lone surrogate (refused by the routes before) is a wrong code too
        with pytest.raises(Invalid) as odd:
            await auth.activate("hoa.tranthi", "\ud800", NEW_PASSWORD, session=session)
    assert odd.value.code == "bad_activation"
    assert (await user_row(db, "hoa.tranthi")).password_hash is None

    await set_user(db, "hoa.tranthi", activation_expires=datetime.now(UTC) - timedelta(seconds=1))
    expired = await client("10.7.2.2").post(ACTIVATE, json=activation("hoa.tranthi", code))
    assert expired.status_code == 422 and expired.json()["code"] == "bad_activation"
    assert (await user_row(db, "hoa.tranthi")).password_hash is None


async def test_a_refused_password_keeps_the_code(client, db, org):
    code = await new_official(db, org)
    weak = await client("10.7.5.1").post(ACTIVATE, json=activation("hoa.tranthi", code, "ngan"))
    assert weak.status_code == 422 and weak.json()["code"] == "weak_password"
    user = await user_row(db, "hoa.tranthi")
    assert user.activation_hash and user.password_hash is None
    activated = await client("10.7.5.1").post(ACTIVATE, json=activation("hoa.tranthi", code))
    assert activated.status_code == 200, activated.text


async def test_a_code_stored_as_an_argon2_hash_before_still_activates_once(client, db, org):
    await new_official(db, org)
    await set_user(db, "hoa.tranthi", activation_hash=OLD_HASHER.hash("ma-cu-kich-hoat"))
    wrong = await client("10.7.3.1").post(ACTIVATE, json=activation("hoa.tranthi", "ma-cu-sai"))
    assert wrong.status_code == 422 and wrong.json()["code"] == "bad_activation"
    activated = await client("10.7.3.1").post(ACTIVATE, json=activation("hoa.tranthi", "ma-cu-kich-hoat"))
    assert activated.status_code == 200, activated.text
    again = await client("10.7.3.2").post(ACTIVATE, json=activation("hoa.tranthi", "ma-cu-kich-hoat"))
    assert again.status_code == 422 and again.json()["code"] == "bad_activation"


async def test_a_password_hashed_with_old_parameters_is_rehashed_at_login(client, db, org):
    old = OLD_HASHER.hash(PASSWORD)
    assert extract_parameters(old) != auth.PASSWORD_HASH_PARAMETERS
    await set_user(db, "hr.syt", password_hash=old)

    wrong = await client("10.7.4.1").post("/api/auth/login", json={"username": "hr.syt", "password": "sai"})
    assert wrong.status_code == 401 and (await user_row(db, "hr.syt")).password_hash == old  # only a success rehashes

    right = await client("10.7.4.2").post("/api/auth/login", json={"username": "hr.syt", "password": PASSWORD})
    assert right.status_code == 200, right.text
    rehashed = (await user_row(db, "hr.syt")).password_hash
    assert rehashed != old and extract_parameters(rehashed) == auth.PASSWORD_HASH_PARAMETERS
    assert auth.verify_secret(rehashed, PASSWORD)

    again = await client("10.7.4.3").post("/api/auth/login", json={"username": "hr.syt", "password": PASSWORD})
    assert again.status_code == 200 and (await user_row(db, "hr.syt")).password_hash == rehashed


def test_password_parameters_are_at_least_owasps_minimum():
    """OWASP Password Storage Cheat Sheet, argon2id: m = 19 MiB, t = 2, p = 1 at the least."""
    chosen = auth.PASSWORD_HASH_PARAMETERS
    assert chosen.type.name == "ID" and chosen.memory_cost >= 19 * 1024 and chosen.time_cost >= 2
    assert extract_parameters(auth.hash_secret("bat-ky")) == chosen

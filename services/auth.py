"""Passwords (argon2id), login throttled by growing delays, server-side sessions, one-time activation.

Failed logins never lock an account. They are counted per account ("user:<name>") and per client address
("ip:<address>") in `login_throttle` by one atomic upsert each: past the free failures within the window, the
n-th failure makes every attempt on that key wait 2^(n - free) seconds (at most `login_delay_max_seconds`), so a
legitimate user who waits gets in, and a success clears the account's count. An unknown user, an inactive one
and one not yet activated are checked against a dummy hash: the same answer and the same argon2 work as a
wrong password.

A session is a row of `sessions`: the browser holds a random token, the table its SHA-256. It ends at logout,
after `session_idle_minutes` unused, `session_max_hours` after the login, and when the password is set again.

A one-time activation code is not a password: it is random (96 bits), valid for `activation_valid_days` and
cleared when used, so it is stored as an HMAC-SHA256 under a subkey of HOSO_SECRET_KEY, not with argon2 (the
same choice as Django's password-reset tokens). Changing HOSO_SECRET_KEY voids the codes not yet used; HR
issues new ones. A code stored before this (an argon2 hash) is still checked with argon2.
"""
import asyncio
import hashlib
import hmac
import ipaddress
import math
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import Parameters, PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings, get_settings
from models import User
from models.accounts import LoginSession, LoginThrottle
from services import audit
from services.errors import DomainError, Invalid
from services.scope import Viewer, viewer_of, viewer_statement

# Argon2id at one of OWASP's equally strong minimum configurations, m = 19 MiB, t = 2, p = 1 (Password Storage
# Cheat Sheet, https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#argon2id).
# argon2-cffi's default (RFC 9106 low-memory: 64 MiB, t = 3, p = 4) took about ten times as long per hash on
# a 2-core server, at every login and activation. A hash made with other parameters is rehashed at the next successful login.
PASSWORD_HASH_PARAMETERS = Parameters(type=Type.ID, version=19, salt_len=16, hash_len=32,
                                      time_cost=2, memory_cost=19 * 1024, parallelism=1)
_hasher = PasswordHasher.from_parameters(PASSWORD_HASH_PARAMETERS)
MIN_PASSWORD_LENGTH = 8
# Verified when there is no password to verify, so that an unknown account costs what a known one does.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
ACTIVATION_CODE_HMAC = "hmac-sha256$"  # the prefix of a code's stored hash
LEGACY_CODE_HASH = "$argon2"  # codes issued before the HMAC were stored as argon2 hashes
_ACTIVATION_PURPOSE = b"hoso/activation-code/v1"
SESSION_TOUCH = timedelta(minutes=1)  # how stale a session's last_seen_at may get before a request rewrites it
PURGE_BATCH = 100  # stale throttle rows removed by each failed login


def hash_secret(secret: str) -> str:
    """A password's argon2id hash (a one-time code takes hash_activation_code)."""
    return _hasher.hash(secret)


def verify_secret(hashed: str | None, secret: str) -> bool:
    if not hashed:
        return False
    try:
        return _hasher.verify(hashed, secret)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(hashed: str) -> bool:
    """A hash made with other parameters than PASSWORD_HASH_PARAMETERS (or one argon2 cannot read)."""
    try:
        return _hasher.check_needs_rehash(hashed)
    except InvalidHashError:
        return True


def new_activation_code() -> str:
    return secrets.token_urlsafe(12)  # 12 random bytes: 96 bits, 16 characters


def _activation_key() -> bytes:
    """A subkey of HOSO_SECRET_KEY for activation codes only (the process's settings: web and CLI agree)."""
    secret = get_settings().secret_key.strip().encode("utf-8")
    return hmac.new(secret, _ACTIVATION_PURPOSE, hashlib.sha256).digest()


def hash_activation_code(code: str) -> str:
    typed = code.encode("utf-8", "surrogatepass")  # whatever was typed is a wrong code, never an error
    return ACTIVATION_CODE_HMAC + hmac.new(_activation_key(), typed, hashlib.sha256).hexdigest()


# Compared with when there is no pending code, so that an unknown account costs what a known one does.
_DUMMY_CODE_HASH = ACTIVATION_CODE_HMAC + "0" * 64


async def activation_code_matches(stored: str, code: str) -> bool:
    """Constant-time check of a code against its stored HMAC, or with argon2 against a legacy hash."""
    if stored.startswith(LEGACY_CODE_HASH):
        return await asyncio.to_thread(verify_secret, stored, code)
    return hmac.compare_digest(stored.encode("utf-8"), hash_activation_code(code).encode("utf-8"))


async def get_user(user_id: int, *, session: AsyncSession) -> User | None:
    return await session.get(User, user_id)


async def full_names(user_ids: set[int], *, session: AsyncSession) -> dict[int, str]:
    rows = await session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids or {-1})))
    return dict(rows.all())


async def users_by_id(user_ids: set[int], *, session: AsyncSession) -> dict[int, User]:
    rows = await session.execute(select(User).where(User.id.in_(user_ids or {-1})))
    return {user.id: user for user in rows.scalars()}


class LoginRefused(DomainError):
    status = 401
    keep_changes = True  # the failure counts must survive the refusal


class LoginDelayed(DomainError):
    """An attempt before the delay earned by earlier failures has passed: nothing is checked or counted."""

    status = 429

    def __init__(self, wait_seconds: int):
        super().__init__(f"Đăng nhập sai nhiều lần liên tiếp. Vui lòng đợi {wait_text(wait_seconds)} rồi thử lại.",
                         "login_delayed", retry_after=wait_seconds)
        self.retry_after = wait_seconds


def wait_text(seconds: int) -> str:
    minutes, seconds = divmod(seconds, 60)
    if not minutes:
        return f"{seconds} giây"
    return f"{minutes} phút" + (f" {seconds} giây" if seconds else "")


def _now() -> datetime:
    return datetime.now(UTC)


def account_key(username: str) -> str:
    return "user:" + username.strip().lower()[:100]


def address_key(address: str | None) -> str | None:
    """The client address's key; none for a loopback address, which is no official's: it is a reverse proxy on
    the same host that does not pass X-Forwarded-For (counting it would make every official wait together)."""
    if not address:
        return None
    try:
        if ipaddress.ip_address(address).is_loopback:
            return None
    except ValueError:
        pass
    return "ip:" + address[:100]


def delay_seconds(failures: int, free: int, cap: int) -> int | None:
    """The wait after the `failures`-th failure in a row: none up to `free`, then 1, 2, 4, ... s up to `cap`."""
    if failures < free:
        return None
    return min(2 ** min(failures - free, 40), cap)


# One statement per failure: the count and the delay it earns are computed by PostgreSQL from the row as it is
# when this transaction gets the row lock, so concurrent failures are each counted once. A count starts again
# after the window without failures.
_FAILURES = "CASE WHEN t.last_failure_at < :stale THEN 1 ELSE t.failures + 1 END"
_COUNT_FAILURE = text(f"""
    INSERT INTO login_throttle AS t (key, failures, last_failure_at, blocked_until)
    VALUES (:key, 1, :now, :first_until)
    ON CONFLICT (key) DO UPDATE SET
        failures = {_FAILURES},
        last_failure_at = :now,
        blocked_until = CASE WHEN {_FAILURES} >= CAST(:free AS integer) THEN :now + make_interval(secs => LEAST(
            power(2.0, LEAST({_FAILURES} - CAST(:free AS integer), 40)), CAST(:cap AS double precision))) END
    RETURNING failures, blocked_until""")
# Rows nobody needs any more (no failure within the window, no delay running); rows another login holds are
# skipped, never waited for.
_PURGE = text("""
    DELETE FROM login_throttle WHERE key IN (
        SELECT key FROM login_throttle
        WHERE last_failure_at < :stale AND (blocked_until IS NULL OR blocked_until < :now)
        LIMIT :batch FOR UPDATE SKIP LOCKED)""")


async def _count_failure(settings: Settings, key: str, free: int, now: datetime, *, session: AsyncSession) -> int:
    first = delay_seconds(1, free, settings.login_delay_max_seconds)
    row = (await session.execute(_COUNT_FAILURE, {
        "key": key, "now": now, "stale": now - timedelta(minutes=settings.login_failure_window_minutes),
        "free": free, "cap": settings.login_delay_max_seconds,
        "first_until": now + timedelta(seconds=first) if first is not None else None})).one()
    if row.failures == free:
        await audit.record(actor="system", action="login.delayed", subject=key[:128], failures=row.failures, session=session)
    return row.failures


async def _wait(keys: list[str], now: datetime, *, session: AsyncSession) -> int:
    """Seconds until every key may try again (0: now)."""
    until = (await session.execute(select(func.max(LoginThrottle.blocked_until)).where(
        LoginThrottle.key.in_(keys), LoginThrottle.blocked_until > now))).scalar()
    return max(1, math.ceil((until - now).total_seconds())) if until else 0


async def login(settings: Settings, username: str, password: str, *,
                session: AsyncSession, address: str | None = None, now: datetime | None = None) -> User:
    """The user, or LoginRefused (401, the same for an unknown user, an inactive one and a wrong password,
    after the same argon2 work) or LoginDelayed (429, while an earlier failure's delay runs on the account or
    on the client's address)."""
    def clock() -> datetime:
        return now or _now()

    name = username.strip()
    limits = [(account_key(name), settings.login_free_failures)]
    if address_key(address):
        limits.append((address_key(address), settings.login_free_failures_per_address))
    wait = await _wait([key for key, _ in limits], clock(), session=session)
    if wait:
        raise LoginDelayed(wait)
    user = (await session.execute(select(User).where(User.username == name))).scalars().first()
    usable = user is not None and user.is_active and bool(user.password_hash)
    # argon2 off the event loop: a burst of logins must not stall every other request
    verified = await asyncio.to_thread(verify_secret, user.password_hash if usable else _DUMMY_HASH, password)
    if not (usable and verified):
        failed_at = clock()  # the delay runs from the failure, not from the start of a slow verification
        for key, free in limits:
            await _count_failure(settings, key, free, failed_at, session=session)
        await session.execute(_PURGE, {"stale": failed_at - timedelta(minutes=settings.login_failure_window_minutes),
                                       "now": failed_at, "batch": PURGE_BATCH})
        raise LoginRefused("Tên đăng nhập hoặc mật khẩu không đúng.", "bad_credentials")
    if password_needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_secret, password)
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == account_key(name)))
    await audit.record(actor=user.username, action="login", subject=f"user:{user.id}", session=session)
    return user


# ---- sessions ---------------------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(settings: Settings, user_id: int, *,
                        session: AsyncSession, now: datetime | None = None) -> str:
    """A new session for the user; returns its token (for the cookie), which is stored only as a hash."""
    now = now or _now()
    await session.execute(delete(LoginSession).where(LoginSession.user_id == user_id, LoginSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(id=_digest(token), user_id=user_id, created_at=now, last_seen_at=now,
                             expires_at=now + timedelta(hours=settings.session_max_hours)))
    await session.flush()
    return token


# a live session (not revoked, not past its absolute end, used within the idle time) as the `who` of the viewer's
# statement, so a request finds both in one round trip
_SESSION_VIEWER = viewer_statement(
    "SELECT user_id, last_seen_at FROM sessions WHERE id = :digest AND revoked_at IS NULL AND expires_at > :now"
    " AND last_seen_at > :idle_since")


async def session_viewer(settings: Settings, token: object, *,
                         session: AsyncSession, now: datetime | None = None) -> Viewer | None:
    """The viewer (services/scope.py) of a live session's active user, as load_viewer would find them; marks the
    session used. None for anything else."""
    if not isinstance(token, str) or not token:
        return None
    now = now or _now()
    digest = _digest(token)
    row = (await session.execute(_SESSION_VIEWER, {
        "digest": digest, "now": now, "idle_since": now - timedelta(minutes=settings.session_idle_minutes)})).first()
    if row is None:
        return None
    await _mark_used(digest, row.last_seen_at, now, session=session)
    return viewer_of(row)


async def _mark_used(digest: str, last_seen_at: datetime, now: datetime, *, session: AsyncSession) -> None:
    if last_seen_at < now - SESSION_TOUCH:
        # a concurrent request of the same session already marks it: skip rather than wait for its commit
        free = select(LoginSession.id).where(LoginSession.id == digest).with_for_update(skip_locked=True)
        await session.execute(update(LoginSession).where(LoginSession.id.in_(free)).values(last_seen_at=now)
                              .execution_options(synchronize_session=False))


async def end_session(token: object, *, session: AsyncSession, now: datetime | None = None) -> None:
    """Logout: the session's token no longer works."""
    if isinstance(token, str) and token:
        await session.execute(update(LoginSession).where(LoginSession.id == _digest(token),
                                                         LoginSession.revoked_at.is_(None))
                              .values(revoked_at=now or _now()).execution_options(synchronize_session=False))


async def revoke_sessions(user_id: int, *, session: AsyncSession, keep_token: str | None = None,
                          now: datetime | None = None) -> int:
    """End every session of the user but the one holding `keep_token`: after a password is set or reset, or
    the account is deactivated. Returns how many were ended."""
    query = update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
    if keep_token:
        query = query.where(LoginSession.id != _digest(keep_token))
    result = await session.execute(query.values(revoked_at=now or _now()).execution_options(synchronize_session=False))
    return result.rowcount


async def set_password(user: User, password: str, *, session: AsyncSession, keep_token: str | None = None,
                       min_length: int = MIN_PASSWORD_LENGTH) -> int:
    """The user's new password; every other session of the user ends. Returns how many sessions ended."""
    if len(password) < min_length:
        raise Invalid(f"Mật khẩu phải có ít nhất {min_length} ký tự.", "weak_password")
    user.password_hash = await asyncio.to_thread(hash_secret, password)  # argon2 off the event loop
    await session.flush()
    return await revoke_sessions(user.id, keep_token=keep_token, session=session)


async def activate(username: str, code: str, password: str, *,
                   session: AsyncSession, min_length: int = MIN_PASSWORD_LENGTH) -> User:
    """Set the password with the one-time code HR handed over (the demo allows a short password); every session
    the account had ends (after a reset, whoever held the old password is out). The row is locked, so a code
    used twice at once activates once; FOR NO KEY UPDATE, as the id does not change, so a row that refers to the
    account (the person's first task names them a candidate) is not kept waiting through the argon2 hash."""
    user = (await session.execute(select(User).where(User.username == username.strip())
                                  .with_for_update(key_share=True))).scalars().first()
    now = _now()
    pending = bool(user and user.activation_hash and user.activation_expires and user.activation_expires >= now)
    # an unknown account costs the same work as a wrong code
    matches = await activation_code_matches(user.activation_hash if pending else _DUMMY_CODE_HASH, code.strip())
    if not (matches and pending):
        raise Invalid("Mã kích hoạt không đúng hoặc đã hết hạn.", "bad_activation")
    user.activation_hash = None  # used: cleared by the same UPDATE as the new password (a refusal rolls back)
    user.activation_expires = None
    ended = await set_password(user, password, min_length=min_length, session=session)
    await audit.record(actor=user.username, action="account.activated", subject=f"user:{user.id}",
                       sessions_ended=ended, session=session)
    return user

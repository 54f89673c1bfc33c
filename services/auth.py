"""Passwords (argon2), login with lockout, one-time activation of a new account."""
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import User
from services import audit
from services.errors import DomainError, Invalid

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 8


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(hashed: str | None, secret: str) -> bool:
    if not hashed:
        return False
    try:
        return _hasher.verify(hashed, secret)
    except (VerificationError, InvalidHashError):
        return False


def new_activation_code() -> str:
    return secrets.token_urlsafe(12)


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def full_names(session: AsyncSession, user_ids: set[int]) -> dict[int, str]:
    rows = await session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids or {-1})))
    return dict(rows.all())


async def users_by_id(session: AsyncSession, user_ids: set[int]) -> dict[int, User]:
    rows = await session.execute(select(User).where(User.id.in_(user_ids or {-1})))
    return {user.id: user for user in rows.scalars()}


class LoginRefused(DomainError):
    status = 401
    keep_changes = True  # the failure count must survive the refusal


async def login(session: AsyncSession, settings: Settings, username: str, password: str) -> User:
    user = (await session.execute(select(User).where(User.username == username.strip()))).scalars().first()
    now = datetime.now(UTC)
    refused = LoginRefused("Tên đăng nhập hoặc mật khẩu không đúng.", "bad_credentials")
    if user is None or not user.is_active:
        raise refused
    if user.locked_until and user.locked_until > now:
        raise LoginRefused(
            "Tài khoản tạm khóa do nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau "
            f"{settings.login_lockout_minutes} phút hoặc liên hệ Sở Nội vụ.", "locked", status=423)
    if not verify_secret(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
            user.failed_logins = 0
            await audit.record(session, actor=user.username, action="login.locked", subject=f"user:{user.id}")
        raise refused
    user.failed_logins = 0
    user.locked_until = None
    await audit.record(session, actor=user.username, action="login", subject=f"user:{user.id}")
    return user


async def activate(session: AsyncSession, username: str, code: str, password: str, *,
                   min_length: int = MIN_PASSWORD_LENGTH) -> User:
    """Set the first password with the one-time code HR handed over (the demo allows a short one)."""
    user = (await session.execute(select(User).where(User.username == username.strip()))).scalars().first()
    now = datetime.now(UTC)
    if (user is None or not user.activation_hash or not user.activation_expires
            or user.activation_expires < now or not verify_secret(user.activation_hash, code.strip())):
        raise Invalid("Mã kích hoạt không đúng hoặc đã hết hạn.", "bad_activation")
    if len(password) < min_length:
        raise Invalid(f"Mật khẩu phải có ít nhất {min_length} ký tự.", "weak_password")
    user.password_hash = hash_secret(password)
    user.activation_hash = None
    user.activation_expires = None
    await audit.record(session, actor=user.username, action="account.activated", subject=f"user:{user.id}")
    return user

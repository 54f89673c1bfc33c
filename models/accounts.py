from datetime import datetime

from sqlalchemy import DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import timestamp

# Role codes of the HTTP contract (DESIGN.md).
ROLES = {
    "person": "Cán bộ, công chức, viên chức",
    "unit_hr": "Cán bộ tổ chức",
    "unit_head": "Thủ trưởng đơn vị",
    "sonoivu_admin": "Quản trị Sở Nội vụ",
    "sonoivu_director": "Giám đốc Sở Nội vụ",
    "auditor": "Thanh tra Sở Nội vụ",
}
UNIT_ROLES = {"unit_hr", "unit_head"}
PROVINCE_ROLES = {"sonoivu_admin", "sonoivu_director", "auditor"}


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=64)
    full_name: str = Field(max_length=255)
    email: str | None = Field(default=None, max_length=255)
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="people.id", unique=True)
    password_hash: str | None = None  # None until a one-time activation sets it
    activation_hash: str | None = None
    activation_expires: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    is_active: bool = True
    # No longer read: failed logins are counted in login_throttle. Kept while services/admin.py still
    # resets them; a later migration drops both columns.
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = timestamp(nullable=False, default_now=True)


class RoleGrant(SQLModel, table=True):
    """A role held by a user; unit roles are held over a unit and its subordinate units."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "role", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    role: str = Field(max_length=32)
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)


class LoginThrottle(SQLModel, table=True):
    """Failed logins of one key, "user:<name>" or "ip:<address>", written only by atomic upserts
    (services/auth.py): after the free failures, each attempt waits until `blocked_until`."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=128)
    failures: int = 0
    last_failure_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False, index=True)
    blocked_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class LoginSession(SQLModel, table=True):
    """A signed-in browser or client: the cookie carries a random token, the table only its SHA-256."""

    __tablename__ = "sessions"

    id: str = Field(primary_key=True, max_length=64)  # hex SHA-256 of the token
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    last_seen_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)  # the absolute lifetime's end
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))

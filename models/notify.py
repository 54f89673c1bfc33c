from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from models.base import timestamp


class Notification(SQLModel, table=True):
    """An in-app notification; `key` makes a retried activity send it once."""

    __tablename__ = "notifications"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160, unique=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    task_id: int | None = Field(default=None, foreign_key="tasks.id", index=True)
    kind: str = Field(max_length=32)
    subject: str = Field(max_length=255)
    body: str
    created_at: datetime = timestamp(nullable=False, default_now=True)
    read_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    emailed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))

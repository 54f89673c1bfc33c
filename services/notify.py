"""In-app notifications, mailed over SMTP when SMTP is configured.

Each notification has a unique key, so a retried activity inserts it once and mails it once.
"""
import asyncio
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Notification, User


INSERT = text("""
    INSERT INTO notifications (key, user_id, task_id, kind, subject, body, created_at)
    SELECT :key || '/u' || u.id, u.id, CAST(:task_id AS integer), :kind, :subject, :body, CAST(:now AS timestamptz)
    FROM unnest(CAST(:user_ids AS integer[])) WITH ORDINALITY AS u(id, n) ORDER BY u.n
    ON CONFLICT (key) DO NOTHING
""")  # the users as one array parameter: compiled once, where a multi-row VALUES was compiled at every call


async def notify(*, session: AsyncSession, user_ids: set[int], key: str, kind: str, subject: str,
                 body: str, task_id: int | None = None) -> None:
    """One row per user, all in one statement; a key already there (a retried activity) is skipped."""
    if not user_ids:
        return
    await session.execute(INSERT, dict(key=key, user_ids=sorted(user_ids), task_id=task_id, kind=kind,
                                       subject=subject, body=body, now=datetime.now(UTC)))


async def unread(user_id: int, limit: int = 20, *, session: AsyncSession) -> list[Notification]:
    query = (select(Notification).where(Notification.user_id == user_id)
             .order_by(Notification.created_at.desc()).limit(limit))
    return list((await session.execute(query)).scalars())


async def mail_pending(settings: Settings, key_prefix: str, *, session: AsyncSession) -> int:
    """Mail the not-yet-mailed notifications whose key starts with key_prefix."""
    if not settings.smtp_host:
        return 0
    rows = (await session.execute(
        select(Notification, User.email).join(User, User.id == Notification.user_id)
        .where(Notification.key.startswith(key_prefix), Notification.emailed_at.is_(None))
    )).all()
    sent = 0
    for note, email in rows:
        if not email:
            continue
        await asyncio.to_thread(_send, settings, email, note.subject, note.body)
        await session.execute(update(Notification).where(Notification.id == note.id)
                              .values(emailed_at=datetime.now(UTC)))
        sent += 1
    return sent


def _send(settings: Settings, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEvent


async def record(*, session: AsyncSession, actor: str, action: str, subject: str, **detail: Any) -> None:
    session.add(AuditEvent(actor=actor, action=action, subject=subject, detail=detail))

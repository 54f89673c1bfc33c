"""In-app notifications on the real PostgreSQL: one row per user and key, a repeated call (a retried activity)
adds only the users not yet notified."""
from sqlalchemy import select

from models import Notification
from services import notify


async def test_each_user_is_notified_once_per_key(db, org):
    hr, head, admin = org.users["hr.syt"], org.users["head.syt"], org.users["sonoivu"]
    for users in ({hr, head}, {hr, head, admin}, set()):
        async with db.session() as session:
            await notify.notify(user_ids=users, key="task0/open", kind="task", subject="Nhiệm vụ mới",
                                body="Bạn có nhiệm vụ mới.", session=session)
    async with db.session() as session:
        rows = (await session.execute(select(Notification.key, Notification.user_id)
                                      .where(Notification.key.startswith("task0/")))).all()
    assert sorted(rows) == sorted((f"task0/open/u{user}", user) for user in (hr, head, admin))

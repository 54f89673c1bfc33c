"""The pool without a ping per checkout: a pooled connection whose backend was killed is replaced, when it sat
idle, before anyone sees it; when it had not, the one unit of work that meets it fails and the next works."""
import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import Database


async def _backend_pid(db: Database) -> int:
    async with db.session() as session:
        return (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()


def _kill(database_url: str, pid: int) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)


async def test_an_idle_dead_connection_is_replaced_unseen(database_url):
    db = Database(database_url, pool_size=1, idle_ping_seconds=0)  # every reused connection counts as idle
    try:
        killed = await _backend_pid(db)
        _kill(database_url, killed)
        assert await _backend_pid(db) != killed
    finally:
        await db.dispose()


async def test_a_recently_used_dead_connection_fails_once(database_url):
    db = Database(database_url, pool_size=1, idle_ping_seconds=3600)  # never pinged
    try:
        killed = await _backend_pid(db)
        _kill(database_url, killed)
        with pytest.raises(DBAPIError) as failed:
            await _backend_pid(db)
        assert failed.value.connection_invalidated
        assert await _backend_pid(db) != killed
    finally:
        await db.dispose()

"""core.db.pipelined: statements sent in pipeline mode join the unit of work's transaction, their rows are read
after the block, and a failing one surfaces as SQLAlchemy's error and rolls the whole unit of work back."""
import pytest
from sqlalchemy import exc, text

from core.db import Database, pipelined

TABLE = "CREATE TABLE IF NOT EXISTS pipelined_probe (id int PRIMARY KEY, note text)"


async def _notes(db: Database) -> list[tuple]:
    async with db.session() as session:
        return (await session.execute(text("SELECT id, note FROM pipelined_probe ORDER BY id"))).all()


async def test_statements_sent_together_commit_with_the_unit_of_work(database_url):
    db = Database(database_url, pool_size=1)
    try:
        async with db.session() as session:
            await session.execute(text(TABLE))
            await session.execute(text("TRUNCATE pipelined_probe"))
        async with db.session() as session:
            await session.execute(text("INSERT INTO pipelined_probe VALUES (1, 'before')"))  # the same transaction
            async with pipelined(session) as send:
                added = await send(text("INSERT INTO pipelined_probe VALUES (:id, :note) RETURNING id"),
                                   {"id": 2, "note": "50% sent"})
                counted = await send(text("SELECT count(*) FROM pipelined_probe"), {})
            assert await added.rows() == [(2,)] and await counted.rows() == [(2,)]
            assert (await session.execute(text("SELECT count(*) FROM pipelined_probe"))).scalar_one() == 2
        assert await _notes(db) == [(1, "before"), (2, "50% sent")]

        with pytest.raises(exc.IntegrityError):
            async with db.session() as session:
                await session.execute(text("INSERT INTO pipelined_probe VALUES (3, 'rolled back')"))
                async with pipelined(session) as send:
                    await send(text("UPDATE pipelined_probe SET note = 'changed' WHERE id = 1"), {})
                    await send(text("INSERT INTO pipelined_probe VALUES (2, 'twice')"), {})
        with pytest.raises(exc.DataError):
            async with db.session() as session:
                async with pipelined(session) as send:
                    await send(text("SELECT 1 / 0"), {})
        assert await _notes(db) == [(1, "before"), (2, "50% sent")]  # nothing of either unit of work
    finally:
        async with db.session() as session:
            await session.execute(text("DROP TABLE IF EXISTS pipelined_probe"))
        await db.dispose()

"""Database engine and sessions (async SQLAlchemy over psycopg 3).

`Database.session()` is the one unit of work: the request (api/deps.py) and each activity open
one, and nothing else commits. Services only flush.
"""
import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import psycopg
from sqlalchemy import ARRAY, Executable, Integer, any_, event, exc, literal
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def sqlalchemy_url(url: str) -> str:
    """Accept postgresql:// or postgres:// URIs and select the psycopg 3 driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    raise ValueError(f"unsupported database URL: {url.split('://')[0]}")


def any_id(ids) -> object:
    """`column == any_id(ids)`: ids as one integer-array parameter. `in_()` sends one parameter per id, and the
    driver's rewriting of a statement with hundreds of them costs more than running it."""
    return any_(literal(list(ids), ARRAY(Integer)))


IDLE_PING_SECONDS = 10.0  # a pooled connection idle longer than this is pinged before it is handed out
RECYCLE_SECONDS = 1800  # and one older than this is replaced
# session.info key: this unit of work's commit takes a row lock that every such commit waits for (the audit chain's
# head), so this process lets one at a time in: PostgreSQL wakes every waiter at each commit and all but one wait
# again, and with tens of escalations committing at once the herd delayed the holder itself.
SERIAL_COMMIT = "hoso_serial_commit"


class Database:
    def __init__(self, url: str, *, pool_size: int = 10, idle_ping_seconds: float = IDLE_PING_SECONDS):
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            sqlalchemy_url(url), pool_size=pool_size, max_overflow=20, pool_recycle=RECYCLE_SECONDS
        )
        _ping_when_idle(self.engine, idle_ping_seconds)
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._serial: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits on success, rolls back on any error and then runs what was
        registered with `on_rollback`. An error with `keep_changes` (a refusal that must leave a
        trace, e.g. a failed login's count) commits before it propagates."""
        async with self.sessions() as session:
            try:
                yield session
                await self._commit(session)
            except BaseException as err:
                if getattr(err, "keep_changes", False):
                    await self._commit(session)
                    raise
                await session.rollback()
                await _compensate(session)
                raise

    async def _commit(self, session: AsyncSession) -> None:
        if not session.info.get(SERIAL_COMMIT):
            await session.commit()
            return
        await session.flush()  # the rest of the unit of work, before waiting
        loop = asyncio.get_running_loop()
        if self._serial is None or self._serial[0] is not loop:  # a lock belongs to one event loop
            self._serial = (loop, asyncio.Lock())
        async with self._serial[1]:
            await session.commit()

    async def dispose(self) -> None:
        await self.engine.dispose()


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping a pooled connection at checkout only if it sat idle for `idle_seconds`: pool_pre_ping's round trip
    on every checkout cost ~28 per onboarding. A connection that dies while in use (a restarted server) raises
    a disconnect error, and SQLAlchemy then invalidates it and every connection pooled before it, so only
    the unit of work that met it fails; one that died while idle (the usual case) is replaced here unseen."""
    dialect = engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as err:
            # the pool replaces this connection, and the others pooled before now, and retries the checkout
            raise exc.InvalidatePoolError(f"idle connection is dead: {err}") from err


class Sent:
    """A statement sent in pipeline mode; its rows can be read once the pipeline is closed."""

    def __init__(self, cursor: psycopg.AsyncCursor):
        self._cursor = cursor

    async def rows(self) -> list[tuple]:
        return await self._cursor.fetchall() if self._cursor.description is not None else []


Send = Callable[[Executable, dict], Awaitable[Sent]]


@asynccontextmanager
async def pipelined(session: AsyncSession) -> AsyncIterator[Send]:
    """Send statements in this unit of work without waiting for each (psycopg's pipeline mode, on the session's
    own connection and transaction), and go on with other work, such as a signature, while the database runs
    them; leaving the block waits for them all. Nothing may go through the session inside the block. A statement
    that fails raises SQLAlchemy's error for it (IntegrityError, OperationalError, ...), as through the session."""
    await session.flush()
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    dialect = connection.dialect

    async def send(statement: Executable, params: dict) -> Sent:
        compiled = statement.compile(dialect=dialect)
        cursor = driver.cursor()
        await cursor.execute(str(compiled), compiled.construct_params(params))
        return Sent(cursor)

    try:
        async with driver.pipeline():
            yield send
    except psycopg.Error as err:
        raise exc.DBAPIError.instance("(pipelined)", None, err, psycopg.Error, dialect=dialect) from err


def on_rollback(session: AsyncSession, undo: Callable[[], Awaitable[object]]) -> None:
    """Undo something outside the database (a started workflow) if this unit of work fails."""
    session.info.setdefault("on_rollback", []).append(undo)


async def _compensate(session: AsyncSession) -> None:
    for undo in session.info.pop("on_rollback", []):
        try:
            await undo()
        except Exception:  # noqa: BLE001 - the original error is the one to report
            logging.getLogger(__name__).exception("compensation after rollback failed")

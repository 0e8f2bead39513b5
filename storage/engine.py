"""The async engine and transactions, for SQLite (embedded default) and PostgreSQL."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Connection, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./socialvalue.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "socialvalue_read_only"  # an execution option: this unit of work only reads
SQLITE_BUSY_OR_LOCKED = {5, 6, 261, 262, 517}  # SQLITE_BUSY, SQLITE_LOCKED and their extended codes
# PostgreSQL's: connection exceptions, shutting down or starting up, too many connections.
UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")
LOCK_WAIT_MS = "socialvalue_lock_wait_ms"  # an execution option: wait this long for SQLite's write lock


POOL_SIZE = 20  # connections kept open (as many more in a burst): the worker handles up to 16 requests at once, plus its pass


def create_engine(url: str) -> AsyncEngine:
    # Beyond the pool's size a connection is closed when returned, and opened again on the
    # next burst (a new thread for aiosqlite, a handshake for PostgreSQL).
    engine = create_async_engine(url, pool_pre_ping=not url.startswith("sqlite"), pool_size=POOL_SIZE, max_overflow=POOL_SIZE)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN, so it can be BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        record.info[LOCK_WAIT_MS] = SQLITE_BUSY_TIMEOUT_MS
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        # A unit of work that writes takes the write lock first: one that read first and wrote
        # later would fail with "database is locked" instead of waiting for busy_timeout. One
        # that only reads never takes it (in WAL, readers do not wait for the writer).
        options = connection.get_execution_options()
        wait = options.get(LOCK_WAIT_MS, SQLITE_BUSY_TIMEOUT_MS)
        if connection.info.get(LOCK_WAIT_MS) != wait:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={int(wait)}")
            connection.info[LOCK_WAIT_MS] = wait
        # A write inside `reading` fails at once and always (not only when another process
        # committed since the read began, when SQLite refuses to upgrade it): tests find it.
        # Set on the driver's cursor: a setting of the connection, not a statement of the app's.
        read_only = bool(options.get(READ_ONLY))
        if connection.info.get(READ_ONLY, False) != read_only:
            cursor = connection.connection.cursor()
            cursor.execute(f"PRAGMA query_only={int(read_only)}")
            cursor.close()
            connection.info[READ_ONLY] = read_only
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


@asynccontextmanager
async def transaction(engine: AsyncEngine, *, lock_wait_ms: int | None = None) -> AsyncIterator[AsyncSession]:
    """One unit of work: committed when the block ends, rolled back if it raises. On SQLite it
    waits for the write lock up to `lock_wait_ms` (the busy timeout if not given)."""
    bind = engine if lock_wait_ms is None else engine.execution_options(**{LOCK_WAIT_MS: lock_wait_ms})
    async with AsyncSession(bind, expire_on_commit=False) as session, session.begin():
        yield session


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A unit of work that only reads (a status, a health check, the worker's planning): on
    SQLite it never waits for, nor holds, the write lock."""
    async with AsyncSession(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False) as session, session.begin():
        yield session


def dialect_of(session: AsyncSession) -> str:
    """ "sqlite" or "postgresql": the backend this session talks to."""
    return session.get_bind().dialect.name


async def insert_if_absent(session: AsyncSession, table: type[SQLModel], values: dict[str, Any], unique: list[str]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING on either backend: safe when two processes race to
    create the same row. True if this call inserted it."""
    inserted = await session.exec(insert_unless_present(session, table, values, unique))
    return bool(getattr(inserted, "rowcount", 0) == 1)


def insert_unless_present(session: AsyncSession, table: type[SQLModel] | Table, values: dict[str, Any], unique: list[str]) -> Any:
    """The INSERT ... ON CONFLICT DO NOTHING statement of this session's backend (to add a RETURNING to)."""
    insert = postgresql.insert if dialect_of(session) == "postgresql" else sqlite.insert
    return insert(table).values(**values).on_conflict_do_nothing(index_elements=unique)


def database_unavailable(error: BaseException) -> bool:
    """A failure that says the database could not be reached or was busy (SQLite's lock held,
    PostgreSQL restarting, the connection lost), not that the work itself was wrong: worth
    trying again later."""
    if isinstance(error, SQLAlchemyTimeoutError) or (isinstance(error, DBAPIError) and error.connection_invalidated):
        return True
    causes = [error, getattr(error, "orig", None), getattr(getattr(error, "orig", None), "__cause__", None)]
    for cause in causes:
        if isinstance(cause, OSError | TimeoutError):
            return True
        if getattr(cause, "sqlite_errorcode", None) in SQLITE_BUSY_OR_LOCKED:
            return True
        if str(getattr(cause, "sqlstate", None) or "").startswith(UNAVAILABLE_SQLSTATES):
            return True
    return False

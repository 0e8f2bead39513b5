"""The async engine and transactions, for SQLite (embedded default) and PostgreSQL."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

SQLITE_BUSY_TIMEOUT_MS = 10_000


def create_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN, so it can be BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection) -> None:
        # A read that later writes would otherwise fail with "database is locked"
        # instead of waiting for busy_timeout.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """One unit of work: committed when the block ends, rolled back if it raises."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        async with session.begin():
            yield session


async def insert_if_absent(session: AsyncSession, table, values: dict, unique: list[str]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING on either backend: safe when two processes race to
    create the same row. True if this call inserted it."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    inserted = await session.exec(dialect.insert(table).values(**values).on_conflict_do_nothing(index_elements=unique))
    return inserted.rowcount == 1

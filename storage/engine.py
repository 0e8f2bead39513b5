"""The async engine and transactions, for SQLite (embedded default) and PostgreSQL."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./socialvalue.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "socialvalue_read_only"  # an execution option: this unit of work only reads


def create_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN, so it can be BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        # A unit of work that writes takes the write lock first: one that read first and wrote
        # later would fail with "database is locked" instead of waiting for busy_timeout. One
        # that only reads never takes it (in WAL, readers do not wait for the writer).
        connection.exec_driver_sql("BEGIN" if connection.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """One unit of work: committed when the block ends, rolled back if it raises."""
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
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
    insert = postgresql.insert if dialect_of(session) == "postgresql" else sqlite.insert
    inserted = await session.exec(insert(table).values(**values).on_conflict_do_nothing(index_elements=unique))
    return bool(getattr(inserted, "rowcount", 0) == 1)

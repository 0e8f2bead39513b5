"""Alembic environment: runs the migrations on the async engine of the given URL."""

import asyncio
import os

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

from storage import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.engine import DEFAULT_DATABASE_URL, create_engine

target_metadata = SQLModel.metadata
MIGRATION_LOCK = 73_100_001  # any number the app uses for nothing else: one migrator at a time


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Processes that start together wait here; the next one then finds the schema at
            # head and has nothing to do. (SQLite: storage/migrate.py locks a file.)
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        context.run_migrations()


async def run_async_migrations() -> None:
    # `socialvalue db upgrade` passes the URL; the plain `alembic` command reads DATABASE_URL.
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: give a DATABASE_URL")
asyncio.run(run_async_migrations())

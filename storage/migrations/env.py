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
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch migration rebuilds a table that others refer to (measure, by progress updates):
        # SQLite would refuse to drop it with its keys enforced. They are checked whole below,
        # before the migration commits. Set on the driver's connection: inside the transaction
        # SQLAlchemy begins, the pragma does nothing. (The engine is disposed after.)
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.close()
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
        if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
            raise RuntimeError(f"the migration left rows whose keys point nowhere: {broken[:5]}")


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

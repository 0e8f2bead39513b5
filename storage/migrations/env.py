"""Alembic environment: runs the migrations on the async engine of the given URL."""

import asyncio
import os

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

from storage import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.engine import DEFAULT_DATABASE_URL, create_engine

target_metadata = SQLModel.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
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

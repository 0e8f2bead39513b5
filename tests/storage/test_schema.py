from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import SQLModel

from storage import models  # noqa: F401
from storage.engine import create_engine
from storage.migrate import alembic_config, upgrade


async def test_migrations_create_exactly_the_models(engine):
    async with engine.connect() as connection:
        differences = await connection.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata))
    assert differences == []


async def test_upgrade_twice_changes_nothing(database_url):
    upgrade(database_url)  # already at head: must be a no-op, not an error
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    await engine.dispose()
    assert version == ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


async def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    upgrade(url)
    engine = create_engine(url)
    async with engine.connect() as connection:
        assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar() >= 5000
    await engine.dispose()

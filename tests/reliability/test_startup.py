"""Processes that start together: every one of them migrates the database (to the same
schema) without crashing, on an empty database and on one at an older migration."""

import asyncio
import os
import subprocess

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from storage.engine import create_engine
from storage.migrate import alembic_config
from tests.terminal import SOCIALVALUE

TOGETHER = 4


async def start_together(database_url: str, *args: str) -> list[subprocess.CompletedProcess]:
    env = {**os.environ, "DATABASE_URL": database_url}

    def one() -> subprocess.CompletedProcess:
        return subprocess.run([SOCIALVALUE, *args], capture_output=True, text=True, env=env, timeout=120)

    return list(await asyncio.gather(*(asyncio.to_thread(one) for _ in range(TOGETHER))))


async def version(database_url: str) -> str | None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("start_from", ["base", "0001"])
async def test_processes_started_together_all_migrate(database_url, start_from):
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), start_from)
    done = await start_together(database_url, "db", "upgrade")
    failed = [d.stderr.strip().splitlines()[-1:] for d in done if d.returncode != 0]
    print(f"\n{TOGETHER} processes started together from {start_from}: {len(failed)} failed {failed}")
    assert failed == []
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    assert await version(database_url) == head

"""Databases for tests: a real SQLite file always, and a real PostgreSQL when
TEST_DATABASE_URL points at one (CI starts one). Each test gets a fresh migrated database,
copied from a template migrated once per run."""

import asyncio
import os
import shutil
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from storage.engine import create_engine
from storage.migrate import upgrade

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
PG_TEMPLATE = f"socialvalue_template_{os.getpid()}"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _pg_admin(*statements: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(_with_database(POSTGRES_URL, "postgres").replace("+asyncpg", ""))
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return str(path)


@pytest.fixture(scope="session")
def postgres_template():
    _pg_admin(f'DROP DATABASE IF EXISTS "{PG_TEMPLATE}"', f'CREATE DATABASE "{PG_TEMPLATE}"')
    upgrade(_with_database(POSTGRES_URL, PG_TEMPLATE))
    yield PG_TEMPLATE
    _pg_admin(f'DROP DATABASE IF EXISTS "{PG_TEMPLATE}"')


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    """The URL of a fresh, migrated database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "socialvalue.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"socialvalue_test_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _with_database(POSTGRES_URL, name)
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def engine(database_url):
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()

"""Apply the Alembic migrations (`socialvalue db upgrade`, and every process at start).

Any number of processes may start together: one migrates while the others wait, then find
nothing to do (PostgreSQL: an advisory lock in migrations/env.py; SQLite: a lock on a file
beside the database, since SQLite's own lock does not cover Alembic's reads and DDL).
"""

import asyncio
import fcntl
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.engine import create_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration's revision (tests/storage/test_schema.py checks it is Alembic's head).
# A database already there needs nothing from Alembic, whose loading is half a second of
# every command's start.
HEAD = "0017"


def alembic_config(url: str) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # released when the file is closed, or the process dies
        yield


def _sqlite_lock(url: str) -> AbstractContextManager[None]:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return nullcontext()
    return _file_lock(Path(f"{parsed.database}.migrate.lock"))


def _upgrade(url: str) -> None:
    if asyncio.run(_revision_of(url)) == HEAD:
        return
    from alembic import command

    with _sqlite_lock(url):
        command.upgrade(alembic_config(url), "head")


async def _revision_of(url: str) -> str | None:
    """The schema's revision, or None if it has none yet (or it cannot be read: Alembic then
    says why)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
            return None if version is None else str(version)
    except Exception:
        return None
    finally:
        await engine.dispose()


def upgrade(url: str) -> None:
    """Bring the database at `url` to the newest schema."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        _upgrade(url)
        return
    # The migration environment runs its own event loop, which cannot nest in a running one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_upgrade, url).result()

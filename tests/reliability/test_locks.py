"""SQLite's write lock held by another process: what only reads carries on (the health check,
the worker working out what is due), instead of waiting for the lock or failing."""

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from bot.worker.loop import plan_jobs
from storage.engine import reading, transaction
from storage.models import Job, Workspace
from tests.factories import WHOLE_PLAN, plan_in_slack
from tests.fake_slack import TEAM


@pytest.fixture
def write_lock(engine):
    """Another process's writing transaction: the lock is held until the test releases it."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's database-wide write lock")
    holder = sqlite3.connect(engine.url.database, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    yield holder
    holder.rollback()
    holder.close()


async def test_the_health_check_answers_while_the_write_lock_is_held(slack, write_lock):
    async with slack.http.get(f"{slack.app_url}/healthz") as response:
        status = response.status
    print(f"\nhealth check with the write lock held: HTTP {status}")
    assert status == 200  # before: it waited out the busy timeout, then said 503


async def test_the_worker_reads_the_portfolio_without_the_write_lock(engine):
    await plan_in_slack(engine, [{"Priya Shah": "UPRIYA", "Tom Evans": "UTOM"}.get(a, a) for a in WHOLE_PLAN], team=TEAM)
    holder = sqlite3.connect(engine.url.database, isolation_level=None, timeout=0) if engine.dialect.name == "sqlite" else None
    if holder is not None:
        holder.execute("BEGIN IMMEDIATE")
    try:
        async with reading(engine) as db:  # what planning reads: here while another process writes
            assert (await db.exec(select(Job))).all() == []
    finally:
        if holder is not None:
            holder.rollback()
            holder.close()
    await plan_jobs(engine, datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    async with transaction(engine) as db:
        queued = (await db.exec(select(Job))).all()
    assert queued and {job.kind for job in queued} == {"reminder"}


async def test_planning_reads_the_same_number_of_queries_for_one_project_or_many(engine):
    """Reminder planning reads plans and updates a hundred projects at a time, not project by project."""
    from sqlalchemy import event

    from flows.reminders import reminders_wanted

    now = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    plan = [{"Priya Shah": "UPRIYA", "Tom Evans": "UTOM"}.get(a, a) for a in WHOLE_PLAN]
    counted: list[int] = []
    made = 0
    for projects in (1, 5):
        while made < projects:
            await plan_in_slack(engine, plan, team=TEAM, name=f"Scheme {made}", channel=f"C{made:04d}")
            made += 1
        statements: list[str] = []

        def count(_connection, _cursor, statement, *_args, seen=statements) -> None:
            seen.append(statement)

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            async with reading(engine) as db:
                wanted = await reminders_wanted(db, now)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        assert len({planned.job.project_id for planned in wanted}) == projects
        counted.append(len(statements))
    print(f"\nplanning: {counted[0]} queries for 1 project, {counted[1]} for 5")
    assert counted[0] == counted[1]


async def test_a_write_inside_reading_is_refused_at_once_and_the_connection_writes_again_after(engine):
    """SQLite refuses to turn a read into a write when another process committed since the read
    began, so a write inside `reading` failed only sometimes (the first request of a new
    workspace, handled alongside others). It now fails every time, so a test finds it."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's read transactions")
    workspace = {"team_id": "TNEW", "enterprise_id": "", "name": "", "created_at": datetime(2026, 11, 30, tzinfo=UTC)}
    with pytest.raises(OperationalError, match="readonly"):
        async with reading(engine) as db:
            await db.exec(insert(Workspace).values(**workspace))
    async with transaction(engine) as db:
        assert (await db.exec(select(Workspace))).all() == []  # nothing was stored
        await db.exec(insert(Workspace).values(**workspace))
    async with reading(engine) as db:
        assert [w.team_id for w in (await db.exec(select(Workspace))).all()] == ["TNEW"]

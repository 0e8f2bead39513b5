"""Benchmark: claiming and sending due reminders, against the local fake Slack Web API.

Builds P projects x 20 measures, each with W weeks of progress history, queues 10,000 due
reminders, then times one worker pass that sends them. Runs it twice, without history and
with it, and prints per run: jobs, seconds, SQL statements per job (counted by a SQLAlchemy
event listener), the process's peak resident memory so far; then the ratios. The statements per job must not grow
with the history. It also prints the claim query's plan, to show it uses the job index.

    make bench-worker                             # SQLite, 1,000 projects, 3 years weekly
    .venv/bin/python bench/worker_bench.py --projects 100 --weeks 52 --jobs 2000
    BENCH_DATABASE_URL=postgresql+asyncpg://... .venv/bin/python bench/worker_bench.py
"""

import argparse
import asyncio
import os
import resource
import sys
import time
from pathlib import Path

from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))

from seed import MEASURES, NOW, build, empty_database

from bot.settings import Settings
from bot.slack.app import slack_client
from bot.worker.loop import send_due
from bot.worker.tokens import Senders
from storage.engine import create_engine
from tests.clock import FakeClock
from tests.fake_slack import start_fake_slack


async def measure(url: str, fake_url: str, jobs: int) -> dict:
    engine = create_engine(url)
    statements = 0

    def count(*_args) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    async with engine.connect() as db:
        dialect = engine.dialect.name
        explain = "EXPLAIN QUERY PLAN" if dialect == "sqlite" else "EXPLAIN"
        plan = await db.execute(
            text(
                f"{explain} SELECT id FROM job WHERE (status = 'pending' AND due_at <= :now) "
                "OR (status = 'claimed' AND lease_until <= :now) ORDER BY due_at LIMIT 100"
            ),
            {"now": NOW.replace(tzinfo=None) if dialect == "sqlite" else NOW},
        )
        query_plan = " | ".join(str(row[-1]) for row in plan.all())
    statements = 0
    client = slack_client(Settings(slack_bot_token="xoxb-bench", slack_api_url=f"{fake_url}/api/"), wait_out_rate_limits=False)
    started = time.perf_counter()
    result = await send_due(engine, Senders(client, FakeClock(NOW)), FakeClock(NOW))
    seconds = time.perf_counter() - started
    await engine.dispose()
    assert result.sent == jobs, result
    # The process's peak resident memory so far (tracemalloc would slow the run several times).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"jobs": result.sent, "seconds": seconds, "statements": statements / jobs, "peak_mb": peak, "plan": query_plan}


async def run(args) -> list[tuple[str, str, str, str]]:
    """Measure, print the table, and return its figures as rows of the one table `make bench`
    prints: (figure, value, what it is compared with, ratio)."""
    fake, runner = await start_fake_slack()
    rows = []
    try:
        for weeks in (0, args.weeks):
            url = await empty_database(args.url)  # rebuilt for each run
            built = time.perf_counter()
            await build(url, args.projects, weeks, args.jobs)
            print(
                f"built {args.projects} projects x {MEASURES} measures x {weeks} weeks in {time.perf_counter() - built:.1f} s", flush=True
            )
            rows.append({"weeks": weeks, **await measure(url, fake.url, args.jobs)})
    finally:
        await runner.cleanup()
    print()
    print(f"{'history':>12} {'jobs':>7} {'seconds':>9} {'jobs/s':>8} {'stmts/job':>10} {'peak RSS MB':>12}")
    for row in rows:
        print(
            f"{row['weeks']:>6} weeks {row['jobs']:>7} {row['seconds']:>9.2f} {row['jobs'] / row['seconds']:>8.0f} {row['statements']:>10.2f} {row['peak_mb']:>12.0f}"
        )
    base, full = rows
    print(
        f"\nratio with history / without: time {full['seconds'] / base['seconds']:.2f}x, "
        f"statements per job {full['statements'] / base['statements']:.2f}x"
    )
    print(f"claim query plan: {full['plan']}")
    size = f"{args.jobs} reminders, {args.weeks} weeks of history"
    return [
        (
            f"worker: seconds, {size}",
            f"{full['seconds']:.2f}",
            f"{base['seconds']:.2f} without history",
            f"{full['seconds'] / base['seconds']:.2f}x",
        ),
        (
            "worker: SQL statements per job",
            f"{full['statements']:.2f}",
            f"{base['statements']:.2f} without history",
            f"{full['statements'] / base['statements']:.2f}x",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

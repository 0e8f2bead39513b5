"""Benchmark: building the weekly digest, whose SQL query count must not grow with the portfolio.

For each size (projects x 20 measures, each with a year of weekly updates) it builds the
digest once and prints the queries and seconds, then the growth from 1,000 to 5,000
projects: the goal is at most 6x the time for 5x the data, and the same number of queries.

    make bench-digest
    .venv/bin/python bench/digest_bench.py --sizes 10 100 --weeks 52
"""

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))

from seed import MEASURES, NOW, build

from flows.digest import build_digest, digest_text, iso_week
from prompts import MarkupKind
from storage.engine import create_engine, transaction
from storage.migrate import upgrade
from storage.models import Workspace


async def measure(projects: int, weeks: int) -> dict:
    url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/digest.db"
    upgrade(url)
    await build(url, projects, weeks, jobs=0)
    engine = create_engine(url)
    queries = 0

    def count(*_args) -> None:
        nonlocal queries
        queries += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    started = time.perf_counter()
    async with transaction(engine) as db:
        workspace = await db.get(Workspace, 1)
        digest = await build_digest(db, workspace, week=iso_week(NOW.date()), as_of=NOW)
    text = digest_text(digest, MarkupKind.MRKDWN)
    seconds = time.perf_counter() - started
    await engine.dispose()
    return {"projects": projects, "queries": queries, "seconds": seconds, "characters": len(text)}


async def run(sizes: list[int], weeks: int) -> list[tuple[str, str, str, str]]:
    """Measure each size, print the table, and return the growth from the smallest to the
    largest size as rows of the one table `make bench` prints."""
    rows = []
    for size in sizes:
        rows.append(await measure(size, weeks))
        print(f"measured {size} projects", flush=True)
    print(f"\n{'projects':>9} {'measures':>9} {'updates':>10} {'queries':>8} {'seconds':>8} {'digest chars':>13}")
    for row in rows:
        n = row["projects"]
        print(f"{n:>9} {n * MEASURES:>9} {n * MEASURES * weeks:>10} {row['queries']:>8} {row['seconds']:>8.2f} {row['characters']:>13}")
    by_size = {row["projects"]: row for row in rows}
    if 1000 in by_size and 5000 in by_size:
        small, large = by_size[1000], by_size[5000]
        print(
            f"\n1,000 -> 5,000 projects: time {large['seconds'] / small['seconds']:.2f}x (goal: at most 6x), "
            f"queries {small['queries']} -> {large['queries']}"
        )
    small, large = rows[0], rows[-1]
    growth = f"{large['projects'] / small['projects']:.0f}x the projects"
    return [
        (
            f"digest: seconds, {large['projects']} projects",
            f"{large['seconds']:.2f}",
            f"{small['seconds']:.2f} for {small['projects']}",
            f"{large['seconds'] / small['seconds']:.2f}x ({growth})",
        ),
        (
            f"digest: SQL queries, {large['projects']} projects",
            str(large["queries"]),
            f"{small['queries']} for {small['projects']}",
            f"{large['queries'] / small['queries']:.2f}x",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 5000])
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args()
    asyncio.run(run(args.sizes, args.weeks))


if __name__ == "__main__":
    main()

"""Every benchmark in bench/, one after another at sizes that take minutes rather than hours,
then one table of their figures, each beside what it is compared with in the same run (or the
saved baseline) and the ratio.

    make bench                                         # SQLite
    BENCH_DATABASE_URL=postgresql+asyncpg://... make bench   # an empty PostgreSQL database

Each benchmark has its own target for its full size and options: bench-worker, bench-digest,
bench-requests, bench-load.
"""

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))

import bounds_bench
import digest_bench
import load
import request_bench
import worker_bench

HERE = Path(__file__).parent


async def run(url: str) -> list[tuple[str, str, str, str]]:
    rows = []
    print("== worker ==", flush=True)
    rows += await worker_bench.run(argparse.Namespace(projects=200, weeks=52, jobs=2000, url=url))
    print("\n== digest ==", flush=True)
    rows += await digest_bench.run([10, 100, 1000], 52)
    print("\n== requests ==", flush=True)
    figures = await request_bench.run(argparse.Namespace(repeat=10, url=url, statements=False))
    backend = "postgresql" if url else "sqlite"
    rows += request_bench.summary(figures, json.loads((HERE / "request_baseline.json").read_text()).get(backend, {}))
    print("\n== largest allowed plan ==", flush=True)
    rows += await bounds_bench.run(url)
    print("\n== load ==", flush=True)
    rows += await load.main(rate=50, seconds=60, users=50)
    return rows


def main() -> None:
    rows = asyncio.run(run(os.environ.get("BENCH_DATABASE_URL", "")))
    widths = [max(len(row[n]) for row in rows) for n in range(4)]
    header = ("figure", "value", "compared with", "ratio")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    print("\n== all benchmarks ==")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()

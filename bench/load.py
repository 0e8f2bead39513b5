"""Benchmark: ack latency under sustained, mixed, signed traffic, against the real app and a
bare Bolt app on the same server stack; and how soon people get their answers.

Starts bench/bare_app.py (a Bolt app whose listeners only acknowledge) and, for each way of
handling requests (HANDLE_REQUESTS_IN=worker, then web), `socialvalue serve` and `socialvalue
worker` (real processes, on a fresh SQLite file or BENCH_DATABASE_URL) against the fake Slack
Web API on loopback. Each user first creates a project and starts its plan; then requests are
sent at a steady rate, the same schedule to each app: DM answers to the plan (half),
`/socialvalue status NAME` and `/socialvalue help`. Prints requests, errors (any answer but
200), acks over 3 s, p50/p95/p99 ack latency and its ratio to the bare app's, how long a
command waited for its answer (through its response_url), how long after the last request
everything was handled, and the web process's peak memory.

    make bench-load
    .venv/bin/python bench/load.py --rate 50 --seconds 60 --users 50 --handle-in worker web
"""

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).parents[1]))

from sqlalchemy import text

from storage.engine import create_engine, reading
from tests.fake_slack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    command_body,
    dm_event,
    event_body,
    signed_headers,
    start_fake_slack,
)

HERE = Path(__file__).parent
SOCIALVALUE = str(Path(sys.executable).with_name("socialvalue"))
ACK_LIMIT = 3.0  # seconds: Slack shows an error past this
FORM = "application/x-www-form-urlencoded"
QUIET: dict = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    sent: dict[str, float] = field(default_factory=dict)  # a command's response_url id -> when it was sent
    answered: list[float] = field(default_factory=list)  # seconds each command waited for its answer
    drained: float = float("nan")  # seconds after the last request until every request was handled

    def percentile(self, share: float, of: list[float] | None = None) -> float:
        ordered = sorted(self.latencies if of is None else of)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_until_up(http: aiohttp.ClientSession, url: str) -> None:
    for _ in range(300):
        try:
            async with http.post(url, data=b"{}") as response:
                if response.status in (200, 401):
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


def user_of(n: int, users: int, series: int) -> tuple[str, str, str]:
    """The user, channel and project of the nth request of a series (one series per app run,
    so that runs on one database do not meet)."""
    u = n % users
    return f"ULOAD{series}{u:04d}", f"C{series}{u:04d}", f"Load project {series}-{u}"


def request(n: int, users: int, series: int, responses: str) -> tuple[str, str, str | None]:
    """The nth request of the schedule: its body, content type and response_url id."""
    user, channel, project = user_of(n, users, series)
    if n % 4 in (0, 2):
        return event_body(dm_event(f"Answer {n}", user=user, channel=f"D{user[1:]}")), "application/json", None
    text, to = f"status {project}" if n % 4 == 1 else "help", f"load-{series}-{n}"
    body = command_body(text, user=user, channel=channel, response_url=f"{responses}/{to}")
    return body, FORM, to


async def send(http: aiohttp.ClientSession, url: str, body: str, content_type: str, run: Run, to: str | None = None) -> None:
    headers = {"Content-Type": content_type, **signed_headers(body)}
    started = time.perf_counter()
    if to is not None:
        run.sent[to] = time.monotonic()
    try:
        async with http.post(url, data=body.encode(), headers=headers) as response:
            await response.read()
            ok = response.status == 200
    except aiohttp.ClientError:
        ok = False
    run.latencies.append(time.perf_counter() - started)
    run.errors += not ok


async def load(http: aiohttp.ClientSession, url: str, *, rate: float, seconds: float, users: int, series: int, responses: str) -> Run:
    run, tasks = Run(), []
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        body, content_type, to = request(n, users, series, responses)
        tasks.append(asyncio.create_task(send(http, url, body, content_type, run, to)))
    await asyncio.gather(*tasks)
    return run


async def drain(run: Run, fake: FakeSlack, database: str, limit: float = 300) -> None:
    """Wait until the inbox holds nothing pending (or `limit` seconds); note how long that took
    and how long each command waited for its answer."""
    engine, started = create_engine(database), time.monotonic()
    try:
        while time.monotonic() - started < limit:
            async with reading(engine) as db:
                if not await db.scalar(text("SELECT count(*) FROM inbox WHERE state = 'pending'")):
                    run.drained = time.monotonic() - started
                    break
            await asyncio.sleep(0.2)
    finally:
        await engine.dispose()
    await fake.settle(0.5)
    answers = {call.to: call.at for call in fake.calls if call.method == "response_url" and call.to in run.sent}
    run.answered = [answers[to] - at for to, at in run.sent.items() if to in answers]


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main(rate: float, seconds: float, users: int, handle_in: tuple[str, ...] = ("worker", "web")) -> list[tuple[str, str, str, str]]:
    """Run the load, print its table, and return its figures as rows of the one table `make
    bench` prints."""
    fake, fake_runner = await start_fake_slack()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"{fake.url}/api/",
        "LOG_LEVEL": "WARNING",
    }
    responses = f"{fake.url}/response"
    bare_port = free_port()
    bare = subprocess.Popen([sys.executable, str(HERE / "bare_app.py"), "--port", str(bare_port)], env=env, **QUIET)
    bare_url = f"http://127.0.0.1:{bare_port}/slack/events"
    runs: dict[str, tuple[Run, float]] = {}
    database = ""
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            await wait_until_up(http, bare_url)
            baseline = await load(http, bare_url, rate=rate, seconds=seconds, users=users, series=0, responses=responses)
            for series, mode in enumerate(handle_in, 1):
                database = (
                    os.environ.get("BENCH_DATABASE_URL") or f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='socialvalue-load-')}/load.db"
                )
                runs[mode] = await run_app(
                    http, {**env, "DATABASE_URL": database, "HANDLE_REQUESTS_IN": mode}, rate, seconds, users, series, fake
                )
    finally:
        bare.terminate()
        bare.wait(timeout=30)
        await fake_runner.cleanup()
    backend = database.split(":", 1)[0]
    print(f"\n{backend}: {rate:g} requests/s for {seconds:g} s, {users} users")
    print(
        f"{'app':22} {'requests':>8} {'errors':>6} {'over 3 s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'ratio':>6}"
        f" {'answer p50 ms':>13} {'answer p99 ms':>13} {'handled +s':>10} {'memory MB':>9}"
    )
    rows = []
    for name, run, memory in [("bare Bolt", baseline, float("nan")), *((f"socialvalue ({mode})", *runs[mode]) for mode in runs)]:
        over = sum(latency > ACK_LIMIT for latency in run.latencies)
        ratio = run.percentile(0.99) / baseline.percentile(0.99)
        print(
            f"{name:22} {len(run.latencies):8} {run.errors:6} {over:8} {run.percentile(0.5):7.1f} {run.percentile(0.95):7.1f}"
            f" {run.percentile(0.99):7.1f} {ratio:5.2f}x {run.percentile(0.5, run.answered):13.1f}"
            f" {run.percentile(0.99, run.answered):13.1f} {run.drained:10.1f} {memory:9.0f}"
        )
        if run is baseline:
            continue
        rows += [
            (
                f"load ({backend}, {name}): p99 ack ms, {rate:g}/s for {seconds:g} s",
                f"{run.percentile(0.99):.1f}",
                f"{baseline.percentile(0.99):.1f} bare Bolt",
                f"{ratio:.2f}x (goal 1.25x)",
            ),
            (f"load ({backend}, {name}): errors / acks over 3 s", f"{run.errors} / {over}", f"of {len(run.latencies)} requests", "-"),
            (
                f"load ({backend}, {name}): p99 ms to a command's answer",
                f"{run.percentile(0.99, run.answered):.0f}",
                f"{len(run.answered)} of {len(run.sent)} answered",
                "-",
            ),
            (f"load ({backend}, {name}): web process peak memory MB", f"{memory:.0f}", "goal 150", f"{memory / 150:.2f}x"),
        ]
    return rows


async def run_app(
    http: aiohttp.ClientSession, env: dict[str, str], rate: float, seconds: float, users: int, series: int, fake: FakeSlack
) -> tuple[Run, float]:
    """`socialvalue serve` and `socialvalue worker` under the load: the run, and the web
    process's peak memory."""
    port = free_port()
    app = subprocess.Popen([SOCIALVALUE, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, **QUIET)
    worker = subprocess.Popen(["nice", "-n", "10", SOCIALVALUE, "worker"], env=env, **QUIET)
    url, responses = f"http://127.0.0.1:{port}/slack/events", f"{fake.url}/response"
    try:
        await wait_until_up(http, url)
        setup = Run()
        for u in range(users):  # a project and an open plan per user, each answered before the next
            user, channel, project = user_of(u, users, series)
            for command in (f"new {project}", "plan"):
                to, answered = f"setup-{series}-{u}-{command[0]}", len(fake.of("response_url"))
                await send(http, url, command_body(command, user=user, channel=channel, response_url=f"{responses}/{to}"), FORM, setup)
                await fake.wait_for("response_url", answered + 1, timeout=60)
        if setup.errors:
            raise RuntimeError(f"{setup.errors} setup requests failed")
        run = await load(http, url, rate=rate, seconds=seconds, users=users, series=series, responses=responses)
        await drain(run, fake, env["DATABASE_URL"])
        return run, peak_memory_mb(app.pid)
    finally:
        for process in (app, worker):
            process.terminate()
        for process in (app, worker):
            process.wait(timeout=60)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--handle-in", nargs="+", choices=["worker", "web"], default=["worker", "web"], help="HANDLE_REQUESTS_IN of each run"
    )
    args = parser.parse_args()
    asyncio.run(main(args.rate, args.seconds, args.users, tuple(args.handle_in)))

"""Benchmark: ack latency under sustained, mixed, signed traffic, against the real app and a
bare Bolt app on the same server stack.

Starts `socialvalue serve` and `socialvalue worker` (real processes, on a fresh SQLite file or
BENCH_DATABASE_URL) against the fake Slack Web API on loopback, and bench/bare_app.py (a Bolt
app whose listeners only acknowledge). Each user first creates a project and starts its plan;
then requests are sent at a steady rate, the same schedule to each app: DM answers to the plan
(half), `/socialvalue status NAME` and `/socialvalue help`. Prints requests, errors (any answer
but 200), acks over 3 s, p50/p95/p99 ack latency of both and their ratio, and the web process's
peak memory.

    make bench-load
    .venv/bin/python bench/load.py --rate 50 --seconds 60 --users 50
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

from tests.fake_slack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    command_body,
    dm_event,
    event_body,
    signed_headers,
    start_fake_slack,
)

HERE = Path(__file__).parent
SOCIALVALUE = str(Path(sys.executable).with_name("socialvalue"))
ACK_LIMIT = 3.0  # seconds: Slack shows an error past this


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
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


def request(n: int, users: int, response_url: str) -> tuple[str, str]:
    """The nth request of the schedule: its body and content type."""
    user = f"ULOAD{n % users:04d}"
    if n % 4 in (0, 2):
        return event_body(dm_event(f"Answer {n}", user=user, channel=f"D{user[1:]}")), "application/json"
    text = f"status Load project {n % users}" if n % 4 == 1 else "help"
    return command_body(text, user=user, channel=f"C{n % users:04d}", response_url=response_url), "application/x-www-form-urlencoded"


async def send(http: aiohttp.ClientSession, url: str, body: str, content_type: str, run: Run) -> None:
    headers = {"Content-Type": content_type, **signed_headers(body)}
    started = time.perf_counter()
    try:
        async with http.post(url, data=body.encode(), headers=headers) as response:
            await response.read()
            ok = response.status == 200
    except aiohttp.ClientError:
        ok = False
    run.latencies.append(time.perf_counter() - started)
    run.errors += not ok


async def load(http: aiohttp.ClientSession, url: str, *, rate: float, seconds: float, users: int, response_url: str) -> Run:
    run, tasks = Run(), []
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        body, content_type = request(n, users, response_url)
        tasks.append(asyncio.create_task(send(http, url, body, content_type, run)))
    await asyncio.gather(*tasks)
    return run


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main(rate: float, seconds: float, users: int) -> list[tuple[str, str, str, str]]:
    """Run the load, print its table, and return its figures as rows of the one table `make
    bench` prints."""
    fake, fake_runner = await start_fake_slack()
    workdir = tempfile.mkdtemp(prefix="socialvalue-load-")
    database = os.environ.get("BENCH_DATABASE_URL") or f"sqlite+aiosqlite:///{workdir}/load.db"
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"{fake.url}/api/",
        "LOG_LEVEL": "WARNING",
    }
    app_port, bare_port = free_port(), free_port()

    def start(*command: str) -> subprocess.Popen:
        return subprocess.Popen(list(command), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)

    app = start(SOCIALVALUE, "serve", "--host", "127.0.0.1", "--port", str(app_port))
    worker = start(SOCIALVALUE, "worker")
    bare = start(sys.executable, str(HERE / "bare_app.py"), "--port", str(bare_port))
    app_url, bare_url = f"http://127.0.0.1:{app_port}/slack/events", f"http://127.0.0.1:{bare_port}/slack/events"
    response_url = f"{fake.url}/response/load"
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            await wait_until_up(http, app_url)
            await wait_until_up(http, bare_url)
            setup = Run()
            for u in range(users):  # a project and an open plan per user
                user, channel = f"ULOAD{u:04d}", f"C{u:04d}"
                for text in (f"new Load project {u}", "plan"):
                    body = command_body(text, user=user, channel=channel, response_url=response_url)
                    await send(http, app_url, body, "application/x-www-form-urlencoded", setup)
            real = await load(http, app_url, rate=rate, seconds=seconds, users=users, response_url=response_url)
            baseline = await load(http, bare_url, rate=rate, seconds=seconds, users=users, response_url=response_url)
        memory = peak_memory_mb(app.pid)
    finally:
        for process in (app, worker, bare):
            process.terminate()
        for process in (app, worker, bare):
            process.wait(timeout=30)
        await fake_runner.cleanup()
    backend = database.split(":", 1)[0]
    print(f"\n{backend}: {rate:g} requests/s for {seconds:g} s, {users} users (setup: {setup.errors} errors)")
    print(f"{'app':10} {'requests':>9} {'errors':>7} {'over 3 s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, run in (("socialvalue", real), ("bare Bolt", baseline)):
        over = sum(latency > ACK_LIMIT for latency in run.latencies)
        row = f"{name:10} {len(run.latencies):9} {run.errors:7} {over:9} "
        print(row + f"{run.percentile(0.5):8.1f} {run.percentile(0.95):8.1f} {run.percentile(0.99):8.1f}")
    print(f"p99 ratio socialvalue / bare: {real.percentile(0.99) / baseline.percentile(0.99):.2f}x")
    print(f"web process peak memory: {memory:.0f} MB; Slack Web API calls answered by the fake: {len(fake.calls)}")
    over = sum(latency > ACK_LIMIT for latency in real.latencies)
    return [
        (
            f"load ({backend}): p99 ack ms, {rate:g}/s for {seconds:g} s",
            f"{real.percentile(0.99):.1f}",
            f"{baseline.percentile(0.99):.1f} bare Bolt",
            f"{real.percentile(0.99) / baseline.percentile(0.99):.2f}x (goal 1.25x)",
        ),
        (f"load ({backend}): errors / acks over 3 s", f"{real.errors} / {over}", f"of {len(real.latencies)} requests", "-"),
        (f"load ({backend}): web process peak memory MB", f"{memory:.0f}", "goal 150", f"{memory / 150:.2f}x"),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.rate, args.seconds, args.users))

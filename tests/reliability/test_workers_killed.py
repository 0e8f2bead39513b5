"""Two workers on PostgreSQL, one of them SIGKILLed at random over and over while they send a
queue of DMs and channel posts, and started again each time, as a supervisor would: every job
is posted once, or (killed while Slack took a channel post the app cannot look for) reported
as uncertain; none is posted twice and none is lost."""

import asyncio
import os
import random
import signal
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.worker.kinds import Message
from bot.worker.loop import run_worker
from flows.outbox import queue
from storage.engine import transaction
from storage.models import Job, JobStatus
from tests.clock import FakeClock
from tests.fake_slack import BOT_TOKEN
from tests.reliability.conftest import worker_client
from tests.terminal import SOCIALVALUE

ROUNDS = int(os.environ.get("SOCIALVALUE_SOAK_ROUNDS", "20"))
JOBS = max(1000, ROUNDS * 50)  # make soak: a queue that lasts as long as the kills
LEASE_SECONDS = 3


async def test_two_workers_killed_at_random_send_every_job_once(database_url, engine, fake):
    if engine.dialect.name != "postgresql":
        pytest.skip("several workers run on PostgreSQL only")
    due = datetime.now(UTC) - timedelta(minutes=1)
    async with transaction(engine) as db:
        for n in range(JOBS):  # half to people (their DM can be read back), half to channels
            channel = f"UW{n:04d}" if n % 2 else f"CW{n:04d}"
            await queue(
                db, Message(key=f"w{n}", channel=channel, text=f"Job {n}", groups=[[{"type": "divider"}]]), workspace_id=None, due_at=due
            )
    fake.delay["chat.postMessage"] = 0.02
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": f"{fake.url}/api/",
        "WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
        "LOG_LEVEL": "CRITICAL",
    }

    def start() -> subprocess.Popen:
        return subprocess.Popen([SOCIALVALUE, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    chance = random.Random(20261129)
    workers = [start(), start()]  # the first is the one running longest
    kills = 0
    try:
        for _ in range(ROUNDS):
            workers.append(start())  # the supervisor's replacement, starting while the two work
            posted = len(fake.calls)
            while len(fake.calls) < posted + 2:  # the oldest is at work
                await asyncio.sleep(0.01)
            await asyncio.sleep(chance.uniform(0, 0.3))
            oldest = workers.pop(0)  # killed at a random moment of its work
            oldest.send_signal(signal.SIGKILL)
            await asyncio.to_thread(oldest.wait, 30)  # the fake Slack, in this process, keeps answering
            kills += 1
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:  # each finishes the post in hand: the fake must answer it meanwhile
            await asyncio.to_thread(worker.wait, 60)
    by_workers = sum(1 for m in fake.of("chat.postMessage") if m.get("ts"))
    # What the killed workers held is anyone's once their lease is over: one last pass after it.
    await run_worker(engine, worker_client(f"{fake.url}/api/"), once=True, clock=FakeClock(datetime.now(UTC) + timedelta(minutes=1)))

    async with transaction(engine) as db:
        jobs = {job.dedupe_key: job for job in (await db.exec(select(Job).where(Job.dedupe_key.startswith("w")))).all()}
    posts = Counter(m["text"] for m in fake.of("chat.postMessage") if m.get("ts"))
    doubled = [key for key in jobs if posts[f"Job {key[1:]}"] > 1]
    sent = [key for key, job in jobs.items() if job.status == JobStatus.SENT]
    uncertain = [key for key, job in jobs.items() if job.status == JobStatus.FAILED and (job.last_error or "").startswith("uncertain")]
    lost = [key for key in jobs if key not in sent and key not in uncertain]
    print(
        f"\ntwo workers, {kills} SIGKILLs over {JOBS} jobs ({by_workers} posted by the workers being killed, the rest by a"
        f" last pass): {len(sent)} sent, {len(uncertain)} reported uncertain,"
        f" {len(doubled)} posted twice, {len(lost)} lost"
    )
    assert kills >= 20 or ROUNDS < 20
    assert doubled == [] and lost == [], [
        (jobs[key].status, jobs[key].attempts, jobs[key].last_error, jobs[key].due_at, jobs[key].lease_until) for key in lost
    ]
    assert all(posts[f"Job {key[1:]}"] == 1 for key in sent)
    assert all(jobs[key].payload["channel"].startswith("C") for key in uncertain)  # a DM is looked for, never uncertain

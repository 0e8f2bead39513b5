"""A worker that stops, cleanly or not: SIGTERM finishes the message in hand and gives back
the rest; a killed worker's SQLite lease and claimed jobs are free again within a minute; a
live worker is never run beside."""

import asyncio
import os
import signal
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.worker.kinds import Message
from bot.worker.loop import WORKER_LEASE, WorkerRefused, run_worker
from flows.outbox import queue
from storage.engine import transaction
from storage.jobs import get_worker_lease, take_worker_lease
from storage.models import Job, JobStatus
from tests.clock import FakeClock
from tests.fake_slack import BOT_TOKEN
from tests.reliability.conftest import worker_client
from tests.terminal import SOCIALVALUE

NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def client_of(fake):
    return worker_client(f"{fake.url}/api/")


async def queue_messages(engine, count: int, due_at: datetime = NOW) -> None:
    async with transaction(engine) as db:
        for n in range(count):
            await queue(
                db,
                Message(key=f"m{n}", channel=f"C{n:04d}", text=f"Message {n}", groups=[[{"type": "divider"}]]),
                workspace_id=None,
                due_at=due_at,
            )


async def jobs(engine) -> list[Job]:
    async with transaction(engine) as db:
        return list((await db.exec(select(Job).order_by(Job.id))).all())


async def test_asked_to_stop_the_worker_finishes_the_message_in_hand_and_gives_back_the_rest(engine, fake):
    await queue_messages(engine, 3)
    fake.delay["chat.postMessage"] = 0.5
    stop = asyncio.Event()

    async def stop_at_first_post() -> None:
        while not fake.arrived["chat.postMessage"]:  # Slack has it, and answers in 0.5 s
            await asyncio.sleep(0.01)
        stop.set()  # SIGTERM arrives while the first message is being posted

    stopper = asyncio.create_task(stop_at_first_post())
    result = await run_worker(engine, client_of(fake), once=False, clock=FakeClock(NOW), stop=stop)
    await stopper
    found = await jobs(engine)
    print(f"\nstopped mid-pass: {result.sent} sent, {sum(j.status == JobStatus.PENDING for j in found)} given back")
    assert [j.status for j in found] == [JobStatus.SENT, JobStatus.PENDING, JobStatus.PENDING]
    assert [j.attempts for j in found[1:]] == [0, 0] and all(j.lease_until is None for j in found[1:])
    assert len(fake.of("chat.postMessage")) == 1
    if engine.dialect.name == "sqlite":
        async with transaction(engine) as db:
            lease = await get_worker_lease(db)
        assert lease is not None and lease.expires_at <= NOW  # the next worker need not wait
    assert (await run_worker(engine, client_of(fake), once=True, clock=FakeClock(NOW))).sent == 2


async def test_a_killed_workers_lease_is_waited_out_within_a_minute(engine, fake):
    if engine.dialect.name != "sqlite":
        pytest.skip("the single-worker lease is SQLite's")
    await queue_messages(engine, 1)
    async with transaction(engine) as db:
        assert await take_worker_lease(db, holder="killed:123", now=NOW, ttl=WORKER_LEASE)  # then kill -9
    clock = FakeClock(NOW)
    assert (await run_worker(engine, client_of(fake), once=True, clock=clock)).sent == 1
    print(f"\nwaited {sum(clock.slept):.0f} s for a killed worker's lease")
    assert 0 < sum(clock.slept) <= WORKER_LEASE.total_seconds() + 1


class LiveWorkerBeside(FakeClock):
    """Time passing while another, live, worker renews its lease."""

    def __init__(self, now: datetime, engine) -> None:
        super().__init__(now)
        self.engine = engine

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds)
        async with transaction(self.engine) as db:
            await take_worker_lease(db, holder="live:456", now=self.current - timedelta(seconds=1), ttl=WORKER_LEASE)


async def test_a_live_worker_is_never_run_beside_and_the_refusal_says_whose_lease_it_is(engine, fake):
    if engine.dialect.name != "sqlite":
        pytest.skip("the single-worker lease is SQLite's")
    await queue_messages(engine, 1)
    async with transaction(engine) as db:
        await take_worker_lease(db, holder="live:456", now=NOW, ttl=WORKER_LEASE)
    with pytest.raises(WorkerRefused, match=r"live:456.*SIGTERM"):
        await run_worker(engine, client_of(fake), once=True, clock=LiveWorkerBeside(NOW, engine))
    assert fake.of("chat.postMessage") == []


async def test_sigterm_stops_the_worker_process_cleanly(database_url, fake, engine):
    await queue_messages(engine, 1, due_at=datetime.now(UTC))  # its post says the worker is at work (signal handlers in place)
    env = {**os.environ, "DATABASE_URL": database_url, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": f"{fake.url}/api/"}
    worker = subprocess.Popen([SOCIALVALUE, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        await fake.wait_for("chat.postMessage", 1, timeout=60)
        worker.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(worker.wait, 30)
    finally:
        if worker.poll() is None:
            worker.kill()
    print(f"\nworker after SIGTERM: exit code {code}")
    assert code == 0, worker.stderr.read() if worker.stderr else ""
    if engine.dialect.name == "sqlite":
        async with transaction(engine) as db:
            lease = await get_worker_lease(db)
        assert lease is not None and lease.expires_at <= datetime.now(UTC)  # given back: the next worker starts at once


async def test_a_worker_killed_while_slack_posts_its_message_never_gets_it_posted_twice(database_url, engine, fake):
    """Killed after Slack took the post and before the job was marked sent: the next worker
    finds the DM by its job key instead of posting it again; the other jobs the killed worker
    had claimed are sent as usual."""
    now = datetime.now(UTC)
    async with transaction(engine) as db:
        await queue(
            db,
            Message(key="in-flight", channel="UPRIYA", text="In flight", groups=[[{"type": "divider"}]]),
            workspace_id=None,
            due_at=now - timedelta(minutes=2),
        )
        await queue(
            db,
            Message(key="claimed", channel="C0002", text="Claimed", groups=[[{"type": "divider"}]]),
            workspace_id=None,
            due_at=now - timedelta(minutes=1),
        )
    fake.hang.add(("chat.postMessage", 1))
    env = {**os.environ, "DATABASE_URL": database_url, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": f"{fake.url}/api/"}
    worker = subprocess.Popen([SOCIALVALUE, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await fake.wait_for("chat.postMessage", timeout=30)
    finally:
        worker.kill()  # SIGKILL while Slack's answer is on its way
        worker.wait(timeout=30)
    later = FakeClock(now + timedelta(minutes=2))  # past the claims' lease
    await run_worker(engine, client_of(fake), once=True, clock=later)
    found = {job.dedupe_key: job for job in await jobs(engine)}
    posts = [m["text"] for m in fake.of("chat.postMessage")]
    print(f"\nkilled mid-post: {posts.count('In flight')} post of the message in flight, {posts.count('Claimed')} of the other")
    assert posts.count("In flight") == 1 and found["in-flight"].status == JobStatus.SENT
    assert posts.count("Claimed") == 1 and found["claimed"].status == JobStatus.SENT


class StopsAfterSleeps(FakeClock):
    """The worker's clock, which asks it to stop after its `n`th pause."""

    def __init__(self, now: datetime, stop: asyncio.Event, n: int) -> None:
        super().__init__(now)
        self.stop, self.n = stop, n

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds)
        if len(self.slept) >= self.n:
            self.stop.set()


async def test_a_running_worker_takes_a_killed_workers_jobs_as_soon_as_their_lease_ends(engine, fake):
    """Not at its next 30-second poll: it wakes when the lease runs out (or the next job is due)."""
    await queue_messages(engine, 1)
    async with transaction(engine) as db:  # claimed by a worker since killed, its lease 10 s from now
        await db.exec(update(Job).values(status=JobStatus.CLAIMED, attempts=1, lease_until=NOW + timedelta(seconds=10)))
    stop = asyncio.Event()
    clock = StopsAfterSleeps(NOW, stop, 2)
    result = await run_worker(engine, client_of(fake), once=False, clock=clock, stop=stop)
    print(f"\nthe stranded job was sent {clock.slept[0]:.1f} s later (the poll is 30 s)")
    assert result.sent == 1 and len(fake.of("chat.postMessage")) == 1
    assert 10 <= clock.slept[0] < 12

"""Slack's 429: its Retry-After holds for every post, not only the job it hit, and waiting
never uses up a job's attempts."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.worker.kinds import Message
from bot.worker.retry import MAX_ATTEMPTS
from flows.outbox import queue
from storage.engine import transaction
from storage.models import Job, JobStatus
from tests.clock import FakeClock
from tests.reliability.conftest import work

NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


async def test_a_429_pauses_every_post_until_retry_after(engine, fake):
    async with transaction(engine) as db:
        for n in range(5):
            await queue(
                db,
                Message(key=f"m{n}", channel=f"C{n:04d}", text=f"Message {n}", groups=[[{"type": "divider"}]]),
                workspace_id=None,
                due_at=NOW,
            )
    fake.rate_limit["chat.postMessage"] = [30]
    clock = FakeClock(NOW)
    first = await work(engine, fake, clock)
    calls_while_told_to_wait = len(fake.of("chat.postMessage")) - 1
    print(f"\n429 with Retry-After 30: {calls_while_told_to_wait} calls made inside the wait, {first.retried} jobs waiting")
    assert calls_while_told_to_wait == 0 and first.retried == 5
    async with transaction(engine) as db:
        jobs = (await db.exec(select(Job))).all()
    assert {j.status for j in jobs} == {JobStatus.PENDING} and {j.attempts for j in jobs} == {0}
    clock.advance(timedelta(seconds=31))
    assert (await work(engine, fake, clock)).sent == 5
    assert len(fake.of("chat.postMessage")) == 6  # the refused one, then each once


async def test_waiting_out_429s_never_fails_a_job(engine, fake):
    async with transaction(engine) as db:
        await queue(db, Message(key="m", channel="C0001", text="Hi", groups=[[{"type": "divider"}]]), workspace_id=None, due_at=NOW)
    fake.rate_limit["chat.postMessage"] = [1] * (MAX_ATTEMPTS + 2)
    clock = FakeClock(NOW)
    for _ in range(MAX_ATTEMPTS + 3):
        await work(engine, fake, clock)
        clock.advance(timedelta(seconds=2))
    async with transaction(engine) as db:
        [job] = (await db.exec(select(Job))).all()
    assert job.status == JobStatus.SENT

"""The job table: one row per key, claims that never overlap, leases that expire."""

import asyncio
from datetime import UTC, datetime, timedelta

from storage.engine import transaction
from storage.jobs import (
    claim_due_jobs,
    enqueue_job,
    finish_job,
    list_jobs,
    take_worker_lease,
)
from storage.models import JobStatus

T0 = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
LEASE = timedelta(minutes=5)


async def add(engine, key: str, due: datetime = T0) -> bool:
    async with transaction(engine) as db:
        return await enqueue_job(db, kind="reminder", dedupe_key=key, workspace_id=None, due_at=due, payload={"key": key})


async def claim(engine, now: datetime, limit: int = 100):
    async with transaction(engine) as db:
        return await claim_due_jobs(db, now=now, limit=limit, lease=LEASE)


async def test_the_same_key_enqueued_by_many_at_once_is_one_row(engine):
    added = await asyncio.gather(*(add(engine, "reminder:m1:2026-11-30") for _ in range(10)))
    assert added.count(True) == 1
    async with transaction(engine) as db:
        assert len(await list_jobs(db)) == 1


async def test_only_due_jobs_are_claimed_oldest_first(engine):
    await add(engine, "later", T0 + timedelta(days=1))
    await add(engine, "second", T0 - timedelta(hours=1))
    await add(engine, "first", T0 - timedelta(hours=2))
    claimed = await claim(engine, T0)
    assert [j.dedupe_key for j in claimed] == ["first", "second"]
    assert all(j.status == JobStatus.CLAIMED and j.attempts == 1 for j in claimed)
    assert await claim(engine, T0) == []  # held by the lease


async def test_a_job_whose_worker_died_is_claimed_again_when_the_lease_ends(engine):
    await add(engine, "orphan")
    [first] = await claim(engine, T0)
    assert await claim(engine, T0 + LEASE - timedelta(seconds=1)) == []
    [again] = await claim(engine, T0 + LEASE)
    assert again.id == first.id and again.attempts == 2
    async with transaction(engine) as db:
        await finish_job(db, again, status=JobStatus.SENT, now=T0 + LEASE)
    assert await claim(engine, T0 + 10 * LEASE) == []


async def test_two_workers_racing_for_500_jobs_each_take_distinct_ones(engine):
    async with transaction(engine) as db:
        for n in range(500):
            await enqueue_job(db, kind="reminder", dedupe_key=f"k{n}", workspace_id=None, due_at=T0, payload={})

    async def worker() -> list[int]:
        taken = []
        while batch := await claim(engine, T0, limit=7):
            taken += [j.id for j in batch]
            async with transaction(engine) as db:
                for job in batch:
                    await finish_job(db, job, status=JobStatus.SENT, now=T0)
        return taken

    first, second = await asyncio.gather(worker(), worker())
    assert len(first) + len(second) == 500
    assert set(first).isdisjoint(second)
    async with transaction(engine) as db:
        assert {j.status for j in await list_jobs(db)} == {JobStatus.SENT}


async def test_a_retry_waits_until_its_time(engine):
    await add(engine, "flaky")
    [job] = await claim(engine, T0)
    async with transaction(engine) as db:
        await finish_job(db, job, status=JobStatus.PENDING, now=T0, error="ratelimited", retry_at=T0 + timedelta(seconds=30))
    assert await claim(engine, T0 + timedelta(seconds=29)) == []
    [again] = await claim(engine, T0 + timedelta(seconds=30))
    assert again.last_error == "ratelimited" and again.attempts == 2


async def test_one_worker_lease_at_a_time(engine):
    async with transaction(engine) as db:
        assert await take_worker_lease(db, holder="a", now=T0, ttl=LEASE)
    async with transaction(engine) as db:
        assert not await take_worker_lease(db, holder="b", now=T0 + timedelta(minutes=1), ttl=LEASE)
        assert await take_worker_lease(db, holder="a", now=T0 + timedelta(minutes=1), ttl=LEASE)  # renewal
    async with transaction(engine) as db:
        assert await take_worker_lease(db, holder="b", now=T0 + timedelta(minutes=7), ttl=LEASE)  # a died

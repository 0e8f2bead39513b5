"""The durable job table: every outgoing message is a row before it is sent.

A job is claimed in one statement (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's write lock
does the same), for a lease: a worker killed before it finishes leaves the job to be claimed
again when the lease ends. The dedupe key is unique, so enqueueing the same message twice,
from any number of processes, leaves one row.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import dialect_of, insert_if_absent
from storage.models import Job, JobStatus, WorkerLease, utcnow

KEYS_PER_QUERY = 500  # under SQLite's limit of bound parameters


async def enqueue_job(
    session: AsyncSession, *, kind: str, dedupe_key: str, due_at: datetime, payload: dict[str, Any], workspace_id: int | None
) -> bool:
    """True if the job is new; False if a job with this key exists (whatever its status)."""
    return await insert_if_absent(
        session,
        Job,
        {
            "kind": kind,
            "dedupe_key": dedupe_key,
            "workspace_id": workspace_id,
            "due_at": due_at,
            "payload": payload,
            "status": JobStatus.PENDING,
            "attempts": 0,
            "created_at": utcnow(),
        },
        ["dedupe_key"],
    )


async def queued_keys(session: AsyncSession, keys: list[str]) -> set[str]:
    """Which of these dedupe keys are already jobs (whatever their status): a few reads
    instead of one write per key, for a pass that mostly finds its jobs queued."""
    found: set[str] = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        found.update((await session.exec(select(col(Job.dedupe_key)).where(col(Job.dedupe_key).in_(chunk)))).all())
    return found


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(col(Job.status) == JobStatus.PENDING, col(Job.due_at) <= now),
        and_(col(Job.status) == JobStatus.CLAIMED, col(Job.lease_until) <= now),
    )


async def claim_due_jobs(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta, kind: str | None = None, to: list[str] | None = None
) -> list[Job]:
    """Take up to `limit` due jobs (and jobs whose lease ran out) for this worker; only of
    `kind` and for the people in `to` (the payload's "to") when given."""
    due = select(col(Job.id)).where(_claimable(now)).order_by(col(Job.due_at)).limit(limit)
    if kind is not None:
        due = due.where(col(Job.kind) == kind)
    if to is not None:
        due = due.where(col(Job.payload)["to"].as_string().in_(to))
    if dialect_of(session) == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = await session.exec(
        update(Job)
        .where(col(Job.id).in_(due.scalar_subquery()), _claimable(now))
        .values(status=JobStatus.CLAIMED, lease_until=now + lease, attempts=col(Job.attempts) + 1)
        .returning(Job)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed.scalars().all(), key=lambda job: (job.due_at, job.id))


async def claim_jobs(session: AsyncSession, *, keys: list[str], now: datetime, lease: timedelta) -> list[Job]:
    """Take these jobs, by dedupe key, if they are due and no worker holds them: the web process
    sends what a request just queued without waiting for the worker's next pass (the worker
    sends whatever this leaves)."""
    claimed = await session.exec(
        update(Job)
        .where(col(Job.dedupe_key).in_(keys), _claimable(now))
        .values(status=JobStatus.CLAIMED, lease_until=now + lease, attempts=col(Job.attempts) + 1)
        .returning(Job)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed.scalars().all(), key=lambda job: (job.due_at, job.id))


async def finish_job(
    session: AsyncSession,
    job: Job,
    *,
    status: str,
    now: datetime,
    error: str | None = None,
    retry_at: datetime | None = None,
    counted: bool = True,
) -> None:
    """Record what became of a claimed job: sent, dropped, failed, or pending again at `retry_at`
    (with the attempt given back when it did not count: Slack only said to wait)."""
    values: dict[str, Any] = {"status": status, "last_error": error, "lease_until": None}
    if not counted:
        values["attempts"] = col(Job.attempts) - 1
    if status == JobStatus.SENT:
        values["sent_at"] = now
    if retry_at is not None:
        values["due_at"] = retry_at
    await session.exec(update(Job).where(col(Job.id) == job.id).values(**values))


async def next_job_time(session: AsyncSession) -> datetime | None:
    """When a job is next due, or a claimed one's lease next runs out (a killed worker's jobs
    are free then): the earliest moment a worker has something to take."""
    due = await session.scalar(select(func.min(col(Job.due_at))).where(col(Job.status) == JobStatus.PENDING))
    lease = await session.scalar(select(func.min(col(Job.lease_until))).where(col(Job.status) == JobStatus.CLAIMED))
    return min((moment for moment in (due, lease) if moment is not None), default=None)


async def mark_sending(session: AsyncSession, *, ids: list[int], note: str) -> None:
    """Jobs about to be posted carry `note` as their last error until they are finished: if
    the process dies meanwhile, whoever claims them next knows Slack may have them already."""
    # Not written back to the Job objects in hand: the sender reads their state from before.
    await session.exec(update(Job).where(col(Job.id).in_(ids)).values(last_error=note).execution_options(synchronize_session=False))


async def list_jobs(session: AsyncSession, *, kind: str | None = None, status: str | None = None, limit: int | None = None) -> list[Job]:
    query = select(Job).order_by(col(Job.due_at), col(Job.id))
    if kind:
        query = query.where(col(Job.kind) == kind)
    if status:
        query = query.where(col(Job.status) == status)
    if limit:
        query = query.limit(limit)
    return list((await session.exec(query)).all())


async def record_posted(session: AsyncSession, *, job_id: int, posted: list[str]) -> None:
    """The parts of a long message posted so far (their ts), kept as each one is posted."""
    await session.exec(update(Job).where(col(Job.id) == job_id).values(posted=posted))


async def retry_jobs(session: AsyncSession, *, ids: list[int] | None) -> int:
    """Put failed jobs back in the queue with their attempts counted afresh: all of them when
    `ids` is None. They are due at once (their due time has passed), and a long message
    continues from its first unsent part. Returns how many were put back."""
    query = update(Job).where(col(Job.status) == JobStatus.FAILED)
    if ids is not None:
        query = query.where(col(Job.id).in_(ids))
    done = await session.exec(query.values(status=JobStatus.PENDING, attempts=0, last_error=None, lease_until=None))
    return int(getattr(done, "rowcount", 0))


async def extend_claims(session: AsyncSession, *, ids: list[int], until: datetime) -> None:
    """A worker still at work on these jobs keeps them (its heartbeat)."""
    await session.exec(update(Job).where(col(Job.id).in_(ids), col(Job.status) == JobStatus.CLAIMED).values(lease_until=until))


async def release_claims(session: AsyncSession, *, ids: list[int]) -> None:
    """A worker that stops gives back the jobs it claimed but did not send: due again at once,
    the attempt not counted."""
    await session.exec(
        update(Job)
        .where(col(Job.id).in_(ids), col(Job.status) == JobStatus.CLAIMED)
        .values(status=JobStatus.PENDING, lease_until=None, attempts=col(Job.attempts) - 1)
    )


async def get_worker_lease(session: AsyncSession) -> WorkerLease | None:
    return await session.get(WorkerLease, "worker", populate_existing=True)


async def take_worker_lease(session: AsyncSession, *, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Hold (or renew) the single-worker lease; False while another live worker holds it."""
    await insert_if_absent(session, WorkerLease, {"name": "worker", "holder": holder, "expires_at": now + ttl}, ["name"])
    taken = await session.exec(
        update(WorkerLease)
        .where(col(WorkerLease.name) == "worker", or_(col(WorkerLease.holder) == holder, col(WorkerLease.expires_at) <= now))
        .values(holder=holder, expires_at=now + ttl)
    )
    return taken.rowcount == 1


async def release_worker_lease(session: AsyncSession, *, holder: str, now: datetime) -> None:
    await session.exec(
        update(WorkerLease).where(col(WorkerLease.name) == "worker", col(WorkerLease.holder) == holder).values(expires_at=now)
    )


async def drop_reminders(session: AsyncSession, *, measure_id: int, why: str) -> int:
    """Drop a measure's pending reminders (it was removed, or its schedule changed). Their keys
    are freed, so that planning can queue the same period again if the measure comes back."""
    dropped = await session.exec(
        update(Job)
        .where(col(Job.status) == JobStatus.PENDING, col(Job.dedupe_key).startswith(f"reminder:{measure_id}:"))
        .values(status=JobStatus.DROPPED, last_error=why, dedupe_key=col(Job.dedupe_key) + "#dropped:" + cast(col(Job.id), String))
        .execution_options(synchronize_session=False)
    )
    return dropped.rowcount or 0


async def drop_workspace_jobs(session: AsyncSession, *, workspace_ids: list[int], why: str) -> int:
    """Drop the workspaces' jobs not yet sent (the app was uninstalled there). Their keys are
    freed, so that a reminder or digest still wanted is planned again if the app comes back."""
    dropped = await session.exec(
        update(Job)
        .where(col(Job.workspace_id).in_(workspace_ids), col(Job.status).in_((JobStatus.PENDING, JobStatus.CLAIMED)))
        .values(
            status=JobStatus.DROPPED,
            last_error=why,
            lease_until=None,
            dedupe_key=col(Job.dedupe_key) + "#dropped:" + cast(col(Job.id), String),
        )
        .execution_options(synchronize_session=False)
    )
    return dropped.rowcount or 0


async def posted_summary(session: AsyncSession, *, project_id: int) -> Job | None:
    """The project's latest plan summary posted to its channel (its parts' ts are `posted`)."""
    found = await session.exec(
        select(Job)
        .where(
            col(Job.kind) == "plan_summary",
            col(Job.status) == JobStatus.SENT,
            col(Job.dedupe_key).startswith(f"summary:{project_id}:"),
        )
        .order_by(col(Job.sent_at).desc(), col(Job.id).desc())
        .limit(1)
    )
    return found.first()

"""The inbox: requests from Slack stored before they are acknowledged, until handled.

The key (an event's id, an interaction's trigger id) is unique, so a redelivery, to any
process, finds the request already stored. An entry is taken for a lease, like a job: the
web process handles it at once; the worker takes what is still pending when the lease ends
(the web process died, or the database failed while it handled it).
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import dialect_of, insert_unless_present
from storage.models import InboxEntry, InboxState


async def receive(
    session: AsyncSession, *, key: str, team: str | None, user: str | None, body: dict[str, Any], now: datetime, lease: timedelta
) -> int | None:
    """Store a request; its id, or None if one with this key was stored before."""
    values = {
        "key": key,
        "team_id": team,
        "user_id": user,
        "body": body,
        "state": InboxState.PENDING,
        "attempts": 1,
        "received_at": now,
        "retry_at": now + lease,
    }
    inserted = await session.exec(insert_unless_present(session, InboxEntry, values, ["key"]).returning(col(InboxEntry.id)))
    entry_id = inserted.scalar_one_or_none()
    return None if entry_id is None else int(entry_id)


async def take_due(session: AsyncSession, *, now: datetime, limit: int, lease: timedelta) -> list[InboxEntry]:
    """Pending entries whose lease ran out, taken for another lease (oldest first)."""
    due = and_(col(InboxEntry.state) == InboxState.PENDING, col(InboxEntry.retry_at) <= now)
    ids = select(col(InboxEntry.id)).where(due).order_by(col(InboxEntry.retry_at)).limit(limit)
    if dialect_of(session) == "postgresql":
        ids = ids.with_for_update(skip_locked=True)
    taken = await session.exec(
        update(InboxEntry)
        .where(col(InboxEntry.id).in_(ids.scalar_subquery()), due)
        .values(retry_at=now + lease, attempts=col(InboxEntry.attempts) + 1)
        .returning(InboxEntry)
        .execution_options(synchronize_session=False)
    )
    return sorted(taken.scalars().all(), key=lambda entry: entry.id)


async def finish(session: AsyncSession, *, entry_id: int, state: InboxState, error: str | None = None) -> None:
    await session.exec(update(InboxEntry).where(col(InboxEntry.id) == entry_id).values(state=state, last_error=error))


async def put_back(session: AsyncSession, *, entry_id: int, retry_at: datetime, error: str) -> None:
    """Handling failed for a reason that may pass (the database): taken again at `retry_at`."""
    await session.exec(update(InboxEntry).where(col(InboxEntry.id) == entry_id).values(retry_at=retry_at, last_error=error))


async def forget_handled(session: AsyncSession, *, before: datetime) -> int:
    """Drop handled and failed entries received before `before` (past Slack's redelivery window)."""
    dropped = await session.exec(
        delete(InboxEntry).where(col(InboxEntry.state) != InboxState.PENDING, col(InboxEntry.received_at) < before)
    )
    return int(getattr(dropped, "rowcount", 0) or 0)


async def next_retry_time(session: AsyncSession) -> datetime | None:
    """When the next pending entry may be taken by the worker."""
    return await session.scalar(select(func.min(col(InboxEntry.retry_at))).where(col(InboxEntry.state) == InboxState.PENDING))

"""The inbox: requests from Slack stored before they are acknowledged, until handled.

The key (an event's id, an interaction's trigger id) is unique, so a redelivery, to any
process, finds the request already stored. An entry is taken for a lease, like a job. Either
the web process handles it at once, and the worker takes what is still pending when that
lease ends (the web process died, or the database failed while it handled it); or the web
process only stores it, due at once, for the worker to handle.

One person's requests are taken in the order they arrived, one at a time: their answers are
stored in the order they typed them, by however many workers.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import dialect_of, insert_unless_present
from storage.models import InboxEntry, InboxState


async def receive(
    session: AsyncSession,
    *,
    key: str,
    team: str | None,
    user: str | None,
    body: dict[str, Any],
    now: datetime,
    lease: timedelta,
    taken: bool = True,
) -> int | None:
    """Store a request, `taken` for a lease by the process storing it (or due at once, to be
    taken by the worker); its id, or None if one with this key was stored before."""
    values = {
        "key": key,
        "team_id": team,
        "user_id": user,
        "body": body,
        "state": InboxState.PENDING,
        "attempts": 1 if taken else 0,
        "received_at": now,
        "retry_at": now + lease if taken else now,
    }
    table = InboxEntry.__table__  # type: ignore[attr-defined]  # SQLModel's table, set by SQLAlchemy
    # On the session's connection, without the ORM's bulk insert: this is on every ack's path.
    connection = await session.connection()
    inserted = await connection.execute(insert_unless_present(session, table, values, ["key"]).returning(table.c.id))
    entry_id = inserted.scalar_one_or_none()
    return None if entry_id is None else int(entry_id)


async def take_due(session: AsyncSession, *, now: datetime, limit: int, lease: timedelta) -> list[InboxEntry]:
    """Pending entries that are due, taken for a lease (oldest first): of each person's, only
    the first they sent that is still pending, so that the next is taken once it is handled."""
    earlier = aliased(InboxEntry)
    before_it = exists().where(
        col(earlier.user_id) == col(InboxEntry.user_id), col(earlier.state) == InboxState.PENDING, col(earlier.id) < col(InboxEntry.id)
    )
    due = and_(col(InboxEntry.state) == InboxState.PENDING, col(InboxEntry.retry_at) <= now, ~before_it)
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


async def extend(session: AsyncSession, *, entry_ids: list[int], until: datetime) -> None:
    """Keep the entries a worker is handling its own while it works (its heartbeat)."""
    await session.exec(
        update(InboxEntry)
        .where(col(InboxEntry.id).in_(entry_ids), col(InboxEntry.state) == InboxState.PENDING)
        .values(retry_at=until)
        .execution_options(synchronize_session=False)
    )


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

"""Dedupe of Slack's Events API deliveries, inside the transaction that handles the event."""

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import SlackEvent, utcnow


async def claim_event(session: AsyncSession, event_id: str) -> bool:
    """True the first time an event id is seen. Rolled back with the transaction, so a
    delivery whose handling failed is handled again when Slack retries it."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    inserted = await session.exec(
        dialect.insert(SlackEvent)
        .values(event_id=event_id, received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
    return inserted.rowcount == 1

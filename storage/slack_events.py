"""Dedupe of Slack's Events API deliveries, inside the transaction that handles the event."""

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import insert_if_absent
from storage.models import SlackEvent, utcnow


async def claim_event(session: AsyncSession, event_id: str) -> bool:
    """True the first time an event id is seen. Rolled back with the transaction, so a
    delivery whose handling failed is handled again when Slack retries it."""
    return await insert_if_absent(session, SlackEvent, {"event_id": event_id, "received_at": utcnow()}, ["event_id"])

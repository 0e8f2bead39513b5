"""The worker's share of the inbox: requests from Slack still pending after the web process's
lease (it died, or the database failed while it handled them) are handled again through the
app; after MAX_ATTEMPTS the person is told it was not saved."""

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.slack.blocks.text import fallback, text_sections
from bot.slack.inbox import Replay
from bot.worker.kinds import Message
from flows.outbox import queue
from prompts import MarkupKind, render
from storage.engine import transaction
from storage.inbox import finish, forget_handled, take_due
from storage.models import InboxEntry, InboxState

logger = logging.getLogger(__name__)
BATCH = 50
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 10  # the web process's, then the worker's: about five minutes of a failing database
KEEP = timedelta(days=1)  # handled entries, so that a late redelivery is still recognised


async def replay_inbox(engine: AsyncEngine, replay: Replay, now: datetime) -> int:
    """Handle what the inbox still holds; returns how many entries were taken."""
    async with transaction(engine) as db:
        await forget_handled(db, before=now - KEEP)
        entries = await take_due(db, now=now, limit=BATCH, lease=LEASE)
    for entry in entries:
        if entry.attempts > MAX_ATTEMPTS:
            await _give_up(engine, entry, now)
            continue
        logger.warning("handling inbox entry %s again (attempt %s): %s", entry.id, entry.attempts, entry.last_error)
        try:
            await replay(entry)
        except Exception:  # the database still down, say: taken again when the lease ends
            logger.exception("handling inbox entry %s failed", entry.id)
    return len(entries)


async def _give_up(engine: AsyncEngine, entry: InboxEntry, now: datetime) -> None:
    body = entry.body
    event = body.get("event") or {}
    text = render(
        "slack.j2:gave_up_on",
        MarkupKind.MRKDWN,
        command=body.get("command"),
        typed=body.get("text") if body.get("command") else event.get("text"),
    )
    async with transaction(engine) as db:
        await finish(db, entry_id=entry.id, state=InboxState.FAILED, error=entry.last_error)
        if entry.user_id:
            notice = Message(
                key=f"inbox:{entry.id}", channel=entry.user_id, text=fallback(text), groups=[[b.to_dict() for b in text_sections(text)]]
            )
            await queue(db, notice, due_at=now)
    logger.error("inbox entry %s given up after %s attempts: %s", entry.id, entry.attempts, entry.last_error)

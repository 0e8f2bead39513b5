"""The worker's share of the inbox: it handles, through the app, the requests from Slack that
are due. With HANDLE_REQUESTS_IN=worker that is every request, as it arrives; otherwise those
still pending after the web process's lease (it died, or the database failed while it handled
them). Several people's requests are handled at once, each person's in the order sent. After
MAX_ATTEMPTS the person is told it was not saved."""

import asyncio
import logging
from collections.abc import Awaitable
from datetime import datetime, timedelta

from slack_bolt.request.internals import extract_enterprise_id
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.slack.blocks.text import fallback, text_sections
from bot.slack.inbox import Replay
from bot.worker.kinds import Message
from flows.outbox import queue
from flows.workspaces import installed_workspace
from prompts import MarkupKind, render
from storage.engine import reading, transaction
from storage.inbox import finish, forget_handled, next_retry_time, take_due
from storage.models import InboxEntry, InboxState

logger = logging.getLogger(__name__)
BATCH = 50
LEASE = timedelta(seconds=60)  # renewed by the worker's heartbeat while it handles the entry
MAX_ATTEMPTS = 10  # the web process's, then the worker's: about five minutes of a failing database
KEEP = timedelta(days=1)  # handled entries, so that a late redelivery is still recognised
# Requests handled at the same time, each a different person's. On SQLite one process writes
# at a time: a transaction open while the event loop serves other requests would keep the web
# process waiting for the write lock, so fewer.
AT_ONCE = {"sqlite": 2, "postgresql": 16}
POLL_SECONDS = 0.1  # between two looks at the inbox when the worker handles requests as they come
# When the web process handles them, the worker only takes what it left a minute later: a
# look every few seconds is soon enough, and spares the database ten reads a second.
IDLE_POLL_SECONDS = 5.0
STOP_GRACE_SECONDS = 10.0  # for the requests in hand to finish when the worker is stopped


async def handle_inbox(
    engine: AsyncEngine, replay: Replay, clock: Clock, stop: asyncio.Event, held: set[int], *, poll_seconds: float = POLL_SECONDS
) -> None:
    """Handle requests as they fall due, looking every `poll_seconds`, until `stop` is set.
    `held` is kept to the entries in hand, for the heartbeat to renew their lease."""
    running: set[asyncio.Task[None]] = set()
    at_once = AT_ONCE.get(engine.dialect.name, 4)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            for entry in await _take(engine, clock.now(), at_once - len(running)):
                running.add(asyncio.create_task(_hold(held, entry, _handle(engine, replay, entry, clock.now()))))
            pause = asyncio.ensure_future(asyncio.sleep(poll_seconds))
            done, _ = await asyncio.wait({*running, pause, stopping}, return_when=asyncio.FIRST_COMPLETED)
            pause.cancel()
            running -= done
    finally:
        stopping.cancel()
        if running:  # what is in hand is finished; what is not taken stays due for the next worker
            await asyncio.wait(running, timeout=STOP_GRACE_SECONDS)
            for task in running:
                task.cancel()


async def _hold(held: set[int], entry: InboxEntry, handling: Awaitable[None]) -> None:
    held.add(entry.id)
    try:
        await handling
    finally:
        held.discard(entry.id)


async def replay_inbox(engine: AsyncEngine, replay: Replay, now: datetime) -> int:
    """Handle everything due now, one at a time (`socialvalue worker --once`); returns how many
    entries were taken."""
    taken = 0
    while entries := await _take(engine, now, BATCH):
        for entry in entries:
            await _handle(engine, replay, entry, now)
        taken += len(entries)
    return taken


async def forget_old(engine: AsyncEngine, now: datetime) -> None:
    async with transaction(engine) as db:
        await forget_handled(db, before=now - KEEP)


async def _take(engine: AsyncEngine, now: datetime, limit: int) -> list[InboxEntry]:
    if limit <= 0:
        return []
    try:
        async with reading(engine) as db:  # looked at often: on SQLite, without the write lock
            soonest = await next_retry_time(db)
        if soonest is None or soonest > now:
            return []
        async with transaction(engine) as db:
            return await take_due(db, now=now, limit=limit, lease=LEASE)
    except Exception:  # the database, say: looked at again shortly
        logger.exception("taking requests from the inbox failed")
        return []


async def _handle(engine: AsyncEngine, replay: Replay, entry: InboxEntry, now: datetime) -> None:
    if entry.attempts > 1:
        logger.warning("handling inbox entry %s again (attempt %s): %s", entry.id, entry.attempts, entry.last_error)
    try:
        await (_give_up(engine, entry, now) if entry.attempts > MAX_ATTEMPTS else replay(entry))
    except Exception:  # the database still down, say: taken again when the lease ends
        logger.exception("handling inbox entry %s failed", entry.id)


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
            # Sent with its workspace's token (distributed mode has no other); dropped if the app is gone.
            workspace = None
            if entry.team_id:
                workspace = await installed_workspace(db, team_id=entry.team_id, enterprise_id=extract_enterprise_id(body))
            await queue(db, notice, due_at=now, workspace_id=workspace.id if workspace else None)
    logger.error("inbox entry %s given up after %s attempts: %s", entry.id, entry.attempts, entry.last_error)

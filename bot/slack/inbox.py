"""Never acknowledge what is not stored: an event, a command or a click is written to the inbox
before Slack gets its 200, and handled from there.

By default (HANDLE_REQUESTS_IN=web) the web process handles a request right after its ack; the
handler wrapper marks it handled, or, if the database failed meanwhile, tells the person it
will be tried again, and the worker handles whatever is still pending a minute later (the web
process died, or the database failed). With HANDLE_REQUESTS_IN=worker the web process only
stores and acks, and the worker handles each request as it arrives: the web process's event
loop then does nothing else, so acks stay fast under sustained traffic. Either way the worker
tells the person if it gives up.

If a request cannot be stored at all, Slack is answered with an error before its 3-second
deadline: it resends an event, and shows a command's error to the person.
"""

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.slack.blocks.text import plain
from bot.slack.ids import SLACK_ID
from storage.engine import database_unavailable, transaction
from storage.inbox import finish, put_back, receive
from storage.models import InboxEntry, InboxState

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)  # the web process's time to handle a request before the worker may
RETRY = timedelta(seconds=30)  # after the database failed while handling it
STORE_SECONDS = 2.0  # to store a request: Slack gives up on an ack after 3
# What goes through the inbox: what Slack does not resend and the app acts on. Forms are stored
# before their ack already (their errors show in the form); menus' options are only read.
KEPT_EVENTS = {"message", "app_home_opened", "app_uninstalled", "tokens_revoked"}
KEPT_INTERACTIONS = {"block_actions", "message_action", "shortcut"}
ENTRY = "inbox_entry"  # the context's key for the entry being handled
REPLAYING = "inbox_replaying"  # set when the worker handles an entry: not stored again
AGAIN = "inbox_again"  # set when an entry may have been handled before (a later attempt)
ONLY_STORE = "inbox_only_store"  # set in the web process when the worker handles requests
SETTLED = "inbox_settled"  # set once the handler has said how the entry ended
Next = Callable[[], Awaitable[None]]


def key_of(body: dict[str, Any]) -> str | None:
    """The inbox key of a request it keeps, or None for one it does not."""
    if body.get("type") == "event_callback":
        event = body.get("event")
        kept = isinstance(event, dict) and event.get("type") in KEPT_EVENTS and body.get("event_id")
        return _key("event", body["event_id"]) if kept else None
    if body.get("command") or body.get("type") in KEPT_INTERACTIONS:
        return _key("trigger", body.get("trigger_id") or json.dumps(body, sort_keys=True))
    return None


def _key(kind: str, value: object) -> str:
    """Slack's id as it is (to find it when debugging), or a digest of anything else."""
    text = str(value)
    return (
        f"{kind}:{text}"
        if re.fullmatch(r"[\w.-]{1,120}", text, re.ASCII)
        else f"{kind}:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    )


async def keep_before_ack(body: dict[str, Any], context: AsyncBoltContext, next: Next) -> BoltResponse | None:
    """Bolt middleware, after the signature is checked and before any listener acks."""
    key = key_of(body)
    if key is None or context.get(REPLAYING):
        await next()
        return None
    clock: Clock = context["clock"]
    only_store = bool(context.get(ONLY_STORE))
    try:
        entry = await asyncio.wait_for(_store(context, key, body, clock, taken=not only_store), STORE_SECONDS)
    except Exception as failure:
        if not database_unavailable(failure):  # nothing Slack sends: handled as it is, unkept
            logger.error("a request from Slack that cannot be stored is handled without the inbox: %r", failure)
            await next()
            return None
        logger.error("a request from Slack could not be stored, so it is not acknowledged: %r", failure)
        if body.get("command"):  # the person sees this at once, in place of the command's answer
            return BoltResponse(status=200, body=plain("not_stored"))
        return BoltResponse(status=503, body="")  # Slack resends an event; a click shows as failed
    if entry is None:
        logger.info("%s was delivered again: already stored", key)
        return BoltResponse(status=200, body="")
    if only_store:  # the worker handles it, within a moment
        return BoltResponse(status=200, body="")
    context[ENTRY] = entry
    await next()
    return None


async def _store(context: AsyncBoltContext, key: str, body: dict[str, Any], clock: Clock, *, taken: bool) -> int | None:
    team, user = (value if value and re.match(SLACK_ID, value) else None for value in (context.team_id, context.user_id))
    # On SQLite, a write lock held by another process is waited for only within the deadline.
    async with transaction(context["engine"], lock_wait_ms=int(STORE_SECONDS * 1000 * 0.8)) as db:
        return await receive(db, key=key, team=team, user=user, body=body, now=clock.now(), lease=LEASE, taken=taken)


async def settle(context: AsyncBoltContext, failure: BaseException | None) -> bool:
    """Say how the entry being handled ended: handled, or (if the database failed) to be tried
    again. True if it will be tried again, and the person should be told so (the first time)."""
    entry = context.get(ENTRY)
    context[SETTLED] = True
    if entry is None:
        return False
    again = failure is not None and database_unavailable(failure)
    try:
        async with transaction(context["engine"]) as db:
            if again:
                await put_back(db, entry_id=entry, retry_at=context["clock"].now() + RETRY, error=repr(failure)[:500])
            else:
                await finish(db, entry_id=entry, state=InboxState.DONE, error=None if failure is None else repr(failure)[:500])
    except Exception:
        # Left pending: the worker takes it when its lease ends (and finds it handled, if it was).
        logger.exception("marking inbox entry %s failed", entry)
    return again and not context.get(AGAIN)


Replay = Callable[[InboxEntry], Awaitable[None]]


def replayer(app: AsyncApp, engine: AsyncEngine) -> Replay:
    """Handle a stored entry through `app` (built with `replaying=True`)."""

    async def replay(entry: InboxEntry) -> None:
        context = {ENTRY: entry.id, REPLAYING: True, AGAIN: entry.attempts > 1}
        request = AsyncBoltRequest(body=json.dumps(entry.body), headers={"content-type": "application/json"}, context=context)
        await app.async_dispatch(request)
        if not request.context.get(SETTLED):
            # No listener of the app's took it (a click it does not act on): nothing to do.
            async with transaction(engine) as db:
                await finish(db, entry_id=entry.id, state=InboxState.DONE, error="no listener")

    return replay

"""Serving the app: over HTTP (ASGI under uvicorn) at /slack/events with GET /healthz, or in
Socket Mode. Both apply the migrations first.

Over HTTP, a request's body is read only up to `MAX_BODY` and its signature checked before
Bolt parses anything: an outsider can make us neither buffer a large body nor parse a
malformed one."""

import gc
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from bot.slack.app import build_app
from storage.engine import create_engine, reading
from storage.migrate import upgrade

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
OAUTH_PATHS = ("/slack/install", "/slack/oauth_redirect")  # distributed mode's, as Bolt's defaults
# Slack's largest request, a submitted form of 100 blocks with their values, is a few hundred KB.
MAX_BODY = 1024 * 1024
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def asgi_app(app: AsyncApp, engine: AsyncEngine, signing_secret: str) -> ASGIApp:
    slack = AsyncSlackRequestHandler(app, path=EVENTS_PATH)
    verifier = SignatureVerifier(signing_secret)

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await slack(scope, receive, send)
        elif scope["path"] == "/healthz":
            await _health(engine, send)
        elif app.oauth_flow is not None and scope["method"] == "GET" and scope["path"] in OAUTH_PATHS:
            await slack(scope, receive, send)  # a browser, not Slack: nothing signed; the state proves the install
        elif scope["path"] != EVENTS_PATH or scope["method"] != "POST":
            await _plain(send, 404, b"not found\n")
        elif (body := await _read_capped(scope, receive)) is None:
            await _plain(send, 413, b"request body too large\n")
        elif not verifier.is_valid_request(body, {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}):
            await _plain(send, 401, b"invalid request\n")
        else:
            await _parsed_by_bolt(slack, scope, body, send)

    return serve


async def _read_capped(scope: Scope, receive: Receive) -> bytes | None:
    """The whole body, or None as soon as it is known to be over MAX_BODY (by its declared
    length, before reading any of it, or by what has arrived)."""
    declared = dict(scope["headers"]).get(b"content-length", b"0")
    if not declared.isdigit() or int(declared) > MAX_BODY:
        return None
    parts, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        size += len(chunk := message.get("body", b""))
        if size > MAX_BODY:
            return None
        parts.append(chunk)
        if not message.get("more_body"):
            return b"".join(parts)


async def _parsed_by_bolt(slack: AsyncSlackRequestHandler, scope: Scope, body: bytes, send: Send) -> None:
    """Bolt with the body already read. A signed body Bolt cannot parse (only Slack, or
    someone holding the signing secret, can send one) is a 400 and one log line."""
    given = False

    async def receive() -> dict[str, Any]:
        nonlocal given
        if given:
            return {"type": "http.disconnect"}
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    started = False

    async def tracked(message: dict[str, Any]) -> None:
        nonlocal started
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await slack(scope, receive, tracked)
    except (ValueError, KeyError, TypeError, AttributeError) as malformed:
        if started:
            raise
        logger.warning("a signed request Bolt could not parse: %s", type(malformed).__name__)
        await _plain(send, 400, b"malformed request\n")


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})


async def _health(engine: AsyncEngine, send: Send) -> None:
    try:
        async with reading(engine) as db:  # never waits for SQLite's write lock
            await (await db.connection()).execute(text("SELECT 1"))
        status, body = 200, b"ok\n"
    except Exception:
        status, body = 503, b"database unavailable\n"
    await _plain(send, status, body)


async def serve_http(settings: Settings, port: int, host: str = "0.0.0.0") -> None:
    import uvicorn

    upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    config = uvicorn.Config(
        asgi_app(build_app(settings, engine), engine, settings.slack_signing_secret.get_secret_value()),
        host=host,
        port=port,
        lifespan="off",
    )
    # What was built at start lives as long as the process: the garbage collector's full
    # passes need not walk it again (they would pause acks for milliseconds under load).
    gc.collect()
    gc.freeze()
    try:
        await uvicorn.Server(config).serve()
    finally:
        await engine.dispose()


async def serve_socket_mode(settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        handler = AsyncSocketModeHandler(build_app(settings, engine), settings.slack_app_token.get_secret_value())
        await handler.start_async()  # type: ignore[no-untyped-call]  # slack_bolt leaves it unannotated
    finally:
        await engine.dispose()

"""Serving the app: over HTTP (ASGI under uvicorn) at /slack/events with GET /healthz, or in
Socket Mode. Both apply the migrations first."""

import gc
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from bot.slack.app import build_app
from storage.engine import create_engine, reading
from storage.migrate import upgrade

EVENTS_PATH = "/slack/events"
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def asgi_app(app: AsyncApp, engine: AsyncEngine) -> ASGIApp:
    slack = AsyncSlackRequestHandler(app, path=EVENTS_PATH)

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/healthz":
            await _health(engine, send)
            return
        await slack(scope, receive, send)

    return serve


async def _health(engine: AsyncEngine, send: Send) -> None:
    try:
        async with reading(engine) as db:  # never waits for SQLite's write lock
            await (await db.connection()).execute(text("SELECT 1"))
        status, body = 200, b"ok\n"
    except Exception:
        status, body = 503, b"database unavailable\n"
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})


async def serve_http(settings: Settings, port: int, host: str = "0.0.0.0") -> None:
    import uvicorn

    upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    config = uvicorn.Config(asgi_app(build_app(settings, engine), engine), host=host, port=port, lifespan="off")
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

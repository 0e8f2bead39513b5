"""Fixtures for the Slack surface: a fake clock, and the real app served over HTTP against
the fake Slack Web API (the harness is tests/slack_app.py)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import aiohttp
import pytest
import uvicorn

from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.inbox import replayer
from bot.slack.server import asgi_app
from bot.worker.inbox import handle_inbox
from tests.clock import FakeClock
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, start_fake_slack
from tests.slack_app import Slack


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 28, 10, 0, tzinfo=UTC))


@pytest.fixture
async def slack(database_url, engine, clock):
    async for served in serve(database_url, engine, clock, handle_requests_in="web"):
        yield served


@pytest.fixture
async def slack_via_worker(database_url, engine, clock):
    """The app with HANDLE_REQUESTS_IN=worker: the web process only stores and acks; the
    worker's inbox handling runs alongside, as in `socialvalue worker`."""
    async for served in serve(database_url, engine, clock, handle_requests_in="worker"):
        yield served


@asynccontextmanager
async def web_process(settings: Settings, engine, clock) -> AsyncIterator[str]:
    """`socialvalue serve`, in this process: the app over HTTP on loopback; yields its address."""
    config = uvicorn.Config(
        asgi_app(build_app(settings, engine, clock), engine, settings.slack_signing_secret.get_secret_value()),
        host="127.0.0.1",
        port=0,
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving


async def serve(database_url, engine, clock, *, handle_requests_in: str):
    fake, fake_runner = await start_fake_slack()
    settings = Settings(
        database_url=database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=f"{fake.url}/api/",
        socialvalue_admins="ULISTED",
        handle_requests_in=handle_requests_in,
    )
    stop, worker = asyncio.Event(), None
    if handle_requests_in == "worker":
        replay = replayer(build_app(settings, engine, clock, replaying=True), engine)
        worker = asyncio.create_task(handle_inbox(engine, replay, clock, stop, set()))
    async with web_process(settings, engine, clock) as url, aiohttp.ClientSession() as http:
        yield Slack(fake, url, http, engine, clock)
        await fake.settle(0.2)
    stop.set()
    if worker is not None:
        await worker
    await fake_runner.cleanup()

"""The Bolt app: one factory, thin. Listeners live in bot/listeners/."""

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import SystemClock
from bot.listeners import register_listeners
from storage.settings import Settings


def slack_client(settings: Settings, *, wait_out_rate_limits: bool) -> AsyncWebClient:
    """The Web API client. Listeners run after the ack, so they may wait out a 429; the
    worker does not (it puts the job back until Slack's Retry-After instead)."""
    handlers = [AsyncConnectionErrorRetryHandler(), AsyncServerErrorRetryHandler(max_retry_count=2)]
    if wait_out_rate_limits:
        handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    return AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, retry_handlers=handlers)


def build_app(settings: Settings, engine: AsyncEngine, clock=None) -> AsyncApp:
    client = slack_client(settings, wait_out_rate_limits=True)
    # Bolt's own ssl_check answers before the signature is checked; ours runs after it.
    app = AsyncApp(client=client, signing_secret=settings.slack_signing_secret, ssl_check_enabled=False)

    @app.middleware
    async def answer_ssl_check(body, next):
        if body.get("ssl_check") == "1":
            return BoltResponse(status=200, body="")
        await next()

    @app.middleware
    async def drop_unusable_assistant_events(body, next):
        # Bolt's assistant middleware fails with a 500 (and Slack retries) on an assistant
        # event without its thread; such an event can only be dropped.
        event = body.get("event") or {}
        thread = event.get("assistant_thread")
        if str(event.get("type", "")).startswith("assistant_thread_") and not (
            isinstance(thread, dict) and thread.get("channel_id") and thread.get("thread_ts")
        ):
            return BoltResponse(status=200, body="")
        await next()

    @app.middleware
    async def provide_engine(context, next):
        context["engine"] = engine
        context["clock"] = clock or SystemClock()
        context["admins"] = settings.admins()
        await next()

    register_listeners(app)
    return app

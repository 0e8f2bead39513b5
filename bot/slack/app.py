"""The Bolt app: one factory, thin. Listeners live in bot/slack/listeners/."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientConnectorError
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock, SystemClock
from bot.logs import bind_request, redact_slack_sdk
from bot.settings import Settings
from bot.slack.inbox import ONLY_STORE, keep_before_ack
from bot.slack.listeners import register_listeners
from bot.slack.oauth import install_flow, installations
from bot.slack.scope import INSTALLATIONS
from prompts import MarkupKind, render

Next = Callable[[], Awaitable[None]]


class ConnectionRetryNeverReposts(AsyncConnectionErrorRetryHandler):
    """Retries a call whose connection failed, except a post that may have reached Slack: the
    worker reconciles those by their job key instead of posting them twice."""

    async def _can_retry_async(
        self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None, error: Exception | None = None
    ) -> bool:
        if request.url.endswith("chat.postMessage") and not isinstance(error, ClientConnectorError):
            return False
        return await super()._can_retry_async(state=state, request=request, response=response, error=error)


def slack_client(settings: Settings, *, wait_out_rate_limits: bool) -> AsyncWebClient:
    """The Web API client. Listeners run after the ack, so they may wait out a 429; the
    worker does not (it puts the job back until Slack's Retry-After instead)."""
    handlers: list[AsyncRetryHandler] = [ConnectionRetryNeverReposts(), AsyncServerErrorRetryHandler(max_retry_count=2)]
    if wait_out_rate_limits:
        handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    token = settings.slack_bot_token.get_secret_value()
    redact_slack_sdk()
    return AsyncWebClient(token=token or None, base_url=settings.slack_api_url, retry_handlers=handlers)


def build_app(settings: Settings, engine: AsyncEngine, clock: Clock | None = None, *, replaying: bool = False) -> AsyncApp:
    """The app Slack's requests go to; with `replaying`, the worker's copy that handles what the
    inbox still holds (already verified when it arrived; handled before `async_dispatch` returns)."""
    client = slack_client(settings, wait_out_rate_limits=True)
    # Distributed: each request is authorised with its workspace's installation, from the database.
    store = installations(settings, engine)
    # Bolt's own ssl_check answers before the signature is checked; ours runs after it.
    app = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        ssl_check_enabled=False,
        request_verification_enabled=not replaying,
        process_before_response=replaying,
        oauth_flow=None if store is None else install_flow(settings, engine, store, client),
        user_facing_authorize_error_message=render("slack.j2:not_installed", MarkupKind.MRKDWN),
    )

    @app.middleware
    async def answer_ssl_check(body: dict[str, Any], next: Next) -> BoltResponse | None:
        if body.get("ssl_check") == "1":
            return BoltResponse(status=200, body="")
        await next()
        return None

    @app.middleware
    async def drop_unusable_assistant_events(body: dict[str, Any], next: Next) -> BoltResponse | None:
        # Bolt's assistant middleware fails with a 500 (and Slack retries) on an assistant
        # event without its thread; such an event can only be dropped.
        event = body.get("event") or {}
        thread = event.get("assistant_thread")
        if str(event.get("type", "")).startswith("assistant_thread_") and not (
            isinstance(thread, dict) and thread.get("channel_id") and thread.get("thread_ts")
        ):
            return BoltResponse(status=200, body="")
        await next()
        return None

    @app.middleware
    async def provide_engine(body: dict[str, Any], context: AsyncBoltContext, next: Next) -> BoltResponse | None:
        context["engine"] = engine
        context["clock"] = clock or SystemClock()
        context["admins"] = settings.admins()
        context[INSTALLATIONS] = store
        context[ONLY_STORE] = settings.handle_requests_in == "worker" and not replaying
        bind_request(team=context.team_id, user=context.user_id, event=body.get("event_id"))
        await next()
        return None

    app.middleware(keep_before_ack)
    register_listeners(app)
    return app

"""The Bolt app: one factory, thin. Listeners live in bot/listeners/."""

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.listeners import register_listeners
from storage.settings import Settings


def build_app(settings: Settings, engine: AsyncEngine) -> AsyncApp:
    # Listeners run after the ack, so waiting out a 429 here never delays Slack's 3 seconds.
    client = AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )
    app = AsyncApp(client=client, signing_secret=settings.slack_signing_secret)

    @app.middleware
    async def provide_engine(context, next):
        context["engine"] = engine
        await next()

    register_listeners(app)
    return app

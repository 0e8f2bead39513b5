"""Events: messages in the app's DM (the conversation) and App Home."""

from slack_bolt.async_app import AsyncApp

from bot.slack.handler import handler
from bot.slack.scope import Answer, Request
from bot.slack.services.home import publish_home
from bot.slack.services.plan import converse


def register(app: AsyncApp) -> None:
    app.event("message")(handler(handle_direct_message, what="direct message"))
    app.event("app_home_opened")(handler(handle_app_home_opened, what="app home"))


async def handle_direct_message(request: Request) -> Answer | None:
    event = request.body["event"]
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return None  # other channels, edits, deletions and the app's own messages are not answers
    return await converse(request, event.get("text", ""))


async def handle_app_home_opened(request: Request) -> None:
    if request.body["event"].get("tab", "home") == "home":
        await publish_home(request)

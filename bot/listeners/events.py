"""Events: messages in the app's DM (the plan conversation) and App Home."""

import logging

from slack_bolt.async_app import AsyncApp

from bot.verbs import converse
from bot.home import publish_home

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.event("message")(handle_direct_message)
    app.event("app_home_opened")(handle_app_home_opened)


async def handle_direct_message(event, body, context, client) -> None:
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return  # other channels, edits, deletions and the app's own messages are not answers
    await answer_message(event, body, context, client)


async def answer_message(message: dict, body: dict, context, client) -> None:
    """A user's message in the app's DM or an assistant thread, handed to the conversation."""
    try:
        await converse(
            context["engine"], client, team_id=context.team_id, enterprise_id=context.enterprise_id,
            user=message["user"], text=message.get("text", ""), channel=message["channel"],
            thread_ts=message.get("thread_ts"), event_id=body.get("event_id"), now=context["clock"].now(),
        )
    except Exception:
        logger.exception("message from %s failed", message.get("user"))


async def handle_app_home_opened(event, context, client) -> None:
    if event.get("tab", "home") != "home":
        return
    try:
        await publish_home(context["engine"], client, team_id=context.team_id, enterprise_id=context.enterprise_id, user=event["user"])
    except Exception:
        logger.exception("App Home of %s failed", event.get("user"))

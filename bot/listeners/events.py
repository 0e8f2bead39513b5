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
    try:
        await converse(
            context["engine"], client, team_id=context.team_id, enterprise_id=context.enterprise_id,
            user=event["user"], text=event.get("text", ""), channel=event["channel"],
            thread_ts=event.get("thread_ts"), event_id=body.get("event_id"),
        )
    except Exception:
        logger.exception("direct message from %s failed", event.get("user"))


async def handle_app_home_opened(event, context, client) -> None:
    if event.get("tab", "home") != "home":
        return
    try:
        await publish_home(context["engine"], client, team_id=context.team_id, enterprise_id=context.enterprise_id, user=event["user"])
    except Exception:
        logger.exception("App Home of %s failed", event.get("user"))

"""Events: messages in the app's DM (the conversation), App Home, and the app uninstalled."""

import re

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.slack.blocks.text import mrkdwn
from bot.slack.handler import handler
from bot.slack.scope import Answer, Request
from bot.slack.services.home import publish_home
from bot.slack.services.install import uninstalled
from bot.slack.services.plan import converse


def register_fallback(app: AsyncApp) -> None:
    app.event(re.compile(".*"))(handle_other_event)


async def handle_other_event(ack: AsyncAck) -> None:
    """An event the app does not act on (a reaction, a channel join): acknowledged with 200,
    since Slack retries anything else and would keep sending it."""
    await ack()


def register(app: AsyncApp) -> None:
    app.event("message")(handler(handle_direct_message, what="direct message"))
    app.event("app_home_opened")(handler(handle_app_home_opened, what="app home"))
    app.event("app_uninstalled")(handler(uninstalled, what="uninstall"))
    app.event("tokens_revoked")(handler(uninstalled, what="token revocation"))


# Messages that carry what the user typed: a file sent with text, a thread reply also sent to
# the DM, /me. Other subtypes (deletions, joins, the app's own messages) are not answers.
TYPED_SUBTYPES = {None, "file_share", "thread_broadcast", "me_message"}


async def handle_direct_message(request: Request) -> Answer | None:
    event = request.body["event"]
    if event.get("channel_type") != "im" or event.get("bot_id"):
        return None  # other channels and the app's own messages are not answers
    if event.get("subtype") == "message_changed":
        edited, before = event.get("message") or {}, event.get("previous_message") or {}
        if edited.get("bot_id") or edited.get("text") == before.get("text"):
            return None  # the app's own message, or a link preview added
        return Answer(mrkdwn("edited_not_read"))
    if event.get("subtype") not in TYPED_SUBTYPES:
        return None
    return await converse(request, event.get("text", ""))


async def handle_app_home_opened(request: Request) -> None:
    if request.body["event"].get("tab", "home") == "home" and not request.caller.outsider:
        await publish_home(request)

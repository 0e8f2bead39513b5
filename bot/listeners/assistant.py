"""Slack's assistant threads: suggested prompts when a thread starts; the plan runs inside
the thread with the same engine as the DM."""

import logging

from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.assistant.async_assistant import AsyncAssistant

from bot.blocks import mrkdwn, plain
from bot.listeners.events import answer_message

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    assistant = AsyncAssistant()
    assistant.thread_started(handle_thread_started)
    assistant.user_message(handle_user_message)
    app.assistant(assistant)


async def handle_thread_started(event, client, set_suggested_prompts) -> None:
    thread = event["assistant_thread"]
    try:
        await client.chat_postMessage(channel=thread["channel_id"], thread_ts=thread["thread_ts"], text=mrkdwn("assistant_welcome"))
        await set_suggested_prompts(
            prompts=[
                {"title": plain("suggested_plan"), "message": "plan"},
                {"title": plain("suggested_status"), "message": "status"},
                {"title": plain("suggested_help"), "message": "help"},
            ]
        )
    except Exception:
        logger.exception("assistant thread start failed")


async def handle_user_message(payload, body, context, client) -> None:
    await answer_message(payload, body, context, client)

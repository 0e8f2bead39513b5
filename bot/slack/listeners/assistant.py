"""Slack's assistant threads: suggested prompts when a thread starts; the conversation runs
inside the thread with the same engine as the DM."""

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.set_suggested_prompts.async_set_suggested_prompts import AsyncSetSuggestedPrompts
from slack_bolt.middleware.assistant.async_assistant import AsyncAssistant
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks.text import mrkdwn, plain
from bot.slack.handler import handler
from bot.slack.scope import Answer, Request
from bot.slack.services.plan import converse

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    assistant = AsyncAssistant()
    assistant.thread_started(handle_thread_started)
    assistant.user_message(handler(handle_user_message, what="assistant message"))
    app.assistant(assistant)


async def handle_thread_started(event: dict[str, Any], client: AsyncWebClient, set_suggested_prompts: AsyncSetSuggestedPrompts) -> None:
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


async def handle_user_message(request: Request) -> Answer | None:
    return await converse(request, request.body["event"].get("text", ""))

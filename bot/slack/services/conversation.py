"""Showing a conversation's reply in Slack: the next question where the conversation is held,
a refusal in the open question's thread, the summary when the flow is complete. What the
completed flow sends to the project's channel was queued with the last answer, and the
worker posts it. Where the question was posted is kept with the user's flow session."""

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.slack.blocks.questions import answered_blocks, question_blocks
from bot.slack.blocks.summaries import edit_buttons
from bot.slack.blocks.text import fallback, mrkdwn, summary_messages
from bot.slack.handler import post_answer
from bot.slack.scope import Answer
from flows.conversation.engine import Flow
from flows.conversation.presenting import EditTarget
from flows.conversation.runner import Reply, ReplyStatus
from flows.handover import HANDOVER
from flows.outbox import HandoverPack
from storage.engine import transaction
from storage.flow_sessions import mark_unshown, place_flow_session
from storage.models import Project

logger = logging.getLogger(__name__)


async def deliver(
    client: AsyncWebClient,
    engine: AsyncEngine,
    *,
    project: Project,
    reply: Reply,
    channel: str,
    thread_ts: str | None,
    flow: Flow,
) -> None:
    """Show `reply` in `channel` (and `thread_ts`, for an assistant thread); then the question it
    answered loses its buttons and shows what was stored."""
    session = reply.session
    answered_ts = session.question_ts if session is not None else None  # read before this reply moved it
    try:
        await _show(client, engine, project=project, reply=reply, channel=channel, thread_ts=thread_ts, flow=flow)
    finally:
        if reply.answered and session is not None and answered_ts:
            await _mark_answered(client, channel=session.channel or channel, ts=answered_ts, reply=reply)


async def _show(
    client: AsyncWebClient,
    engine: AsyncEngine,
    *,
    project: Project,
    reply: Reply,
    channel: str,
    thread_ts: str | None,
    flow: Flow,
) -> None:
    session = reply.session
    if reply.error and session is not None and session.question_ts:
        # The question stays open; the refusal goes in its thread.
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts or session.question_ts, text=reply.notice)
        return
    if reply.status == ReplyStatus.ASKING:
        if reply.error:
            await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=reply.notice)
        blocks = question_blocks(reply, project.id)
        try:
            posted = await client.chat_postMessage(channel=channel, thread_ts=thread_ts, blocks=blocks, text=fallback(reply.text))
        except Exception:
            if session is not None and reply.step:
                async with transaction(engine) as db:
                    await mark_unshown(db, flow_session_id=session.id, step=reply.step)
            raise
        if session is not None:
            async with transaction(engine) as db:
                await place_flow_session(db, flow_session_id=session.id, channel=channel, thread_ts=thread_ts, question_ts=posted["ts"])
        return
    if reply.status == ReplyStatus.PAUSED:
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=reply.text)
        return
    targets = [EditTarget(HANDOVER.name)] if flow is HANDOVER else list(reply.edit_targets)
    summary = Answer(reply.text, tuple(summary_messages(reply.text, edit_buttons(project.id, targets))))
    if flow is not HANDOVER:
        note = mrkdwn("plan_complete", name=project.name, channel=project.channel_id)
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=note)
    await post_answer(client, summary, channel=channel, thread_ts=thread_ts)
    if any(isinstance(job, HandoverPack) for job in reply.queued):
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=mrkdwn("pack_coming", name=project.name))


async def _mark_answered(client: AsyncWebClient, *, channel: str, ts: str, reply: Reply) -> None:
    try:
        await client.chat_update(
            channel=channel, ts=ts, text=fallback(reply.answered), blocks=answered_blocks(reply.answered, reply.notice)
        )
    except SlackApiError as failure:  # the next question matters more than tidying the last one
        logger.warning("could not mark question %s answered: %s", ts, failure.response.get("error"))


async def open_dm(client: AsyncWebClient, user: str) -> str:
    opened = await client.conversations_open(users=user)
    return str(opened["channel"]["id"])

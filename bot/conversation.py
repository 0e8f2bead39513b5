"""Posting the flow's replies into Slack: the question where the conversation is held,
refusals in the question's thread, and the summary to the project's channel when the plan
is complete. Messages longer than Slack allows are split into a parent and thread replies."""

import logging
from datetime import datetime

from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.blocks import edit_buttons, fallback, mrkdwn, question_blocks, summary_messages
from bot.outbox import queue_message, queue_pack
from flows.engine import Flow
from flows.handover import HANDOVER
from flows.plan import PLAN
from flows.presenting import EditTarget, overview
from flows.runner import ASKING, COMPLETE, Reply, flow_session_of, remember_place
from prompts import MarkupKind
from storage.engine import transaction
from storage.models import Project

logger = logging.getLogger(__name__)


async def post_messages(
    client: AsyncWebClient, *, channel: str, thread_ts: str | None, groups: list[list[Block]], text: str
) -> str:
    """Post a long content as one message, or a parent and its thread replies. Returns the first ts."""
    first = await client.chat_postMessage(channel=channel, thread_ts=thread_ts, blocks=groups[0], text=fallback(text))
    parent = thread_ts or first["ts"]
    for group in groups[1:]:
        await client.chat_postMessage(channel=channel, thread_ts=parent, blocks=group, text=fallback(text))
    return first["ts"]


async def summary_groups(engine: AsyncEngine, project: Project) -> tuple[str, list[list[Block]]]:
    async with transaction(engine) as db:
        plan = await overview(db, PLAN, project, MarkupKind.MRKDWN)
    return plan.summary, summary_messages(plan.summary, edit_buttons(project.id, plan.edit_targets))


async def deliver(
    client: AsyncWebClient,
    engine: AsyncEngine,
    *,
    project: Project,
    user: str,
    reply: Reply,
    channel: str,
    thread_ts: str | None,
    now: datetime,
    flow: Flow = PLAN,
) -> None:
    """Show `reply` to `user` in `channel` (and `thread_ts`, for an assistant thread); a plan
    just completed is queued for the project's channel, which the worker posts to."""
    if reply.error:
        async with transaction(engine) as db:
            asked = (await flow_session_of(db, flow, project=project, user=user)).question_ts
        if asked:  # the question stays open; the refusal goes in its thread
            await client.chat_postMessage(channel=channel, thread_ts=thread_ts or asked, text=reply.notice)
            return
    if reply.status == ASKING:
        blocks = question_blocks(reply, project.id)
        if reply.error:
            await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=reply.notice)
        posted = await client.chat_postMessage(channel=channel, thread_ts=thread_ts, blocks=blocks, text=fallback(reply.text))
        async with transaction(engine) as db:
            await remember_place(
                db, flow, project=project, user=user, channel=channel, thread_ts=thread_ts, question_ts=posted["ts"]
            )
        return
    if reply.status != COMPLETE or flow is HANDOVER:  # paused, or the handover answers
        if reply.status == COMPLETE:  # with a button to edit them later
            groups = summary_messages(reply.text, edit_buttons(project.id, [EditTarget(HANDOVER.name)]))
            await post_messages(client, channel=channel, thread_ts=thread_ts, groups=groups, text=reply.text)
        else:
            await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=reply.text)
        if reply.status == COMPLETE:
            async with transaction(engine) as db:
                await queue_pack(db, project, user, now)
            await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=mrkdwn("pack_coming", name=project.name))
        return
    summary, groups = await summary_groups(engine, project)
    note = mrkdwn("plan_complete", name=project.name, channel=project.channel_id)
    await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=note)
    await post_messages(client, channel=channel, thread_ts=thread_ts, groups=groups, text=summary)
    if reply.finished and project.channel_id and project.channel_id != channel:
        async with transaction(engine) as db:
            await queue_message(
                db, key=f"summary:{project.id}:{user}:{now.isoformat()}", channel=project.channel_id,
                groups=groups, text=summary, due_at=now,
            )


async def open_dm(client: AsyncWebClient, user: str) -> str:
    opened = await client.conversations_open(users=user)
    return opened["channel"]["id"]

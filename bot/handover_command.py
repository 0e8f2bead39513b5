"""`/socialvalue handover [NAME]`: the handover conversation the first time, then the pack,
built and uploaded to the project's channel by the worker."""

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.blocks import mrkdwn
from bot.conversation import deliver, open_dm
from bot.digest_command import is_admin
from bot.outbox import queue_pack
from bot.verbs import Answer, Caller, refusal
from flows.handover import HANDOVER
from flows.handover_pack import handover_started
from flows.projects import ProjectRefused, project_meant, workspace_of
from flows.runner import open_flow
from prompts import MarkupKind
from storage.engine import transaction


async def handover(engine: AsyncEngine, client: AsyncWebClient, caller: Caller, name: str, *, admins: set[str], now) -> Answer:
    try:
        async with transaction(engine) as db:
            workspace = await workspace_of(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)
            project = await project_meant(db, workspace, name=name, channel=caller.channel, user=caller.user)
    except ProjectRefused as refused:
        return refusal(refused)
    if caller.user != project.lead and not await is_admin(client, caller.user, admins):
        return Answer(mrkdwn("handover_refused", lead=project.lead, name=project.name))
    async with transaction(engine) as db:
        if await handover_started(db, project):
            await queue_pack(db, project, caller.user, now)
            return Answer(mrkdwn("pack_coming", name=project.name))
        reply = await open_flow(db, HANDOVER, project=project, user=caller.user, markup=MarkupKind.MRKDWN)
    channel = await open_dm(client, caller.user)
    await deliver(client, engine, project=project, user=caller.user, reply=reply, channel=channel, thread_ts=None, now=now, flow=HANDOVER)
    return Answer(mrkdwn("handover_questions_sent", name=project.name))

"""`/socialvalue handover [NAME]`: the handover conversation the first time, then the pack,
built and uploaded to the project's channel by the worker."""

from bot.slack.blocks.text import mrkdwn
from bot.slack.scope import Answer, Request, project_scope
from bot.slack.services.conversation import deliver, open_dm
from bot.slack.services.rights import handover_refusal
from flows.conversation.runner import open_flow
from flows.handover import HANDOVER
from flows.handover_pack import handover_started
from flows.outbox import HandoverPack, queue
from prompts import MarkupKind
from storage.engine import transaction


async def handover(request: Request, name: str) -> Answer:
    caller = request.caller
    refused = await handover_refusal(request, name=name)
    if refused is not None:
        return Answer(refused)
    async with transaction(request.engine) as db:
        project = (await project_scope(db, caller, name=name)).project
        if await handover_started(db, project):
            pack = HandoverPack(project_id=project.id, requested_by=caller.user)
            await queue(db, pack, due_at=request.now(), workspace_id=project.workspace_id)
            return Answer(mrkdwn("pack_coming", name=project.name))
        reply = await open_flow(db, HANDOVER, project=project, user=caller.user, markup=MarkupKind.MRKDWN)
    channel = await open_dm(request.client, caller.user)
    await deliver(request.client, request.engine, project=project, reply=reply, channel=channel, thread_ts=None, flow=HANDOVER)
    return Answer(mrkdwn("handover_questions_sent", name=project.name))

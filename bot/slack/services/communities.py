"""Communities in Slack: `/socialvalue community list|add [PROJECT]`, `/socialvalue community
edit COMMUNITY`, the list's Edit and Add buttons, and the form, saved before its ack."""

from collections.abc import Awaitable, Callable

from bot.slack.blocks.communities import community_list_blocks, community_view, words
from bot.slack.blocks.text import messages
from bot.slack.handler import FormResult, submission_key
from bot.slack.ids import CommunityRef
from bot.slack.message_text import split_verb
from bot.slack.scope import Answer, Request, project_scope
from bot.slack.services.edits import submitted_values
from bot.worker.kinds import queue_dm
from bot.worker.loop import send_now
from flows.communities import COMMUNITY_PARTS, NEEDS, CommunityRefused, community_form, find_community, save_community
from flows.conversation.engine import load_state
from flows.coverage import coverage
from flows.projects import ProjectRefused
from flows.revisions import revise_summary
from flows.roles import check_may_change
from prompts import MarkupKind, render
from storage.engine import transaction
from storage.slack_events import claim_event


async def community_command(request: Request, rest: str) -> Answer | None:
    """`list [PROJECT]` (the default), `add [PROJECT]`, or `edit COMMUNITY` (of the channel's project)."""
    verb, name = split_verb(rest)
    if verb == "add":
        return await open_community_form(request, project_id=None, community=None, name=name)
    if verb == "edit":
        return await _edit_by_name(request, name)
    return await list_communities(request, name if verb == "list" else rest)


async def list_communities(request: Request, name: str) -> Answer:
    async with transaction(request.engine) as db:
        project = (await project_scope(db, request.caller, name=name)).project
        covered = coverage(await load_state(db, project))
    heading = words("listing", coverage=covered, project=project.name, named=bool(name))
    return Answer(heading, tuple(messages(community_list_blocks(heading, covered, project.id))))


async def _edit_by_name(request: Request, typed: str) -> Answer | None:
    async with transaction(request.engine) as db:
        project = (await project_scope(db, request.caller)).project
        state = await load_state(db, project)
    community = find_community(state, typed) if typed else None
    if community is None:
        names = [c.name for c in state.communities]
        return Answer(words("unknown", typed=typed, project=project.name, names=names))
    return await open_community_form(request, project_id=project.id, community=community.key)


async def open_community_form(request: Request, *, project_id: int | None, community: str | None, name: str = "") -> Answer | None:
    """The form: empty for a new community, else filled with the community and its needs."""
    async with transaction(request.engine) as db:
        project = (await project_scope(db, request.caller, project_id=project_id, name=name)).project
        await check_may_change(db, project, request.caller.user, what="communities")
        state = await load_state(db, project)
    form = None
    if community is not None:
        found = next((c for c in state.communities if c.key == community), None)
        if found is None:
            return Answer(words("gone"))
        form = community_form(state, found)
    metadata = CommunityRef(project=project.id, community=community, seen=form.seen if form else None)
    view = community_view(metadata=metadata, project=project.name, form=form)
    await request.client.views_open(trigger_id=request.body["trigger_id"], view=view)
    return None


async def save_community_form(request: Request) -> tuple[FormResult, Callable[[], Awaitable[object]] | None]:
    """Check and store the community and its needs before the ack (refusals show in the form),
    revise the posted summary, and queue the confirmation. The same submission is stored once."""
    view, caller, now = request.body["view"], request.caller, request.now()
    metadata = CommunityRef.decode(view.get("private_metadata"))
    submitted = submitted_values(view)
    try:
        async with transaction(request.engine) as db:
            if not await claim_event(db, submission_key(view)):
                return None, None
            project = (await project_scope(db, caller, project_id=metadata.project)).project
            await check_may_change(db, project, caller.user, what="communities")
            changes = await save_community(
                db,
                project,
                user=caller.user,
                key=metadata.community,
                parts={part: submitted.get(part) for part in COMMUNITY_PARTS},
                needs=submitted.get(NEEDS) or "" if NEEDS in submitted else None,
                markup=MarkupKind.TEXT,
                seen=metadata.seen,
            )
            if not changes:
                return None, None
            name = submitted.get("name") or ""
            saved = words("saved", project=project.name, name=name, changes=changes)
            key = await queue_dm(
                db,
                key=f"saved:community:{project.id}:{now.isoformat()}",
                to=caller.user,
                text=saved,
                now=now,
                workspace_id=project.workspace_id,
            )
            await revise_summary(db, project, user=caller.user, now=now, changes=changes)
    except CommunityRefused as refused:
        return {"response_action": "errors", "errors": refused.errors}, None
    except ProjectRefused as refused:
        return {
            "response_action": "errors",
            "errors": {"name": render(f"slack.j2:{refused.reason}", MarkupKind.TEXT, **refused.context)},
        }, None
    return None, lambda: send_now(request.engine, request.client, request.clock, [key])

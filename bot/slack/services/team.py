"""`/socialvalue project editors [add|remove @person…]` and `/socialvalue project lead @person`:
who may change a project besides its lead. The lead or a workspace admin chooses; everyone is
told who they are."""

import re

from bot.slack.blocks.text import mrkdwn
from bot.slack.message_text import split_verb
from bot.slack.scope import Answer, Request, project_scope
from bot.slack.services.rights import is_admin, why_not_a_member
from flows.roles import add_editors, check_may_manage, choose_lead, lead_of, remove_editors, team_of
from storage.engine import transaction

MENTION = re.compile(r"<@([UW][A-Z0-9]{2,31})(?:\|[^<>]*)?>")
MAX_NAMED = 20  # people named in one command: a team at a time, not a workspace


async def project_command(request: Request, raw: str) -> Answer:
    """`raw`: the text after `project`, with Slack's @mention tokens kept."""
    what, rest = split_verb(raw)
    action, after = split_verb(rest)
    if what == "editors" and action in ("add", "remove"):
        return await _change_editors(request, after, add=action == "add")
    if what == "editors":
        return await _listing(request, _name(rest))
    if what == "lead":
        return await _change_lead(request, rest)
    return Answer(mrkdwn("team_usage"))


def _name(text: str) -> str:
    """The project named after the people, if any (else the channel's)."""
    return " ".join(MENTION.sub(" ", text).split())


async def _listing(request: Request, name: str) -> Answer:
    async with transaction(request.engine) as db:  # the workspace may be new, or back again
        project = (await project_scope(db, request.caller, name=name)).project
        team = await team_of(db, project)
    return Answer(mrkdwn("team_listing", name=project.name, lead=team.lead, editors=team.editors))


async def _managed(request: Request, name: str) -> tuple[int, bool]:
    """The project meant and whether the caller is an admin, once they are known to be its
    lead or an admin (Slack is asked before any transaction is open; checked again inside it)."""
    async with transaction(request.engine) as db:  # the workspace may be new, or back again
        project = (await project_scope(db, request.caller, name=name)).project
    admin = request.caller.user != lead_of(project) and await is_admin(request)
    check_may_manage(project, request.caller.user, admin=admin)
    return project.id, admin


async def _refusal_of_person(request: Request, user: str) -> Answer | None:
    why = await why_not_a_member(request, user)
    return Answer(mrkdwn("not_a_member", user=user, why=why)) if why else None


async def _change_editors(request: Request, text: str, *, add: bool) -> Answer:
    named = list(dict.fromkeys(MENTION.findall(text)))
    if not named or len(named) > MAX_NAMED:
        return Answer(mrkdwn("team_usage"))
    project_id, admin = await _managed(request, _name(text))
    if add:
        for user in named:
            if refused := await _refusal_of_person(request, user):
                return refused
    async with transaction(request.engine) as db:
        project = (await project_scope(db, request.caller, project_id=project_id)).project
        check_may_manage(project, request.caller.user, admin=admin)
        if add:
            added = await add_editors(db, project, named, by=request.caller.user)
            return Answer(mrkdwn("editors_added", name=project.name, added=added), public=bool(added))
        removed = await remove_editors(db, project, named)
        lead_named = lead_of(project) in named
    return Answer(mrkdwn("editors_removed", name=project.name, removed=removed, lead_named=lead_named), public=bool(removed))


async def _change_lead(request: Request, text: str) -> Answer:
    named = MENTION.findall(text)
    if len(named) != 1:
        return Answer(mrkdwn("team_usage"))
    project_id, admin = await _managed(request, _name(text))
    if refused := await _refusal_of_person(request, named[0]):
        return refused
    async with transaction(request.engine) as db:
        project = (await project_scope(db, request.caller, project_id=project_id)).project
        check_may_manage(project, request.caller.user, admin=admin)
        before = await choose_lead(db, project, named[0], by=request.caller.user)
    return Answer(mrkdwn("lead_chosen", name=project.name, lead=named[0], before=before), public=before != named[0])

"""Who may do what beyond being in the workspace. A button's value or a form's hidden data
names a project, a measure or an update, and a member can alter it: the row is loaded within
the caller's workspace and the caller's right to it checked here, never assumed because the
app once wrote the reference."""

import asyncio
from dataclasses import replace

from slack_sdk.errors import SlackApiError

from bot.slack.blocks.text import mrkdwn
from bot.slack.errors import slack_error
from bot.slack.scope import Request, known_workspace, project_scope, workspace_scope
from flows.people import REFRESH, Person, remember_person
from storage.engine import reading, transaction
from storage.people import get_person


async def is_admin(request: Request, *, within: float | None = None) -> bool:
    """Listed in SOCIALVALUE_ADMINS, or an admin or owner of the workspace. `within`: the
    seconds Slack has to say so, for a check made before an ack (a form's errors)."""
    user = request.caller.user
    if user in request.admins:
        return True
    try:
        found = (await asyncio.wait_for(request.client.users_info(user=user), within))["user"]
    except (SlackApiError, TimeoutError):
        return False
    return bool(found.get("is_admin") or found.get("is_owner"))


async def as_member_or_guest(request: Request) -> Request:
    """The request with its caller marked a guest if Slack says so: asked once a week per
    person (the answer kept with what else the app knows of them); an answer Slack will not
    give leaves the caller a member, as before guests were told apart."""
    caller = request.caller
    if caller.outsider or not caller.user:
        return request
    async with reading(request.engine) as db:
        workspace = await known_workspace(db, caller)
        known = None if workspace is None else await get_person(db, workspace_id=workspace.id, user_id=caller.user)
    if known is not None and known.guest is not None and known.fetched_at > request.now() - REFRESH:
        guest = known.guest
    else:
        try:
            found = (await request.client.users_info(user=caller.user))["user"]
        except SlackApiError:
            return request
        person = Person.of(found)
        async with transaction(request.engine) as db:
            workspace = await workspace_scope(db, caller)
            await remember_person(db, workspace.id, caller.user, person, request.now())
        guest = bool(person.guest)
    return replace(request, caller=replace(caller, guest=guest)) if guest else request


async def why_not_a_member(request: Request, user: str) -> str | None:
    """Why `user` may not lead or edit a project: "guest", "bot", "gone" (deactivated),
    "external" (of another organisation) or "unknown" to Slack; None for a member."""
    try:
        found = (await request.client.users_info(user=user))["user"]
    except SlackApiError as failure:
        if slack_error(failure) in ("user_not_found", "user_not_visible"):
            return "unknown"
        raise
    home, grid = found.get("team_id"), (found.get("enterprise_user") or {}).get("enterprise_id")
    if found.get("deleted"):
        return "gone"
    if found.get("is_bot") or found.get("is_app_user"):
        return "bot"
    if found.get("is_restricted") or found.get("is_ultra_restricted"):
        return "guest"
    foreign_team = bool(home) and home != request.caller.team_id and not (grid and grid == request.caller.enterprise_id)
    return "external" if found.get("is_stranger") or foreign_team else None


async def handover_refusal(
    request: Request, *, project_id: int | None = None, name: str = "", within: float | None = None, refusal: str = "handover_refused"
) -> str | None:
    """Why the caller may not ask for, answer or edit the handover of a project (only its
    lead and the app's admins may), or None. Read before any write: asking Slack whether the
    caller is an admin never holds a transaction open. (The same people draft its annual
    performance assessment: `refusal` names that message.)"""
    async with transaction(request.engine) as db:  # the workspace may be new, or back again
        project = (await project_scope(db, request.caller, project_id=project_id, name=name)).project
    if request.caller.user == project.lead or await is_admin(request, within=within):
        return None
    return mrkdwn(refusal, lead=project.lead, name=project.name)

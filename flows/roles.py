"""Who may change a project: its lead, and the editors the lead (or a workspace admin) adds.
They change its plan, communities, measures and owners; a measure's owner reports on it
(flows/progress/updates.py); everyone else in the workspace reads.

Checked where Slack's requests are served: the terminal is run by whoever holds the database,
so it manages roles (`socialvalue project`) but is not refused by them."""

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from flows.projects import ProjectRefused
from prompts import slack_user_of
from storage.editors import add_editor, list_editors, remove_editor
from storage.models import Project
from storage.projects import team_project_ids

MAX_EDITORS = 50  # each is named in every refusal and listing; a project team, not a workspace


@dataclass(frozen=True)
class Team:
    lead: str | None
    editors: list[str]

    def may_change(self, user: str) -> bool:
        return bool(user) and (user == self.lead or user in self.editors)


def lead_of(project: Project) -> str | None:
    """The lead as a Slack user id where they are one (a handover's custodian may be typed
    as @U…), else as stored."""
    return slack_user_of(project.lead) or project.lead


async def team_of(db: AsyncSession, project: Project) -> Team:
    return Team(lead_of(project), await list_editors(db, project_id=project.id))


async def check_may_change(db: AsyncSession, project: Project, user: str, *, what: str = "plan") -> Team:
    """Refuses anyone but the lead and the editors, naming them; `what` names the change."""
    team = await team_of(db, project)
    if not team.may_change(user):
        raise ProjectRefused("change_refused", name=project.name, lead=team.lead, editors=team.editors, what=what)
    return team


async def check_may_read(db: AsyncSession, project: Project, user: str, *, channel: str, guest: bool = False) -> None:
    """A project bound to a private channel is read in that channel (where Slack shows it to
    the channel's members only) and, from anywhere, by its team: its lead, its editors, and
    its measures' owners. A guest reads any project so: what their channels show them, and
    the measures they own. Refuses anyone else."""
    if not (project.channel_private or guest) or channel == project.channel_id:
        return
    if project.id not in await team_project_ids(db, workspace_id=project.workspace_id, user=user):
        raise ProjectRefused("guest_elsewhere" if guest else "project_private", name=project.name)


async def readable(db: AsyncSession, projects: list[Project], user: str, *, channel: str, guest: bool = False) -> list[Project]:
    """Of the workspace's `projects`, those the user may read from `channel`."""
    if not projects or not (guest or any(p.channel_private for p in projects)):
        return projects
    team = await team_project_ids(db, workspace_id=projects[0].workspace_id, user=user)
    return [p for p in projects if not (p.channel_private or guest) or p.channel_id == channel or p.id in team]


def check_may_manage(project: Project, user: str, *, admin: bool) -> None:
    """Only the lead and workspace admins choose the lead and the editors."""
    if not admin and user != lead_of(project):
        raise ProjectRefused("team_refused", name=project.name, lead=lead_of(project))


async def add_editors(db: AsyncSession, project: Project, users: list[str], *, by: str) -> list[str]:
    """Adds each (the lead is one already); returns who was added. Refused beyond MAX_EDITORS."""
    team = await team_of(db, project)
    new = [user for user in dict.fromkeys(users) if not team.may_change(user)]
    if len(team.editors) + len(new) > MAX_EDITORS:
        raise ProjectRefused("too_many_editors", name=project.name, maximum=MAX_EDITORS, count=len(team.editors))
    return [user for user in new if await add_editor(db, project_id=project.id, user_id=user, by=by)]


async def remove_editors(db: AsyncSession, project: Project, users: list[str]) -> list[str]:
    """Removes each; returns who was an editor. The lead is not removed this way: a new lead is chosen."""
    return [user for user in dict.fromkeys(users) if await remove_editor(db, project_id=project.id, user_id=user)]


async def choose_lead(db: AsyncSession, project: Project, user: str, *, by: str) -> str | None:
    """Makes `user` the lead; the lead before stays an editor (the new lead may remove them),
    so nobody who was running the plan is shut out of it by a click. Returns the lead before."""
    before = lead_of(project)
    if before == user:
        return before
    await remove_editor(db, project_id=project.id, user_id=user)
    project.lead = user
    db.add(project)
    if before:
        await add_editor(db, project_id=project.id, user_id=before, by=by)
    return before

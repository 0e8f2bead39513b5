"""Finding and creating projects within a workspace."""

from sqlmodel.ext.asyncio.session import AsyncSession

from flows.conversation.inputs import MAX_SHORT_TEXT, clean_text
from flows.refusals import Refused
from storage.models import Project, Workspace
from storage.projects import (
    LOCAL_NAME,
    LOCAL_TEAM_ID,
    create_project,
    get_or_create_workspace,
    get_project,
    get_project_by_id,
    list_channel_projects,
    list_projects,
    list_user_projects,
    similar_project_name,
)


class ProjectRefused(Refused):
    """A project cannot be created or found; `reason` names the explanation in prompts."""


async def workspace_of(db: AsyncSession, *, team_id: str, enterprise_id: str | None = None) -> Workspace:
    return await get_or_create_workspace(db, team_id=team_id, enterprise_id=enterprise_id or "")


async def local_project(db: AsyncSession, *, name: str, lead: str) -> Project:
    """The terminal's project of this name, created (led by `lead`) if it is new."""
    workspace = await get_or_create_workspace(db, team_id=LOCAL_TEAM_ID, name=LOCAL_NAME)
    project = await get_project(db, workspace_id=workspace.id, name=name)
    if project is None:
        project = await create_project(db, workspace_id=workspace.id, name=name, lead=lead)
    return project


async def near_miss(db: AsyncSession, *, name: str, team_id: str = LOCAL_TEAM_ID) -> str | None:
    """When no project is called `name`: the name of one close to it, to ask about before a
    second project is made by a typo."""
    workspace = await get_or_create_workspace(db, team_id=team_id)
    if await get_project(db, workspace_id=workspace.id, name=name) is not None:
        return None
    return await similar_project_name(db, workspace_id=workspace.id, name=name)


async def find_project(db: AsyncSession, *, name: str, team_id: str = LOCAL_TEAM_ID) -> Project | None:
    workspace = await get_or_create_workspace(db, team_id=team_id)
    return await get_project(db, workspace_id=workspace.id, name=name)


async def new_project(
    db: AsyncSession, workspace: Workspace, *, name: str, channel: str, lead: str, private: bool | None = None
) -> Project:
    """A project bound to a channel, led by the user who created it; names are unique per workspace."""
    try:
        name = clean_text(name, maximum=MAX_SHORT_TEXT)
    except ValueError:
        raise ProjectRefused("project_name_invalid", maximum=MAX_SHORT_TEXT) from None
    if await get_project(db, workspace_id=workspace.id, name=name) is not None:
        raise ProjectRefused("project_exists", name=name)
    return await create_project(db, workspace_id=workspace.id, name=name, channel_id=channel, lead=lead, channel_private=private)


async def project_meant(db: AsyncSession, workspace: Workspace, *, name: str, channel: str, user: str) -> Project:
    """The project a command means: the one named, else the one bound to the channel, else
    the user's only project."""
    if name:
        project = await get_project(db, workspace_id=workspace.id, name=name.strip())
        if project is None:
            similar = await similar_project_name(db, workspace_id=workspace.id, name=name.strip())
            raise ProjectRefused("project_unknown", name=name.strip(), similar=similar)
        return project
    candidates = await list_channel_projects(db, workspace_id=workspace.id, channel_id=channel)
    if not candidates:
        candidates = await list_user_projects(db, workspace_id=workspace.id, user=user)
    if len(candidates) == 1:
        return candidates[0]
    raise ProjectRefused("project_ambiguous" if candidates else "project_none", names=[p.name for p in candidates])


async def workspace_projects(db: AsyncSession, workspace: Workspace) -> list[Project]:
    return await list_projects(db, workspace_id=workspace.id)


async def user_projects(db: AsyncSession, workspace: Workspace, user: str) -> list[Project]:
    return await list_user_projects(db, workspace_id=workspace.id, user=user)


async def project_by_id(db: AsyncSession, workspace: Workspace, project_id: int) -> Project:
    """A project of this workspace only: ids from buttons are never trusted across workspaces."""
    project = await get_project_by_id(db, workspace_id=workspace.id, project_id=project_id)
    if project is None:
        raise ProjectRefused("project_gone")
    return project

"""Finding and creating projects within a workspace."""

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Project
from storage.projects import LOCAL_TEAM_ID, create_project, get_or_create_workspace, get_project


async def local_project(db: AsyncSession, *, name: str, lead: str) -> Project:
    """The terminal's project of this name, created (led by `lead`) if it is new."""
    workspace = await get_or_create_workspace(db, team_id=LOCAL_TEAM_ID, name="Terminal")
    project = await get_project(db, workspace_id=workspace.id, name=name)
    if project is None:
        project = await create_project(db, workspace_id=workspace.id, name=name, lead=lead)
    return project


async def find_project(db: AsyncSession, *, name: str, team_id: str = LOCAL_TEAM_ID) -> Project | None:
    workspace = await get_or_create_workspace(db, team_id=team_id)
    return await get_project(db, workspace_id=workspace.id, name=name)

"""A workspace's life with the app: uninstalled (or its token revoked), installed again, and
all of its data exported on request (`socialvalue workspace`; deleting it is one storage call,
storage/workspaces.py).

Uninstalled, a workspace goes quiet: its unsent jobs are dropped, no reminder or digest is
planned, its pending requests are given up. Its social value data is kept: it is theirs,
until they ask for it to be deleted."""

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.editors import list_editors
from storage.jobs import drop_workspace_jobs
from storage.models import Workspace
from storage.portable import export_project
from storage.projects import get_or_create_workspace, list_projects
from storage.workspaces import find_workspaces, mark_installed, mark_uninstalled, workspace_rows

WORKSPACE_FORMAT = "socialvalue-workspace"
WORKSPACE_FORMAT_VERSION = 1


async def uninstall(db: AsyncSession, *, team_id: str, enterprise_id: str | None, org_wide: bool, now: datetime, why: str) -> int:
    """The app is gone from the workspace (from every workspace of the organisation, for an
    org-wide install): marked so, and its unsent jobs dropped. Returns how many were dropped."""
    found = await find_workspaces(db, team_id=team_id, enterprise_id=enterprise_id or "", org_wide=org_wide)
    return await uninstall_workspaces(db, found, now=now, why=why)


async def uninstall_workspaces(db: AsyncSession, workspaces: list[Workspace], *, now: datetime, why: str) -> int:
    if not workspaces:
        return 0
    ids = [w.id for w in workspaces]
    await mark_uninstalled(db, workspace_ids=ids, now=now, team_ids=[w.team_id for w in workspaces])
    return await drop_workspace_jobs(db, workspace_ids=ids, why=why)


async def installed_workspace(db: AsyncSession, *, team_id: str, enterprise_id: str | None) -> Workspace | None:
    """The workspace if the app knows it and it is installed; found without writing."""
    found = await find_workspaces(db, team_id=team_id, enterprise_id=enterprise_id or "")
    return next((workspace for workspace in found if workspace.uninstalled_at is None), None)


async def installed(db: AsyncSession, *, team_id: str | None, enterprise_id: str | None) -> None:
    """An "Add to Slack" completed: the workspace is known and installed (with an org-wide
    install, every workspace of the organisation the app knows; the others as they send requests)."""
    if team_id:
        await back_again(db, await get_or_create_workspace(db, team_id=team_id, enterprise_id=enterprise_id or ""))
        return
    for workspace in await find_workspaces(db, team_id="", enterprise_id=enterprise_id or "", org_wide=True):
        await back_again(db, workspace)


async def back_again(db: AsyncSession, workspace: Workspace) -> None:
    """A request from Slack came from an uninstalled workspace: the app is installed again."""
    if workspace.uninstalled_at is not None:
        await mark_installed(db, workspace_id=workspace.id)
        workspace.uninstalled_at = None


async def export_workspace(db: AsyncSession, workspace: Workspace) -> dict[str, Any]:
    """Everything the app holds of the workspace: each project as `socialvalue export` writes
    it (with its editors), its settings, digests, people and organisation-wide case studies."""
    projects = []
    for project in await list_projects(db, workspace_id=workspace.id):
        document = await export_project(db, project)
        document.pop("workspace")
        projects.append({**document, "editors": await list_editors(db, project_id=project.id)})
    return {
        "format": WORKSPACE_FORMAT,
        "format_version": WORKSPACE_FORMAT_VERSION,
        "workspace": workspace.model_dump(mode="json", exclude={"id"}),
        "projects": projects,
        **await workspace_rows(db, workspace),
    }

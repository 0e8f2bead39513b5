"""Queries on a workspace as a whole: the app uninstalled and installed again, and all of its
data at once (exported, or deleted on request). The caller commits."""

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, delete, update
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    SLACK_BOTS,
    SLACK_INSTALLATIONS,
    Answer,
    CaseStudy,
    CaseStudyVersion,
    Community,
    Digest,
    DigestConfig,
    FlowSession,
    InboxEntry,
    InboxState,
    Job,
    Measure,
    Need,
    ProgressUpdate,
    Project,
    ProjectEditor,
    SlackUser,
    Workspace,
)


async def find_workspaces(session: AsyncSession, *, team_id: str, enterprise_id: str = "", org_wide: bool = False) -> list[Workspace]:
    """The workspace of `team_id`; with `org_wide`, every workspace of its organisation."""
    query = select(Workspace).where(col(Workspace.enterprise_id) == enterprise_id)
    if not org_wide:
        query = query.where(col(Workspace.team_id) == team_id)
    return list((await session.exec(query.order_by(col(Workspace.id)))).all())


async def workspaces_with_team(session: AsyncSession, *, team_id: str) -> list[Workspace]:
    """The workspaces of this Slack team id, within an enterprise or not (normally one)."""
    return list((await session.exec(select(Workspace).where(col(Workspace.team_id) == team_id).order_by(col(Workspace.id)))).all())


async def mark_uninstalled(session: AsyncSession, *, workspace_ids: list[int], now: datetime, team_ids: list[str]) -> None:
    """Uninstalled since `now` (unless already), and the workspaces' requests not yet handled
    given up: the app can no longer answer them, and a request handled later would read as
    the app being back."""
    await session.exec(
        update(Workspace)
        .where(col(Workspace.id).in_(workspace_ids), col(Workspace.uninstalled_at).is_(None))
        .values(uninstalled_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.exec(
        update(InboxEntry)
        .where(col(InboxEntry.team_id).in_(team_ids), col(InboxEntry.state) == InboxState.PENDING)
        .values(state=InboxState.FAILED, last_error="the app was uninstalled")
        .execution_options(synchronize_session=False)
    )


async def mark_installed(session: AsyncSession, *, workspace_id: int) -> None:
    await session.exec(
        update(Workspace).where(col(Workspace.id) == workspace_id).values(uninstalled_at=None).execution_options(synchronize_session=False)
    )


def _rows(found: Any) -> list[dict[str, Any]]:
    return [dict(row.model_dump(mode="json", exclude={"id"})) for row in found]


async def workspace_rows(session: AsyncSession, workspace: Workspace) -> dict[str, list[dict[str, Any]]]:
    """What a workspace holds besides its projects (exported with `storage.portable`): its
    settings, its digests, who it knows, and its organisation-wide case studies."""
    wid = workspace.id
    org_wide = list(
        (await session.exec(select(CaseStudy).where(col(CaseStudy.workspace_id) == wid, col(CaseStudy.project_id).is_(None)))).all()
    )
    versions = {
        study.id: _rows((await session.exec(select(CaseStudyVersion).where(col(CaseStudyVersion.case_study_id) == study.id))).all())
        for study in org_wide
    }
    return {
        "digest_config": _rows((await session.exec(select(DigestConfig).where(col(DigestConfig.workspace_id) == wid))).all()),
        "digests": _rows((await session.exec(select(Digest).where(col(Digest.workspace_id) == wid).order_by(col(Digest.week)))).all()),
        "people": _rows((await session.exec(select(SlackUser).where(col(SlackUser.workspace_id) == wid))).all()),
        "case_studies": [{**_rows([study])[0], "versions": versions[study.id]} for study in org_wide],
        "installations": [
            {
                key: value.isoformat() if isinstance(value, datetime) else value
                for key, value in row.items()
                if key != "id" and not key.endswith("_token")
            }
            for row in (
                await session.execute(sa_select(SLACK_INSTALLATIONS).where(_installed_in(SLACK_INSTALLATIONS, workspace)))
            ).mappings()
        ],  # without the tokens: they are the app's, not the workspace's data
    }


async def delete_workspace(session: AsyncSession, workspace: Workspace) -> dict[str, int]:
    """Every row of the workspace, children first; returns how many rows of each table went."""
    wid = workspace.id
    projects = select(col(Project.id)).where(col(Project.workspace_id) == wid)
    measures = select(col(Measure.id)).where(col(Measure.project_id).in_(projects))
    studies = select(col(CaseStudy.id)).where(col(CaseStudy.workspace_id) == wid)
    steps: list[tuple[type[SQLModel], Any]] = [
        (CaseStudyVersion, col(CaseStudyVersion.case_study_id).in_(studies)),
        (CaseStudy, col(CaseStudy.workspace_id) == wid),
        (ProgressUpdate, col(ProgressUpdate.measure_id).in_(measures)),
        (Answer, col(Answer.project_id).in_(projects)),
        (FlowSession, col(FlowSession.project_id).in_(projects)),
        (ProjectEditor, col(ProjectEditor.project_id).in_(projects)),
        (Measure, col(Measure.project_id).in_(projects)),
        (Need, col(Need.project_id).in_(projects)),
        (Community, col(Community.project_id).in_(projects)),
        (Project, col(Project.workspace_id) == wid),
        (Job, col(Job.workspace_id) == wid),
        (InboxEntry, col(InboxEntry.team_id) == workspace.team_id),
        (SlackUser, col(SlackUser.workspace_id) == wid),
        (DigestConfig, col(DigestConfig.workspace_id) == wid),
        (Digest, col(Digest.workspace_id) == wid),
        (Workspace, col(Workspace.id) == wid),
    ]
    counts: dict[str, int] = {}
    for table, which in steps:
        gone = await session.exec(delete(table).where(which).execution_options(synchronize_session=False))
        counts[str(table.__tablename__)] = gone.rowcount or 0
    for installed in (SLACK_INSTALLATIONS, SLACK_BOTS):  # distributed mode's installation, and so its token
        removed = await session.exec(delete(installed).where(_installed_in(installed, workspace)))
        counts[installed.name] = removed.rowcount or 0
    return counts


def _installed_in(table: Table, workspace: Workspace) -> ColumnElement[bool]:
    """The workspace's own installations (an org-wide one serves its organisation's others)."""
    enterprise = table.c.enterprise_id == workspace.enterprise_id if workspace.enterprise_id else table.c.enterprise_id.is_(None)
    return and_(table.c.team_id == workspace.team_id, enterprise)

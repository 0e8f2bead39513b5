"""A project as one JSON document: `socialvalue export` writes it, `socialvalue import` reads it
(checked whole first, in flows/project_file.py).

Rows are written without their database ids (communities, needs and measures are referred to
by their keys), so a document restores into any database and, restored into its own workspace
with its Slack places, exports again identically.
"""

from typing import Any

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.answers import answer_history
from storage.case_studies import case_study_versions, list_case_studies
from storage.flow_sessions import list_flow_sessions
from storage.models import Answer, CaseStudy, CaseStudyVersion, Community, FlowSession, Measure, Need, ProgressUpdate, Project, Workspace
from storage.progress import update_history
from storage.projects import LOCAL_NAME, LOCAL_TEAM_ID, get_or_create_workspace, get_project, list_communities, list_measures, list_needs

FORMAT = "socialvalue-project"
FORMAT_VERSION = 2  # flows/project_file.py reads this version, and converts version 1 (before needs were records)


class ImportRefused(Exception):
    """The document cannot be imported. `reason` names the explanation in prompts/terminal.j2."""

    def __init__(self, reason: str, **context: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.context = context


def _row(model: SQLModel, *, exclude: set[str]) -> dict[str, Any]:
    return dict(model.model_dump(mode="json", exclude={"id", *exclude}))


async def export_project(session: AsyncSession, project: Project) -> dict[str, Any]:
    workspace = await session.get_one(Workspace, project.workspace_id)
    communities = await list_communities(session, project_id=project.id, retired=True)
    keys = {c.id: c.key for c in communities}
    needs = await list_needs(session, project_id=project.id, retired=True)
    measures = await list_measures(session, project_id=project.id, retired=True)
    measure_keys = {m.id: m.key for m in measures}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "workspace": _row(workspace, exclude={"created_at", "uninstalled_at"}),
        "project": _row(project, exclude={"workspace_id", "channel_private"}),  # asked of Slack again where it is kept
        "communities": [_row(c, exclude={"project_id"}) for c in communities],
        "needs": [{**_row(n, exclude={"project_id", "community_id"}), "community": keys[n.community_id]} for n in needs],
        "measures": [_row(m, exclude={"project_id"}) for m in measures],
        "answers": [_row(a, exclude={"project_id"}) for a in await answer_history(session, project_id=project.id)],
        # unshown_step is a transport's passing state, not part of the plan
        "flow_sessions": [
            _row(s, exclude={"project_id", "unshown_step"}) for s in await list_flow_sessions(session, project_id=project.id)
        ],
        "progress_updates": [
            {**_row(u, exclude={"measure_id"}), "measure": measure_keys[u.measure_id]}
            for u in await update_history(session, project_id=project.id)
        ],
        "case_studies": [
            {
                **_row(c, exclude={"workspace_id", "project_id"}),
                "versions": [_row(v, exclude={"case_study_id"}) for v in await case_study_versions(session, study_id=c.id)],
            }
            for c in await list_case_studies(session, workspace_id=project.workspace_id, project_id=project.id, oldest_first=True)
        ],
    }


async def import_project(
    session: AsyncSession,
    document: dict[str, Any],
    *,
    team_id: str,
    importer: str,
    as_custodian: bool = False,
    keep_places: bool = False,
) -> Project:
    """Store a project document already checked whole (flows/project_file.py) in `team_id`'s
    workspace, which must not hold that name yet; every row gets a new id. The importer becomes
    its lead, and it has no channel and no one's place in a conversation, unless `keep_places`
    restores it into the workspace it came from. (As the next custodian, flows/handover.py then
    carries out the handover in the copy.)"""
    source = document.get("workspace") or {}
    if keep_places and not as_custodian and source.get("team_id") != team_id:
        raise ImportRefused("import_keep_elsewhere", team=source.get("team_id"), target=team_id)
    same = source.get("team_id") == team_id
    workspace = await get_or_create_workspace(
        session, team_id=team_id, name=source.get("name", "") if same else (LOCAL_NAME if team_id == LOCAL_TEAM_ID else "")
    )
    name = document["project"]["name"]
    if await get_project(session, workspace_id=workspace.id, name=name) is not None:
        raise ImportRefused("import_exists", name=name)
    project = Project.model_validate({**document["project"], "workspace_id": workspace.id})
    if as_custodian or not keep_places:
        project.channel_id, project.lead = None, importer
    session.add(project)
    await session.flush()
    ids = {}
    for row in document["communities"]:
        community = Community.model_validate({**row, "project_id": project.id})
        session.add(community)
        await session.flush()
        ids[community.key] = community.id
    for row in document.get("needs", []):
        fields = {k: v for k, v in row.items() if k != "community"}
        session.add(Need.model_validate({**fields, "project_id": project.id, "community_id": ids[row["community"]]}))
    measure_ids = {}
    for row in document["measures"]:
        measure = Measure.model_validate({**row, "project_id": project.id})
        session.add(measure)
        await session.flush()
        measure_ids[measure.key] = measure.id
    for row in document["progress_updates"]:
        fields = {k: v for k, v in row.items() if k != "measure"}
        session.add(ProgressUpdate.model_validate({**fields, "measure_id": measure_ids[row["measure"]]}))
    for row in document["answers"]:
        session.add(Answer.model_validate({**row, "project_id": project.id}))
    for row in document.get("case_studies", []):
        study = CaseStudy.model_validate(
            {**{k: v for k, v in row.items() if k != "versions"}, "workspace_id": workspace.id, "project_id": project.id}
        )
        session.add(study)
        await session.flush()
        for version in row["versions"]:
            session.add(CaseStudyVersion.model_validate({**version, "case_study_id": study.id}))
    for row in document["flow_sessions"] if keep_places and not as_custodian else []:
        session.add(FlowSession.model_validate({**row, "project_id": project.id}))
    await session.flush()
    return project

"""Queries on workspaces, projects, their communities and measures. The caller commits."""

from datetime import datetime
from difflib import get_close_matches
from typing import Any, cast

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import insert_if_absent
from storage.jobs import drop_reminders
from storage.models import Community, FlowSession, Measure, Need, Project, ProjectEditor, Workspace, utcnow

LOCAL_TEAM_ID, LOCAL_NAME = "local", "Terminal"  # the terminal's workspace


async def get_or_create_workspace(session: AsyncSession, *, team_id: str, enterprise_id: str = "", name: str = "") -> Workspace:
    """The workspace, read first (every request asks); inserted only the first time, safely
    when two processes race to create it."""
    query = select(Workspace).where(col(Workspace.team_id) == team_id, col(Workspace.enterprise_id) == enterprise_id)
    found = (await session.exec(query)).first()
    if found is not None:
        return found
    await insert_if_absent(
        session,
        Workspace,
        {"team_id": team_id, "enterprise_id": enterprise_id, "name": name, "created_at": utcnow()},
        ["enterprise_id", "team_id"],
    )
    return (await session.exec(query)).one()


NEAR_MISS = 0.8  # difflib's ratio: "A38 Derby Junction" or "A83 Derby Junctions" for "A38 Derby Junctions"


def name_key(name: str) -> str:
    """A name as people mean it: "a38  derby junctions" is "A38 Derby Junctions"."""
    return " ".join(name.split()).casefold()


async def get_project(session: AsyncSession, *, workspace_id: int, name: str) -> Project | None:
    """The workspace's project of this name, as typed or with other capitals and spaces."""
    found = (await session.exec(select(Project).where(col(Project.workspace_id) == workspace_id, col(Project.name) == name))).first()
    if found is not None:
        return found
    names = await session.exec(select(col(Project.id), col(Project.name)).where(col(Project.workspace_id) == workspace_id))
    same = next((project_id for project_id, other in names.all() if name_key(other) == name_key(name)), None)
    return await session.get(Project, same) if same is not None else None


async def similar_project_name(session: AsyncSession, *, workspace_id: int, name: str) -> str | None:
    """The workspace's project name closest to `name` (a typo, a word left out), if one is close."""
    names = (await session.exec(select(col(Project.name)).where(col(Project.workspace_id) == workspace_id))).all()
    keys = {name_key(other): other for other in names}
    close = get_close_matches(name_key(name), list(keys), n=1, cutoff=NEAR_MISS)
    return keys[close[0]] if close else None


async def get_project_by_id(session: AsyncSession, *, workspace_id: int, project_id: int) -> Project | None:
    found = await session.exec(select(Project).where(col(Project.workspace_id) == workspace_id, col(Project.id) == project_id))
    return found.first()


async def create_project(session: AsyncSession, *, workspace_id: int, name: str, **fields: Any) -> Project:
    project = Project(workspace_id=workspace_id, name=name, **fields)
    session.add(project)
    await session.flush()
    return project


async def list_projects(session: AsyncSession, *, workspace_id: int) -> list[Project]:
    found = await session.exec(select(Project).where(col(Project.workspace_id) == workspace_id).order_by(col(Project.name)))
    return list(found.all())


async def list_projects_in(session: AsyncSession, *, workspace_id: int, ids: set[int]) -> list[Project]:
    """The workspace's projects of these ids (and no other workspace's)."""
    if not ids:
        return []
    found = await session.exec(select(Project).where(col(Project.workspace_id) == workspace_id, col(Project.id).in_(sorted(ids))))
    return list(found.all())


async def list_channel_projects(session: AsyncSession, *, workspace_id: int, channel_id: str) -> list[Project]:
    found = await session.exec(
        select(Project).where(col(Project.workspace_id) == workspace_id, col(Project.channel_id) == channel_id).order_by(col(Project.name))
    )
    return list(found.all())


async def list_user_projects(session: AsyncSession, *, workspace_id: int, user: str) -> list[Project]:
    """Projects the user leads, edits or has answered questions of."""
    answering = select(col(FlowSession.project_id)).where(col(FlowSession.user) == user)
    editing = select(col(ProjectEditor.project_id)).where(col(ProjectEditor.user_id) == user)
    found = await session.exec(
        select(Project)
        .where(
            col(Project.workspace_id) == workspace_id,
            (col(Project.lead) == user) | col(Project.id).in_(answering) | col(Project.id).in_(editing),
        )
        .order_by(col(Project.name))
    )
    return list(found.all())


async def unknown_privacy(session: AsyncSession, *, limit: int) -> list[Project]:
    """Projects bound to a channel whose privacy Slack has not been asked about yet."""
    query = (
        select(Project)
        .join(Workspace, col(Workspace.id) == col(Project.workspace_id))
        .where(col(Project.channel_id).is_not(None), col(Project.channel_private).is_(None), col(Workspace.uninstalled_at).is_(None))
    )
    return list((await session.exec(query.order_by(col(Project.id)).limit(limit))).all())


async def set_privacy(session: AsyncSession, *, project_id: int, private: bool) -> None:
    await session.exec(update(Project).where(col(Project.id) == project_id).values(channel_private=private))


async def team_project_ids(session: AsyncSession, *, workspace_id: int, user: str) -> set[int]:
    """The workspace's projects this Slack user leads, edits, or owns a measure of (an owner is
    stored as picked, <@U…>, or as typed, @U… or U…)."""
    owning = select(col(Measure.project_id)).where(
        col(Measure.retired_at).is_(None), col(Measure.owner).in_((f"<@{user}>", f"@{user}", user))
    )
    editing = select(col(ProjectEditor.project_id)).where(col(ProjectEditor.user_id) == user)
    query = select(col(Project.id)).where(
        col(Project.workspace_id) == workspace_id,
        (col(Project.lead) == user) | col(Project.id).in_(editing) | col(Project.id).in_(owning),
    )
    return set((await session.exec(query)).all())


async def list_communities(session: AsyncSession, *, project_id: int, retired: bool = False) -> list[Community]:
    """The project's communities; with `retired`, those removed from the plan too."""
    query = select(Community).where(col(Community.project_id) == project_id)
    if not retired:
        query = query.where(col(Community.retired_at).is_(None))
    return list((await session.exec(query.order_by(col(Community.id)))).all())


async def list_measures(session: AsyncSession, *, project_id: int, retired: bool = False) -> list[Measure]:
    """The project's measures; with `retired`, those removed from the plan too."""
    query = select(Measure).where(col(Measure.project_id) == project_id)
    if not retired:
        query = query.where(col(Measure.retired_at).is_(None))
    return list((await session.exec(query.order_by(col(Measure.id)))).all())


async def list_needs(session: AsyncSession, *, project_id: int, retired: bool = False) -> list[Need]:
    """The project's needs, community by community; with `retired`, those removed too."""
    query = select(Need).where(col(Need.project_id) == project_id)
    if not retired:
        query = query.where(col(Need.retired_at).is_(None))
    return list((await session.exec(query.order_by(col(Need.community_id), col(Need.id)))).all())


Item = Community | Need | Measure


async def retire(session: AsyncSession, item: Item, *, by: str, now: datetime | None = None) -> None:
    """Remove a community, need or measure from the plan, keeping it (and its history). A
    retired measure's pending reminders are dropped; a retired community's needs go with it."""
    item.retired_at, item.retired_by = now or utcnow(), by
    session.add(item)
    if isinstance(item, Measure):
        await drop_reminders(session, measure_id=item.id, why="the measure was removed from the plan")
    elif isinstance(item, Community):
        await session.exec(
            update(Need)
            .where(col(Need.community_id) == item.id, col(Need.retired_at).is_(None))
            .values(retired_at=item.retired_at, retired_by=by)
        )
    await session.flush()


async def restore(session: AsyncSession, item: Item) -> None:
    item.retired_at, item.retired_by = None, None
    session.add(item)
    await session.flush()


RETIRED_KEYS: dict[str, type[Item]] = {"c": Community, "n": Need, "m": Measure}


async def retired_item(session: AsyncSession, *, project_id: int, key: str) -> Item | None:
    """The community, need or measure of this key (c2, n5, m3) if it was removed from the plan."""
    table = RETIRED_KEYS.get(key[:1])
    if table is None:
        return None
    query = select(table).where(col(table.project_id) == project_id, col(table.key) == key, col(table.retired_at).is_not(None))
    return cast(Item | None, (await session.exec(query)).first())


async def _next_key(session: AsyncSession, table: type[Item], prefix: str, project_id: int) -> str:
    count = await session.scalar(select(func.count()).select_from(table).where(col(table.project_id) == project_id))
    return f"{prefix}{(count or 0) + 1}"


async def add_community(session: AsyncSession, *, project_id: int, **fields: Any) -> Community:
    key = await _next_key(session, Community, "c", project_id)
    community = Community(project_id=project_id, key=key, **fields)
    session.add(community)
    await session.flush()
    return community


async def add_need(session: AsyncSession, *, project_id: int, community_id: int, **fields: Any) -> Need:
    key = await _next_key(session, Need, "n", project_id)
    need = Need(project_id=project_id, community_id=community_id, key=key, **fields)
    session.add(need)
    await session.flush()
    return need


async def add_measure(session: AsyncSession, *, project_id: int, **fields: Any) -> Measure:
    key = await _next_key(session, Measure, "m", project_id)
    measure = Measure(project_id=project_id, key=key, **fields)
    session.add(measure)
    await session.flush()
    return measure

"""Where each user stands in each flow: read and written inside the answer's transaction."""

from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import insert_if_absent
from storage.models import FlowSession, Project, SessionStatus, Workspace, utcnow


async def get_or_create_flow_session(session: AsyncSession, *, project_id: int, flow: str, user: str) -> FlowSession:
    """The user's session of this flow, read first and created only the first time. Locked (on
    PostgreSQL) so that two clicks on the same question cannot both advance it."""
    query = (
        select(FlowSession)
        .where(col(FlowSession.project_id) == project_id, col(FlowSession.flow) == flow, col(FlowSession.user) == user)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = (await session.exec(query)).first()
    if found is not None:
        return found
    now = utcnow()
    await insert_if_absent(
        session,
        FlowSession,
        {"project_id": project_id, "flow": flow, "user": user, "status": SessionStatus.ACTIVE, "started_at": now, "updated_at": now},
        ["project_id", "flow", "user"],
    )
    return (await session.exec(query)).one()


async def move_flow_session(session: AsyncSession, flow_session: FlowSession, *, position: str | None, status: str) -> None:
    flow_session.position = position
    flow_session.status = status
    flow_session.updated_at = utcnow()
    session.add(flow_session)
    await session.flush()


async def list_flow_sessions(session: AsyncSession, *, project_id: int) -> list[FlowSession]:
    found = await session.exec(select(FlowSession).where(col(FlowSession.project_id) == project_id).order_by(col(FlowSession.id)))
    return list(found.all())


async def latest_flow_session(
    session: AsyncSession,
    *,
    team_id: str,
    enterprise_id: str,
    user: str,
    status: str,
    lock: bool = False,
    place: tuple[str, str | None] | None = None,
) -> tuple[Project, FlowSession] | None:
    """The user's most recently used session with this status in this workspace, of any flow,
    found by the workspace's team (one query, even before the workspace is known); with
    `lock`, the session row is locked (on PostgreSQL) as `get_or_create_flow_session` does.
    With `place` (a channel, and a thread or None), only a session held there: in that thread,
    or under its current question's thread; outside any thread, one never placed too."""
    query = (
        select(Project, FlowSession)
        .join(FlowSession, col(FlowSession.project_id) == col(Project.id))
        .join(Workspace, col(Workspace.id) == col(Project.workspace_id))
        .where(
            col(Workspace.team_id) == team_id,
            col(Workspace.enterprise_id) == enterprise_id,
            col(FlowSession.user) == user,
            col(FlowSession.status) == status,
        )
        .order_by(col(FlowSession.updated_at).desc(), col(FlowSession.id).desc())
        .limit(1)
    )
    if place is not None:
        channel, thread = place
        if thread is None:
            query = query.where(
                or_(col(FlowSession.channel) == channel, col(FlowSession.channel).is_(None)), col(FlowSession.thread_ts).is_(None)
            )
        else:
            query = query.where(
                col(FlowSession.channel) == channel, or_(col(FlowSession.thread_ts) == thread, col(FlowSession.question_ts) == thread)
            )
    if lock:
        query = query.with_for_update(of=FlowSession).execution_options(populate_existing=True)
    row = (await session.exec(query)).first()
    return None if row is None else (row[0], row[1])


async def place_flow_session(
    session: AsyncSession, *, flow_session_id: int, channel: str, thread_ts: str | None, question_ts: str | None
) -> None:
    """Where a transport holds the conversation now (a Slack DM or thread, and the message
    asking the current question, which is therefore shown): one UPDATE, without reading the row
    again."""
    await session.exec(
        update(FlowSession)
        .where(col(FlowSession.id) == flow_session_id)
        .values(channel=channel, thread_ts=thread_ts, question_ts=question_ts, unshown_step=None)
    )


async def mark_unshown(session: AsyncSession, *, flow_session_id: int, step: str) -> None:
    """The question of `step` could not be posted: the next message is not its answer."""
    await session.exec(update(FlowSession).where(col(FlowSession.id) == flow_session_id).values(unshown_step=step))

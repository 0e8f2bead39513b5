"""Where each user stands in each flow: read and written inside the answer's transaction."""

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import insert_if_absent
from storage.models import FlowSession, Project, utcnow


async def get_or_create_flow_session(
    session: AsyncSession, *, project_id: int, flow: str, user: str
) -> FlowSession:
    now = utcnow()
    await insert_if_absent(
        session,
        FlowSession,
        {"project_id": project_id, "flow": flow, "user": user, "status": "active", "started_at": now, "updated_at": now},
        ["project_id", "flow", "user"],
    )
    # Locked (on PostgreSQL) so that two clicks on the same question cannot both advance it.
    found = await session.exec(
        select(FlowSession)
        .where(FlowSession.project_id == project_id, FlowSession.flow == flow, FlowSession.user == user)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found.one()


async def move_flow_session(
    session: AsyncSession, flow_session: FlowSession, *, position: str | None, status: str
) -> None:
    flow_session.position = position
    flow_session.status = status
    flow_session.updated_at = utcnow()
    session.add(flow_session)
    await session.flush()


async def list_flow_sessions(session: AsyncSession, *, project_id: int) -> list[FlowSession]:
    found = await session.exec(
        select(FlowSession).where(FlowSession.project_id == project_id).order_by(FlowSession.id)
    )
    return list(found.all())


async def latest_flow_session(
    session: AsyncSession, *, workspace_id: int, user: str, status: str, flow: str | None = None
) -> tuple[Project, FlowSession] | None:
    """The user's most recently used session with this status in this workspace (of any flow
    unless one is named)."""
    found = await session.exec(
        select(Project, FlowSession)
        .join(FlowSession, FlowSession.project_id == Project.id)
        .where(
            Project.workspace_id == workspace_id,
            FlowSession.user == user,
            FlowSession.flow == flow if flow else True,
            FlowSession.status == status,
        )
        .order_by(FlowSession.updated_at.desc(), FlowSession.id.desc())
        .limit(1)
    )
    row = found.first()
    return None if row is None else (row[0], row[1])


async def place_flow_session(
    session: AsyncSession, flow_session: FlowSession, *, channel: str, thread_ts: str | None, question_ts: str | None
) -> None:
    flow_session.channel = channel
    flow_session.thread_ts = thread_ts
    flow_session.question_ts = question_ts
    session.add(flow_session)
    await session.flush()

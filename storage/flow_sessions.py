"""Where each user stands in each flow: read and written inside the answer's transaction."""

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FlowSession, utcnow


async def get_or_create_flow_session(
    session: AsyncSession, *, project_id: int, flow: str, user: str
) -> FlowSession:
    found = await session.exec(
        select(FlowSession).where(
            FlowSession.project_id == project_id, FlowSession.flow == flow, FlowSession.user == user
        )
    )
    flow_session = found.first()
    if flow_session is None:
        flow_session = FlowSession(project_id=project_id, flow=flow, user=user)
        session.add(flow_session)
        await session.flush()
    return flow_session


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

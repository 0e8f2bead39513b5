"""Progress updates: appended per measure and period; the current one is the latest version."""

from datetime import datetime

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Measure, ProgressUpdate


async def append_update(session: AsyncSession, **fields) -> ProgressUpdate:
    latest = await session.scalar(
        select(func.max(ProgressUpdate.version)).where(
            ProgressUpdate.measure_id == fields["measure_id"], ProgressUpdate.period_end == fields["period_end"]
        )
    )
    update = ProgressUpdate(**fields, version=(latest or 0) + 1)
    session.add(update)
    await session.flush()
    return update


async def current_updates(
    session: AsyncSession, *, project_id: int, measure_id: int | None = None
) -> dict[int, list[ProgressUpdate]]:
    """Each measure's current update per period, oldest period first, in one query."""
    query = (
        select(ProgressUpdate)
        .join(Measure, Measure.id == ProgressUpdate.measure_id)
        .where(Measure.project_id == project_id)
        .order_by(ProgressUpdate.measure_id, ProgressUpdate.period_end, ProgressUpdate.version)
    )
    if measure_id is not None:
        query = query.where(ProgressUpdate.measure_id == measure_id)
    found = await session.exec(query)
    latest: dict[tuple[int, object], ProgressUpdate] = {}
    for update in found.all():
        latest[(update.measure_id, update.period_end)] = update
    by_measure: dict[int, list[ProgressUpdate]] = {}
    for update in latest.values():
        by_measure.setdefault(update.measure_id, []).append(update)
    return by_measure


async def get_update(session: AsyncSession, *, update_id: int) -> ProgressUpdate | None:
    return await session.get(ProgressUpdate, update_id)


async def review_update(
    session: AsyncSession, update: ProgressUpdate, *, decision: str, reviewer: str, comment: str | None, at: datetime
) -> None:
    update.review, update.reviewed_by, update.review_comment, update.reviewed_at = decision, reviewer, comment, at
    session.add(update)
    await session.flush()


async def update_history(session: AsyncSession, *, project_id: int) -> list[ProgressUpdate]:
    """Every version of every update of the project's measures, in a stable order."""
    found = await session.exec(
        select(ProgressUpdate)
        .join(Measure, Measure.id == ProgressUpdate.measure_id)
        .where(Measure.project_id == project_id)
        .order_by(ProgressUpdate.measure_id, ProgressUpdate.period_end, ProgressUpdate.version)
    )
    return list(found.all())

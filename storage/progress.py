"""Progress updates: appended per measure and period; the current one is the latest version."""

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Measure, ProgressUpdate


async def append_update(session: AsyncSession, **fields: Any) -> ProgressUpdate:
    latest = await session.scalar(
        select(func.max(col(ProgressUpdate.version))).where(
            col(ProgressUpdate.measure_id) == fields["measure_id"], col(ProgressUpdate.period_end) == fields["period_end"]
        )
    )
    update = ProgressUpdate(**fields, version=(latest or 0) + 1)
    session.add(update)
    await session.flush()
    return update


async def current_updates(
    session: AsyncSession, *, project_id: int, measure_id: int | None = None, as_of: datetime | None = None
) -> dict[int, list[ProgressUpdate]]:
    """Each measure's current update per period, oldest period first, in one query; with
    `as_of`, as they stood then (the versions recorded by that moment)."""
    return await current_updates_of(session, project_ids=[project_id], measure_id=measure_id, as_of=as_of)


async def current_updates_of(
    session: AsyncSession, *, project_ids: list[int], measure_id: int | None = None, as_of: datetime | None = None
) -> dict[int, list[ProgressUpdate]]:
    """The same for several projects at once (the worker's planning), still one query."""
    query = (
        select(ProgressUpdate)
        .join(Measure, col(Measure.id) == col(ProgressUpdate.measure_id))
        .where(col(Measure.project_id).in_(project_ids))
        .order_by(col(ProgressUpdate.measure_id), col(ProgressUpdate.period_end), col(ProgressUpdate.version))
    )
    if measure_id is not None:
        query = query.where(col(ProgressUpdate.measure_id) == measure_id)
    if as_of is not None:
        query = query.where(col(ProgressUpdate.created_at) <= as_of)
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
        .join(Measure, col(Measure.id) == col(ProgressUpdate.measure_id))
        .where(col(Measure.project_id) == project_id)
        .order_by(col(ProgressUpdate.measure_id), col(ProgressUpdate.period_end), col(ProgressUpdate.version))
    )
    return list(found.all())


async def count_updates(session: AsyncSession, *, measure_id: int) -> int:
    """How many periods of the measure have been reported (each counted once, whatever its versions)."""
    found = await session.scalar(
        select(func.count(func.distinct(col(ProgressUpdate.period_end)))).where(col(ProgressUpdate.measure_id) == measure_id)
    )
    return found or 0

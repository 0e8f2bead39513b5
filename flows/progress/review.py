"""The project lead's review of an update: approved, or returned with a comment."""

from datetime import datetime

from pydantic_core import PydanticCustomError
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.conversation.inputs import MAX_TEXT, clean_text
from flows.refusals import Refused
from storage.models import Measure, ProgressUpdate, Project, Review
from storage.progress import get_update, review_update
from storage.projects import list_measures


class ReviewRefused(Refused):
    """Refused: nothing was stored."""


async def review(
    db: AsyncSession,
    project: Project,
    *,
    update_id: int,
    reviewer: str,
    decision: Review,
    comment: str | None,
    now: datetime,
) -> tuple[ProgressUpdate, Measure]:
    """The project lead approves an update, or returns it with a comment; who and when is kept.
    Returns the update and its measure."""
    if reviewer != project.lead:
        raise ReviewRefused("review_not_lead", lead=project.lead)
    update = await get_update(db, update_id=update_id)
    measures = {m.id: m for m in await list_measures(db, project_id=project.id)}
    if update is None or update.measure_id not in measures:
        raise ReviewRefused("review_unknown_update")
    if decision == Review.RETURNED:
        try:
            comment = clean_text(comment, maximum=MAX_TEXT)
        except PydanticCustomError:
            raise ReviewRefused("review_needs_comment") from None
    await review_update(db, update, decision=decision, reviewer=reviewer, comment=comment, at=now)
    return update, measures[update.measure_id]

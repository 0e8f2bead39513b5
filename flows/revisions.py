"""A plan that changes after its summary was posted to the project's channel: the summary
there is brought up to date (the worker edits the message), with a note in its thread of what
changed and who changed it, rather than a second summary."""

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from flows.outbox import SummaryRevised, queue
from storage.jobs import posted_summary
from storage.models import Project

MAX_CHANGES = 30  # a note lists this many; a form holds fewer fields than a page of changes


async def revise_summary(db: AsyncSession, project: Project, *, user: str, now: datetime, changes: list[str]) -> bool:
    """Queue the revision in the caller's transaction; False when there is nothing to revise
    (no change, or no summary in a channel yet)."""
    if not changes or not project.channel_id or await posted_summary(db, project_id=project.id) is None:
        return False
    revised = SummaryRevised(project_id=project.id, changed_by=user, changed_at=now.isoformat(), changes=changes[:MAX_CHANGES])
    return await queue(db, revised, due_at=now, workspace_id=project.workspace_id)

"""Queries on a project's editors. The caller commits."""

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import insert_if_absent
from storage.models import ProjectEditor, utcnow


async def list_editors(session: AsyncSession, *, project_id: int) -> list[str]:
    """The user ids of the project's editors, in the order they were added."""
    query = select(col(ProjectEditor.user_id)).where(col(ProjectEditor.project_id) == project_id).order_by(col(ProjectEditor.id))
    return list((await session.exec(query)).all())


async def add_editor(session: AsyncSession, *, project_id: int, user_id: str, by: str) -> bool:
    """Whether they were not an editor already."""
    return await insert_if_absent(
        session,
        ProjectEditor,
        {"project_id": project_id, "user_id": user_id, "added_by": by, "added_at": utcnow()},
        ["project_id", "user_id"],
    )


async def remove_editor(session: AsyncSession, *, project_id: int, user_id: str) -> bool:
    """Whether they were an editor."""
    query = delete(ProjectEditor).where(col(ProjectEditor.project_id) == project_id, col(ProjectEditor.user_id) == user_id)
    return bool((await session.exec(query)).rowcount)

"""What the app knows of Slack users (SlackUser rows), one workspace at a time."""

from datetime import datetime
from typing import Any

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import insert_if_absent
from storage.models import SlackUser


async def list_people(session: AsyncSession, *, workspace_id: int | None = None) -> list[SlackUser]:
    query = select(SlackUser)
    if workspace_id is not None:
        query = query.where(col(SlackUser.workspace_id) == workspace_id)
    return list((await session.exec(query)).all())


async def get_person(session: AsyncSession, *, workspace_id: int, user_id: str) -> SlackUser | None:
    query = select(SlackUser).where(col(SlackUser.workspace_id) == workspace_id, col(SlackUser.user_id) == user_id)
    return (await session.exec(query)).first()


async def save_person(session: AsyncSession, *, workspace_id: int, user_id: str, fetched_at: datetime, **fields: Any) -> None:
    """Insert or refresh one user (two workers may look the same person up at once)."""
    values = {"workspace_id": workspace_id, "user_id": user_id, "fetched_at": fetched_at, **fields}
    if not await insert_if_absent(session, SlackUser, values, ["workspace_id", "user_id"]):
        await session.exec(
            update(SlackUser)
            .where(col(SlackUser.workspace_id) == workspace_id, col(SlackUser.user_id) == user_id)
            .values(fetched_at=fetched_at, **fields)
        )

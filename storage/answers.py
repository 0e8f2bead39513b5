"""The answer history: every answer is a new row; the current answer is the latest version."""

from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Answer

AnswerKey = tuple[str, str, str]  # question, field, subject


async def append_answer(
    session: AsyncSession,
    *,
    project_id: int,
    flow: str,
    flow_version: int,
    question: str,
    field: str,
    subject: str = "",
    value: Any,
    author: str,
    version: int | None = None,
) -> Answer:
    """Store a new version (`version`, when the caller read the current one in this
    transaction); two writers on the same version collide on the unique key."""
    if version is None:
        latest = await session.scalar(
            select(func.max(col(Answer.version))).where(
                col(Answer.project_id) == project_id,
                col(Answer.question) == question,
                col(Answer.field) == field,
                col(Answer.subject) == subject,
            )
        )
        version = (latest or 0) + 1
    answer = Answer(
        project_id=project_id,
        flow=flow,
        flow_version=flow_version,
        question=question,
        field=field,
        subject=subject,
        value=value,
        author=author,
        version=version,
    )
    session.add(answer)
    await session.flush()
    return answer


async def current_answers(session: AsyncSession, *, project_id: int) -> dict[AnswerKey, Answer]:
    history = await answer_history(session, project_id=project_id)
    # Ordered by version, so the last one seen per key is the current one.
    return {(a.question, a.field, a.subject): a for a in history}


async def answer_history(session: AsyncSession, *, project_id: int) -> list[Answer]:
    found = await session.exec(
        select(Answer)
        .where(col(Answer.project_id) == project_id)
        .order_by(col(Answer.question), col(Answer.field), col(Answer.subject), col(Answer.version))
    )
    return list(found.all())

"""The answer history: every answer is a new row; the current answer is the latest version."""

from typing import Any

from sqlalchemy import func
from sqlmodel import select
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
) -> Answer:
    """Store a new version; two writers on the same version collide on the unique key."""
    latest = await session.scalar(
        select(func.max(Answer.version)).where(
            Answer.project_id == project_id,
            Answer.question == question,
            Answer.field == field,
            Answer.subject == subject,
        )
    )
    answer = Answer(
        project_id=project_id,
        flow=flow,
        flow_version=flow_version,
        question=question,
        field=field,
        subject=subject,
        value=value,
        author=author,
        version=(latest or 0) + 1,
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
        .where(Answer.project_id == project_id)
        .order_by(Answer.question, Answer.field, Answer.subject, Answer.version)
    )
    return list(found.all())

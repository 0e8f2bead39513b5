"""Messages to post later, queued in the job table inside the caller's transaction; the worker
posts them (a long one as a parent message and its thread replies)."""

from datetime import datetime

from slack_sdk.models.blocks import Block
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.blocks import fallback
from storage.jobs import enqueue_job

MESSAGE = "message"  # payload: channel, text, groups (lists of block dicts, one per message)


async def queue_message(
    db: AsyncSession, *, key: str, channel: str, groups: list[list[Block]], text: str, due_at: datetime
) -> bool:
    return await enqueue_job(
        db,
        kind=MESSAGE,
        dedupe_key=key,
        due_at=due_at,
        payload={"channel": channel, "text": fallback(text), "groups": [[b.to_dict() for b in g] for g in groups]},
    )

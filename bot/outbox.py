"""Messages to post later, queued in the job table inside the caller's transaction; the worker
posts them (a long one as a parent message and its thread replies)."""

import uuid
from datetime import datetime

from slack_sdk.models.blocks import Block
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.blocks import fallback
from storage.jobs import enqueue_job

MESSAGE = "message"  # payload: channel, text, groups (lists of block dicts, one per message)
HANDOVER_PACK = "handover_pack"  # payload: project_id, requested_by


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


async def queue_pack(db: AsyncSession, project, user: str, now: datetime) -> bool:
    """The handover pack, built and uploaded by the worker (so a failed upload is retried)."""
    return await enqueue_job(
        db, kind=HANDOVER_PACK, dedupe_key=f"{HANDOVER_PACK}:{project.id}:{uuid.uuid4().hex}", due_at=now,
        payload={"project_id": project.id, "requested_by": user},
    )

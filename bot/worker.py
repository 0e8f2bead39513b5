"""The worker: sends what the job table holds, once.

A pass looks up the time zones of new measure owners, queues the reminders that are due,
then claims due jobs in batches and sends each through one sender, marking it sent only
after Slack answers ok. A 429 puts the job back until Slack's Retry-After; other failures
are retried with backoff, then the job is marked failed with the error. On SQLite only one
worker may run (it holds a lease); on PostgreSQL any number may.
"""

import logging
import os
import re
import socket
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.blocks import fallback, reminder_blocks, summary_messages
from bot.clock import SystemClock
from bot.outbox import HANDOVER_PACK, MESSAGE
from flows.digest import (
    DIGEST,
    digest_text,
    digest_to_send,
    plan_digests,
    record_digest,
)
from flows.handover_pack import build_pack, handover_document
from flows.reminders import (
    REMINDER,
    owners_without_time_zone,
    plan_reminders,
    remember_time_zone,
    reminder_subject,
)
from prompts import MarkupKind, render
from storage.engine import transaction
from storage.jobs import (
    claim_due_jobs,
    finish_job,
    release_worker_lease,
    take_worker_lease,
)
from storage.models import Job, JobStatus, Project

logger = logging.getLogger(__name__)
BATCH = 100
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
CHANNEL_SPACING = 1.0  # seconds between two posts to one channel (Slack's limit)


class WorkerRefused(Exception):
    """Another worker holds the SQLite lease."""


@dataclass
class PassResult:
    sent: int = 0
    dropped: int = 0
    retried: int = 0
    failed: int = 0


@dataclass
class Sender:
    """The worker's one way to post: at most one message per channel per second."""

    client: AsyncWebClient
    clock: SystemClock
    last_post: dict[str, float] = field(default_factory=dict)

    async def post(self, channel: str, job: Job, **message):
        wait = self.last_post.get(channel, float("-inf")) + CHANNEL_SPACING - self.clock.monotonic()
        if wait > 0:
            await self.clock.sleep(wait)
        try:
            # The job's key travels with the message, so a post whose answer was lost can be found.
            metadata = {"event_type": "socialvalue_job", "event_payload": {"key": job.dedupe_key}}
            return await self.client.chat_postMessage(channel=channel, metadata=metadata, **message)
        finally:
            self.last_post[channel] = self.clock.monotonic()


async def locate_owners(engine: AsyncEngine, client: AsyncWebClient, clock) -> None:
    async with transaction(engine) as db:
        wanted = await owners_without_time_zone(db)
    for workspace, user in wanted:
        try:
            found = await client.users_info(user=user)
            tz = found["user"].get("tz")
        except SlackApiError as failure:
            logger.warning("users.info %s failed: %s", user, failure)
            tz = None
        async with transaction(engine) as db:
            await remember_time_zone(db, workspace, user, tz, clock.now())


async def deliver(engine: AsyncEngine, sender: Sender, job: Job, clock) -> str:
    """Send one claimed job; returns the status it ends in."""
    if job.kind == MESSAGE:
        channel, text, groups = job.payload["channel"], job.payload["text"], job.payload["groups"]
        first = await sender.post(channel, job, text=text, blocks=groups[0])
        for group in groups[1:]:
            await sender.post(channel, job, text=text, blocks=group, thread_ts=first["ts"])
        return JobStatus.SENT
    if job.kind == DIGEST:
        return await deliver_digest(engine, sender, job, clock)
    if job.kind == HANDOVER_PACK:
        return await deliver_pack(engine, sender, job, clock)
    if job.kind != REMINDER:
        raise ValueError(f"unknown job kind {job.kind}")
    async with transaction(engine) as db:
        subject = await reminder_subject(db, job.payload, clock.now())
    if subject is None:
        return JobStatus.DROPPED
    project, status = subject
    text = render("slack.j2:reminder", MarkupKind.MRKDWN, project=project, status=status, kind=job.payload["kind"],
                  due=job.payload["period_end"], owner=job.payload["owner"], to_owner=job.payload["to"] == job.payload["owner"])
    await sender.post(job.payload["to"], job, text=fallback(text), blocks=reminder_blocks(text, project, status, job.payload["period_end"]))
    return JobStatus.SENT


async def deliver_digest(engine: AsyncEngine, sender: Sender, job: Job, clock) -> str:
    """Post the week's digest (a parent message and thread replies), then record it."""
    async with transaction(engine) as db:
        found = await digest_to_send(db, job.payload)
    if found is None:
        return JobStatus.DROPPED
    channel, digest = found
    text = digest_text(digest, MarkupKind.MRKDWN)
    groups = summary_messages(text)
    first = await sender.post(channel, job, text=fallback(text), blocks=groups[0])
    for group in groups[1:]:
        await sender.post(channel, job, text=fallback(text), blocks=group, thread_ts=first["ts"])
    async with transaction(engine) as db:
        await record_digest(db, job.payload["workspace_id"], digest, clock.now())
    return JobStatus.SENT


async def deliver_pack(engine: AsyncEngine, sender: Sender, job: Job, clock) -> str:
    """Build the handover pack and share its three files with one summary comment: Slack posts
    nothing until the last step, so a failed upload leaves nothing half posted."""
    async with transaction(engine) as db:
        project = await db.get(Project, job.payload["project_id"])
        if project is None:
            return JobStatus.DROPPED
        today = clock.now().date()
        pack = await build_pack(db, project, today)
        files = {fmt: await handover_document(db, project, fmt, today) for fmt in ("md", "html", "json")}
    slug = re.sub(r"[^A-Za-z0-9]+", "-", project.name).strip("-").lower() or "project"
    try:
        await sender.client.files_upload_v2(
            channel=project.channel_id or job.payload["requested_by"],
            initial_comment=render("slack.j2:pack_summary", MarkupKind.MRKDWN, pack=pack),
            file_uploads=[
                {"content": content, "filename": f"{slug}-handover.{fmt}", "title": f"{project.name}: handover pack ({fmt})"}
                for fmt, content in files.items()
            ],
        )
    except (SlackApiError, SlackRequestError) as failure:
        if job.attempts == 1:  # told once, not at every retry
            await sender.client.chat_postMessage(
                channel=job.payload["requested_by"],
                text=render("slack.j2:pack_upload_failed", MarkupKind.MRKDWN, name=project.name, error=type(failure).__name__),
            )
        raise
    return JobStatus.SENT


async def work_pass(engine: AsyncEngine, sender: Sender, clock) -> PassResult:
    await locate_owners(engine, sender.client, clock)
    async with transaction(engine) as db:
        await plan_reminders(db, clock.now())
        await plan_digests(db, clock.now())
    return await send_due(engine, sender, clock)


async def send_due(engine: AsyncEngine, sender: Sender, clock) -> PassResult:
    """Claim and send due jobs, a batch at a time, until none is due."""
    result = PassResult()
    while True:
        async with transaction(engine) as db:
            jobs = await claim_due_jobs(db, now=clock.now(), limit=BATCH, lease=LEASE)
        if not jobs:
            return result
        for job in jobs:
            await _settle(engine, sender, job, clock, result)


async def _settle(engine: AsyncEngine, sender: Sender, job: Job, clock, result: PassResult) -> None:
    retry_at = error = None
    try:
        outcome = await deliver(engine, sender, job, clock)
    except SlackApiError as failure:
        error = f"{failure.response.status_code}: {failure.response.data}"[:500]
        if failure.response.status_code == 429:
            seconds = int(failure.response.headers.get("Retry-After", failure.response.headers.get("retry-after", 1)))
            outcome, retry_at = JobStatus.PENDING, clock.now() + timedelta(seconds=seconds)
        else:
            outcome = JobStatus.PENDING if job.attempts < MAX_ATTEMPTS else JobStatus.FAILED
    except Exception as failure:  # connection lost after the slack_sdk retries, a bug: keep the job
        logger.exception("job %s failed", job.dedupe_key)
        error = f"{type(failure).__name__}: {failure}"
        outcome = JobStatus.PENDING if job.attempts < MAX_ATTEMPTS else JobStatus.FAILED
    if outcome == JobStatus.PENDING and retry_at is None:
        retry_at = clock.now() + timedelta(seconds=30 * 2 ** (job.attempts - 1))
    async with transaction(engine) as db:
        await finish_job(db, job, status=outcome, now=clock.now(), error=error, retry_at=retry_at)
    if outcome == JobStatus.SENT:
        result.sent += 1
    elif outcome == JobStatus.DROPPED:
        result.dropped += 1
    elif outcome == JobStatus.FAILED:
        result.failed += 1
    else:
        result.retried += 1


async def run_worker(
    engine: AsyncEngine, client: AsyncWebClient, *, once: bool, clock=None, poll_seconds: float = 30
) -> PassResult:
    clock = clock or SystemClock()
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    single = engine.dialect.name == "sqlite"
    sender = Sender(client, clock)
    total = PassResult()
    try:
        while True:
            if single:
                async with transaction(engine) as db:
                    if not await take_worker_lease(db, holder=holder, now=clock.now(), ttl=LEASE * 2):
                        raise WorkerRefused(render("terminal.j2:worker_refused"))
            done = await work_pass(engine, sender, clock)
            for name in ("sent", "dropped", "retried", "failed"):
                setattr(total, name, getattr(total, name) + getattr(done, name))
            if once:
                return total
            await clock.sleep(poll_seconds)
    finally:
        if single:
            async with transaction(engine) as db:
                await release_worker_lease(db, holder=holder, now=clock.now())

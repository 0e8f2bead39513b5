"""The worker: sends what the job table holds, once.

A pass looks up the time zones of new measure owners, queues the reminders and digests that
are due, then claims due jobs in batches and sends each through its kind's handler, marking
it sent only after Slack answers ok; a failure goes to the retry policy. On SQLite only one
worker may run (it holds a lease); on PostgreSQL any number may.
"""

import logging
import os
import socket
import uuid
from dataclasses import dataclass, fields
from datetime import timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock, SystemClock
from bot.slack.blocks.text import fallback, text_sections
from bot.slack.errors import PERMANENT, slack_error
from bot.worker.kinds import KINDS, Delivery, Message, send_reminders
from bot.worker.retry import Outcome, after_failure
from bot.worker.sender import Sender
from flows.digest import plan_digests
from flows.outbox import JobKind, queue
from flows.people import Person, people_to_look_up, remember_person
from flows.reminders import plan_reminders
from prompts import MarkupKind, render
from storage.engine import transaction
from storage.jobs import claim_due_jobs, claim_jobs, finish_job, release_worker_lease, take_worker_lease
from storage.models import Job, JobStatus

logger = logging.getLogger(__name__)
BATCH = 100
LEASE = timedelta(minutes=5)


class WorkerRefused(Exception):
    """Another worker holds the SQLite lease."""


@dataclass
class PassResult:
    sent: int = 0
    dropped: int = 0
    retried: int = 0
    failed: int = 0

    def count(self, status: JobStatus) -> None:
        name = {JobStatus.SENT: "sent", JobStatus.DROPPED: "dropped", JobStatus.FAILED: "failed"}.get(status, "retried")
        setattr(self, name, getattr(self, name) + 1)

    def add(self, other: "PassResult") -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


async def look_up_people(engine: AsyncEngine, client: AsyncWebClient, clock: Clock) -> None:
    """users.info for the owners and leads not yet known, or not for a while (time zone, name,
    deactivated). A 429 or an outage is asked again next pass, never stored as a default."""
    async with transaction(engine) as db:
        wanted = await people_to_look_up(db, clock.now())
    for workspace, user in wanted:
        try:
            found = (await client.users_info(user=user))["user"]
            person = Person(tz=found.get("tz"), name=found.get("real_name") or found.get("name"), gone=bool(found.get("deleted")))
        except SlackApiError as failure:
            logger.warning("users.info %s failed: %s", user, failure)
            error = slack_error(failure)
            if error not in PERMANENT:
                continue
            person = Person(gone=error == "user_not_found")
        async with transaction(engine) as db:
            await remember_person(db, workspace.id, user, person, clock.now())


async def work_pass(engine: AsyncEngine, sender: Sender, clock: Clock) -> PassResult:
    await look_up_people(engine, sender.client, clock)
    async with transaction(engine) as db:
        await plan_reminders(db, clock.now())
        await plan_digests(db, clock.now())
    return await send_due(engine, sender, clock)


async def send_due(engine: AsyncEngine, sender: Sender, clock: Clock) -> PassResult:
    """Claim and send due jobs, a batch at a time, until none is due. The reminders of a batch
    that go to one person are one DM; a full batch brings along the rest of its people's due
    reminders (up to another batch), so a busy moment does not split anyone's DM."""
    result = PassResult()
    delivery = Delivery(engine, sender, clock)
    while True:
        async with transaction(engine) as db:
            jobs = await claim_due_jobs(db, now=clock.now(), limit=BATCH, lease=LEASE)
            people = sorted({str(job.payload.get("to")) for job in jobs if job.kind == JobKind.REMINDER})
            if len(jobs) == BATCH and people:  # a full batch may have cut someone's reminders in two
                jobs += await claim_due_jobs(db, now=clock.now(), limit=BATCH, lease=LEASE, kind=JobKind.REMINDER, to=people)
        if not jobs:
            return result
        await _settle(delivery, jobs, result)


async def send_now(engine: AsyncEngine, client: AsyncWebClient, clock: Clock, keys: list[str]) -> PassResult:
    """Send the jobs a request just queued, from the web process, after its ack: a confirmation
    arrives at once, and is still sent by the worker if this process dies first."""
    result = PassResult()
    async with transaction(engine) as db:
        jobs = await claim_jobs(db, keys=keys, now=clock.now(), lease=LEASE)
    await _settle(Delivery(engine, Sender(client, clock), clock), jobs, result)
    return result


async def _settle(delivery: Delivery, jobs: list[Job], result: PassResult) -> None:
    for group in _by_recipient(jobs):
        outcomes = await _send(delivery, group)
        # One notice for a group that failed for good: it was one message.
        failed = next((job for job in group if outcomes[job.id].status == JobStatus.FAILED), None)
        notice = await _notice(delivery, failed, outcomes[failed.id]) if failed is not None else None
        async with transaction(delivery.engine) as db:
            for job in group:
                outcome = outcomes[job.id]
                await finish_job(db, job, status=outcome.status, now=delivery.clock.now(), error=outcome.error, retry_at=outcome.retry_at)
                result.count(outcome.status)
            if notice is not None:
                await queue(db, notice, due_at=delivery.clock.now())


def _by_recipient(jobs: list[Job]) -> list[list[Job]]:
    """Reminders grouped by the person they go to (in the order first due); any other job alone."""
    groups: list[list[Job]] = []
    reminders: dict[str, list[Job]] = {}
    for job in jobs:
        if job.kind == JobKind.REMINDER:
            to = str(job.payload.get("to"))
            if to not in reminders:
                reminders[to] = []
                groups.append(reminders[to])
            reminders[to].append(job)
        else:
            groups.append([job])
    return groups


async def _send(delivery: Delivery, group: list[Job]) -> dict[int, Outcome]:
    """Send one message (a job, or one person's reminders) and say how each job ends."""
    first = group[0]
    try:
        if first.kind == JobKind.REMINDER:
            return {job_id: Outcome(status) for job_id, status in (await send_reminders(delivery, group)).items()}
        kind = KINDS.get(first.kind)
        if kind is None:
            raise ValueError(f"unknown job kind {first.kind}")
        return {first.id: Outcome(await kind.deliver(delivery, first))}
    except Exception as failure:  # Slack's refusal, a connection lost after the slack_sdk retries, a bug: keep the jobs
        if not isinstance(failure, SlackApiError):
            logger.exception("job %s failed", first.dedupe_key)
        return {job.id: after_failure(failure, attempts=job.attempts, now=delivery.clock.now()) for job in group}


async def _notice(delivery: Delivery, job: Job, outcome: Outcome) -> Message | None:
    """The DM that tells someone a job failed for good, and what to do about it; once, since
    it is keyed by the job."""
    kind = KINDS.get(job.kind)
    try:
        notice = await kind.notice_of(delivery, job) if kind else None
    except Exception:
        logger.exception("finding who to tell of job %s failed", job.dedupe_key)
        return None
    if notice is None:
        logger.warning("job %s failed for good and nobody can be told: %s", job.dedupe_key, outcome.error)
        return None
    text = render(
        "slack.j2:post_refused",
        MarkupKind.MRKDWN,
        what=notice.what,
        person=notice.person,
        channel=notice.channel,
        job=job.id,
        error=outcome.permanent,
        advice=PERMANENT.get(outcome.permanent or "", "gave_up"),
    )
    # Keyed by the job and the moment: told once per failure, again if it fails after a retry.
    key = f"failed:{job.id}:{delivery.clock.now().isoformat()}"
    return Message(key=key, channel=notice.user, text=fallback(text), groups=[[b.to_dict() for b in text_sections(text)]])


async def run_worker(
    engine: AsyncEngine, client: AsyncWebClient, *, once: bool, clock: Clock | None = None, poll_seconds: float = 30
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
            total.add(await work_pass(engine, sender, clock))
            if once:
                return total
            await clock.sleep(poll_seconds)
    finally:
        if single:
            async with transaction(engine) as db:
                await release_worker_lease(db, holder=holder, now=clock.now())

"""The worker: sends what the job table holds, once.

Alongside its passes, the worker handles the requests from Slack that the inbox holds
(bot/worker/inbox.py). A pass looks up the time zones of new measure owners, queues the
reminders and digests that are due, then claims due jobs in batches and sends each through
its kind's handler, marking it sent only after Slack answers ok; a failure goes to the retry policy. On SQLite only one
worker may run (it holds a lease); on PostgreSQL any number may.

Leases are short and a heartbeat renews them while the worker works: the jobs a killed worker
had claimed, and on SQLite its lease, are free again within a minute. SIGTERM (or Ctrl-C)
stops the worker after the message in hand; it gives back what it had claimed.
"""

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, SystemClock
from bot.slack.blocks.text import fallback, text_sections
from bot.slack.errors import PERMANENT, slack_error
from bot.slack.inbox import Replay
from bot.worker.inbox import POLL_SECONDS, forget_old, handle_inbox, replay_inbox
from bot.worker.kinds import KINDS, Delivery, Message, send_reminders
from bot.worker.retry import GONE, Outcome, after_failure
from bot.worker.sender import UNCERTAIN, PostMaybeSent, PostUncertain, SlackSaidWait
from bot.worker.tokens import Installs, Senders
from flows.digest import digests_wanted
from flows.handover import carry_out_handovers, handovers_due
from flows.outbox import JobKind, queue
from flows.people import Person, people_to_look_up, remember_person
from flows.reminders import reminders_wanted
from flows.workspaces import uninstall_workspaces
from prompts import MarkupKind, render
from storage.engine import reading, transaction
from storage.inbox import extend
from storage.jobs import (
    claim_due_jobs,
    claim_jobs,
    extend_claims,
    finish_job,
    get_worker_lease,
    mark_sending,
    next_job_time,
    queued_keys,
    release_claims,
    release_worker_lease,
    take_worker_lease,
)
from storage.models import Job, JobStatus, Workspace
from storage.projects import set_privacy, unknown_privacy

logger = logging.getLogger(__name__)
BATCH = 100
CHANNELS_PER_PASS = 20  # conversations.info is Tier 3 (50+ a minute): a pass never spends it all
PLAN_CHUNK = 200  # jobs queued per transaction when planning
LEASE = timedelta(seconds=60)  # a claimed job's; the worker's heartbeat renews it while it works
WEB_LEASE = timedelta(minutes=5)  # jobs the web process sends right after an ack (no heartbeat there)
MIN_PAUSE_SECONDS = 1.0  # between two passes, however soon the next job
WORKER_LEASE = timedelta(seconds=60)  # SQLite's single worker's, renewed by the heartbeat
# Distributed mode, a workspace the app holds no installation for: gone, as Slack would say.
NOT_INSTALLED = Outcome(JobStatus.DROPPED, None, f"{GONE}no installation", gone=True)
# A job's mark while it is posted: a process killed then leaves it "uncertain", so the next
# claim looks for it in the DM, or reports it, rather than posting it twice.
SENDER_STOPPED = f"{UNCERTAIN}the process sending it stopped while it was being posted"


class WorkerRefused(Exception):
    """Another worker holds the SQLite lease."""


@dataclass
class Shift:
    """What one running worker holds: the jobs it claimed and has not finished, and whether it
    was asked to stop."""

    claimed: set[int] = field(default_factory=set)
    requests: set[int] = field(default_factory=set)  # the inbox entries in hand
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    lease: timedelta = LEASE  # of its claimed jobs and, on SQLite, of the worker lease; renewed every third


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
        for counter in fields(self):
            setattr(self, counter.name, getattr(self, counter.name) + getattr(other, counter.name))


async def look_up_people(engine: AsyncEngine, senders: Senders, clock: Clock) -> None:
    """users.info for the owners and leads not yet known, or not for a while (time zone, name,
    deactivated). A 429 or an outage is asked again next pass, never stored as a default."""
    async with transaction(engine) as db:
        wanted = await people_to_look_up(db, clock.now())
    for workspace, user in wanted:
        if (sender := await senders.for_lookup(workspace.id)) is None:
            continue  # no token for the workspace: asked once it is installed again
        try:
            found = (await sender.client.users_info(user=user)).get("user")
            if not isinstance(found, dict):
                logger.warning("users.info %s answered without a user: asked again next pass", user)
                continue
            person = Person.of(found)
        except SlackApiError as failure:
            logger.warning("users.info %s failed: %s", user, failure)
            error = slack_error(failure)
            if error not in PERMANENT:
                continue
            person = Person(gone=error == "user_not_found")
        except Exception as failure:  # Slack unreachable, a malformed answer: asked again next pass
            logger.warning("users.info %s failed: %r", user, failure)
            continue
        async with transaction(engine) as db:
            await remember_person(db, workspace.id, user, person, clock.now())


async def learn_privacy(engine: AsyncEngine, senders: Senders) -> None:
    """conversations.info for the channels of projects from before the app asked whether a
    channel is private (a private channel's project is read outside it by its team only). A
    429 or an outage is asked again next pass."""
    async with reading(engine) as db:
        unknown = await unknown_privacy(db, limit=CHANNELS_PER_PASS)
    for project in unknown:
        if (sender := await senders.for_lookup(project.workspace_id)) is None:
            continue
        try:
            private = bool((await sender.client.conversations_info(channel=project.channel_id or ""))["channel"].get("is_private"))
        except SlackApiError as failure:
            error = slack_error(failure)
            if error not in ("channel_not_found", "missing_scope"):
                logger.warning("conversations.info %s failed: %s", project.channel_id, error)
                continue
            # Not found: a private channel the app has left (a public one it could still see).
            # No scope to ask: read as everyone read it before.
            private = error == "channel_not_found"
        except Exception as failure:
            logger.warning("conversations.info %s failed: %r", project.channel_id, failure)
            continue
        async with transaction(engine) as db:
            await set_privacy(db, project_id=project.id, private=private)


async def work_pass(engine: AsyncEngine, senders: Senders, clock: Clock, shift: Shift | None = None) -> PassResult:
    await forget_old(engine, clock.now())
    await look_up_people(engine, senders, clock)
    await learn_privacy(engine, senders)
    await plan_jobs(engine, clock.now())
    return await send_due(engine, senders, clock, shift)


async def plan_jobs(engine: AsyncEngine, now: datetime) -> None:
    """Carry out the handovers whose day has come, then queue the reminders and digests due now
    or soon: worked out while only reading, then
    queued in short transactions, so that on SQLite the web process is never kept waiting for
    the write lock while the worker reads the portfolio."""
    async with reading(engine) as db:
        handovers = bool(await handovers_due(db, now.date()))
    if handovers:  # before the reminders: a measure that does not continue is not reminded
        async with transaction(engine) as db:
            await carry_out_handovers(db, now.date())
    async with reading(engine) as db:
        wanted = [*await reminders_wanted(db, now), *await digests_wanted(db, now)]
        queued = await queued_keys(db, [planned.job.dedupe_key for planned in wanted])
    wanted = [planned for planned in wanted if planned.job.dedupe_key not in queued]  # most, pass after pass
    for start in range(0, len(wanted), PLAN_CHUNK):
        async with transaction(engine) as db:
            for job, due_at, workspace_id in wanted[start : start + PLAN_CHUNK]:
                await queue(db, job, due_at=due_at, workspace_id=workspace_id)


async def send_due(engine: AsyncEngine, senders: Senders, clock: Clock, shift: Shift | None = None) -> PassResult:
    """Claim and send due jobs, a batch at a time, until none is due. The reminders of a batch
    that go to one person are one DM; a full batch brings along the rest of its people's due
    reminders (up to another batch), so a busy moment does not split anyone's DM."""
    result = PassResult()
    shift = shift or Shift()
    while not shift.stop.is_set():
        async with transaction(engine) as db:
            jobs = await claim_due_jobs(db, now=clock.now(), limit=BATCH, lease=shift.lease)
            people = sorted({str(job.payload.get("to")) for job in jobs if job.kind == JobKind.REMINDER})
            if len(jobs) == BATCH and people:  # a full batch may have cut someone's reminders in two
                jobs += await claim_due_jobs(db, now=clock.now(), limit=BATCH, lease=shift.lease, kind=JobKind.REMINDER, to=people)
        if not jobs:
            return result
        shift.claimed |= {job.id for job in jobs}
        await _settle(engine, senders, clock, jobs, result, shift)
    return result


async def send_now(engine: AsyncEngine, client: AsyncWebClient, clock: Clock, keys: list[str]) -> PassResult:
    """Send the jobs a request just queued, from the web process, after its ack: a confirmation
    arrives at once, and is still sent by the worker if this process dies first."""
    result = PassResult()
    async with transaction(engine) as db:
        jobs = await claim_jobs(db, keys=keys, now=clock.now(), lease=WEB_LEASE)
        if jobs:  # sent at once, one after another: marked in flight with the claim
            await mark_sending(db, ids=[job.id for job in jobs], note=SENDER_STOPPED)
    await _settle(engine, Senders(client, clock), clock, jobs, result, marked=True)
    return result


async def _settle(
    engine: AsyncEngine,
    senders: Senders,
    clock: Clock,
    jobs: list[Job],
    result: PassResult,
    shift: Shift | None = None,
    *,
    marked: bool = False,
) -> None:
    gone: dict[int, Outcome] = {}  # workspaces found uninstalled in this batch: the rest of their jobs are not tried
    for group in _by_recipient(jobs):
        if shift is not None and shift.stop.is_set():
            return  # asked to stop: what is left is given back (run_worker)
        if not marked:
            async with transaction(engine) as db:
                await mark_sending(db, ids=[job.id for job in group], note=SENDER_STOPPED)
        already = gone.get(group[0].workspace_id or 0)
        sender, outcomes = None, {job.id: already for job in group} if already else None
        if outcomes is None:
            try:
                sender = await senders.of(group[0].workspace_id)
            except Exception as failure:  # the database, or a token sealed with a key no longer given: tried again later
                logger.exception("finding the token of workspace %s failed", group[0].workspace_id)
                outcomes = {job.id: after_failure(failure, attempts=job.attempts, now=clock.now()) for job in group}
            else:
                outcomes = {job.id: NOT_INSTALLED for job in group} if sender is None else None
        delivery = Delivery(engine, sender or senders.one, clock)
        if outcomes is None:
            outcomes = await _send(delivery, group)
        # One notice for a group that failed for good: it was one message.
        failed = next((job for job in group if outcomes[job.id].status == JobStatus.FAILED), None)
        notice = await _notice(delivery, failed, outcomes[failed.id]) if failed is not None else None
        async with transaction(delivery.engine) as db:
            last = next((job for job in group if outcomes[job.id].gone), None)
            if last is not None and last.workspace_id is not None and not already:  # first, so this group's keys are freed too
                gone[last.workspace_id] = outcomes[last.id]
                await _uninstalled(db, last.workspace_id, outcomes[last.id], delivery.clock.now())
            for job in group:
                outcome = outcomes[job.id]
                await finish_job(
                    db,
                    job,
                    status=outcome.status,
                    now=delivery.clock.now(),
                    error=outcome.error,
                    retry_at=outcome.retry_at,
                    counted=outcome.counted,
                )
                result.count(outcome.status)
            if notice is not None:
                await queue(db, notice, due_at=delivery.clock.now(), workspace_id=failed.workspace_id if failed else None)
        if shift is not None:
            shift.claimed -= {job.id for job in group}


async def _uninstalled(db: AsyncSession, workspace_id: int, outcome: Outcome, now: datetime) -> None:
    """Slack says the app's token for the workspace is gone: the workspace goes quiet, as when
    Slack tells the app it was uninstalled."""
    workspace = await db.get_one(Workspace, workspace_id)
    dropped = await uninstall_workspaces(db, [workspace], now=now, why=outcome.error or "")
    logger.warning("workspace %s is gone (%s): %s jobs dropped", workspace.team_id, outcome.error, dropped)


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
        if isinstance(failure, PostMaybeSent | PostUncertain):
            logger.warning("job %s may have been posted: %s", first.dedupe_key, failure)
        elif not isinstance(failure, SlackApiError | SlackSaidWait):
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
        advice="uncertain" if outcome.permanent == "uncertain" else PERMANENT.get(outcome.permanent or "", "gave_up"),
    )
    # Keyed by the job and the moment: told once per failure, again if it fails after a retry.
    key = f"failed:{job.id}:{delivery.clock.now().isoformat()}"
    return Message(key=key, channel=notice.user, text=fallback(text), groups=[[b.to_dict() for b in text_sections(text)]])


async def run_worker(
    engine: AsyncEngine,
    client: AsyncWebClient,
    *,
    once: bool,
    clock: Clock | None = None,
    poll_seconds: float = 30,
    stop: asyncio.Event | None = None,
    replay: Replay | None = None,
    lease: timedelta = LEASE,
    inbox_poll_seconds: float = POLL_SECONDS,
    installs: Installs | None = None,
) -> PassResult:
    """Work passes until `stop` is set (or one pass, `once`); returns what was done. With
    `replay`, the requests from Slack the inbox holds are handled too: as they fall due,
    alongside the passes (or, `once`, all that are due, before the pass)."""
    clock = clock or SystemClock()
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    single = engine.dialect.name == "sqlite"
    senders = Senders(client, clock, installs)
    shift = Shift(stop=stop or asyncio.Event(), lease=lease)
    total = PassResult()
    if single:
        await _take_lease(engine, clock, holder, shift.lease)
    beat = asyncio.create_task(_heartbeat(engine, clock, holder, shift, single))
    inbox = (
        asyncio.create_task(handle_inbox(engine, replay, clock, shift.stop, shift.requests, poll_seconds=inbox_poll_seconds))
        if replay and not once
        else None
    )
    try:
        while not shift.stop.is_set():
            if single:
                async with transaction(engine) as db:
                    if not await take_worker_lease(db, holder=holder, now=clock.now(), ttl=shift.lease):
                        raise WorkerRefused(render("terminal.j2:worker_refused", holder="", until=None))
            try:
                if replay is not None and once:
                    await replay_inbox(engine, replay, clock.now())
                total.add(await work_pass(engine, senders, clock, shift))
            except Exception:
                if once:
                    raise
                logger.exception("the worker's pass failed: trying again in %s s", poll_seconds)  # the database, say
            if once or shift.stop.is_set():
                break
            await _pause(clock, await _until_next(engine, clock, poll_seconds), shift.stop)
        return total
    finally:
        shift.stop.set()  # the inbox's handling finishes what it has in hand
        if inbox is not None:
            await inbox
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat
        async with transaction(engine) as db:
            if shift.claimed:
                await release_claims(db, ids=sorted(shift.claimed))
            if single:
                await release_worker_lease(db, holder=holder, now=clock.now())


async def _take_lease(engine: AsyncEngine, clock: Clock, holder: str, ttl: timedelta) -> None:
    """Take SQLite's single-worker lease. A lease that runs out within a minute is a worker
    that stopped without giving it back (killed, say): wait for it. One renewed meanwhile is a
    live worker: refuse, saying whose."""
    for attempt in range(2):
        async with transaction(engine) as db:
            if await take_worker_lease(db, holder=holder, now=clock.now(), ttl=ttl):
                return
            lease = await get_worker_lease(db)
        if lease is None:
            continue
        wait = (lease.expires_at - clock.now()).total_seconds() + 1
        if attempt == 0 and wait <= max(ttl, WORKER_LEASE).total_seconds() + 1:
            logger.warning("the worker lease is held by %s until %s: waiting %.0f s for it", lease.holder, lease.expires_at, wait)
            await clock.sleep(wait)
            continue
        raise WorkerRefused(render("terminal.j2:worker_refused", holder=lease.holder, until=lease.expires_at))
    raise WorkerRefused(render("terminal.j2:worker_refused", holder="", until=None))


async def _heartbeat(engine: AsyncEngine, clock: Clock, holder: str, shift: Shift, single: bool) -> None:
    """Renew, in real time, the leases of what this worker holds while a pass runs long."""
    while True:
        await asyncio.sleep(shift.lease.total_seconds() / 3)
        try:
            async with transaction(engine) as db:
                if shift.claimed:
                    await extend_claims(db, ids=sorted(shift.claimed), until=clock.now() + shift.lease)
                if shift.requests:
                    await extend(db, entry_ids=sorted(shift.requests), until=clock.now() + shift.lease)
                if single and not await take_worker_lease(db, holder=holder, now=clock.now(), ttl=shift.lease):
                    logger.error("another worker took the worker lease: stopping")
                    shift.stop.set()
        except Exception:
            logger.exception("renewing the worker's leases failed")


async def _until_next(engine: AsyncEngine, clock: Clock, poll_seconds: float) -> float:
    """Seconds to the next pass: at most `poll_seconds`, sooner if a job falls due or a killed
    worker's lease runs out before then."""
    try:
        async with reading(engine) as db:
            soonest = await next_job_time(db)
    except Exception:
        logger.exception("finding the next job's time failed")
        return poll_seconds
    if soonest is None:
        return poll_seconds
    return min(poll_seconds, max(MIN_PAUSE_SECONDS, (soonest - clock.now()).total_seconds() + 0.1))


async def _pause(clock: Clock, seconds: float, stop: asyncio.Event) -> None:
    """Wait for the next pass, or until asked to stop."""
    sleeping = asyncio.ensure_future(clock.sleep(seconds))
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({sleeping, stopping}, return_when=asyncio.FIRST_COMPLETED)
    for waiting in (sleeping, stopping):
        waiting.cancel()

"""The registry of job kinds: each kind's typed payload and the handler that sends it.

Payloads are frozen dataclasses (flows/outbox.py for what the domain queues; `Message` here,
for blocks the Slack surface built itself). A handler returns the status the job ends in, or
raises for the retry policy to decide.
"""

import dataclasses
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.slack.blocks.progress import reminder_blocks
from bot.slack.blocks.summaries import edit_buttons
from bot.slack.blocks.text import fallback, summary_messages
from bot.slack.ids import MeasureRef
from bot.worker.sender import Sender
from flows.conversation.engine import load_state
from flows.conversation.presenting import overview
from flows.digest import digest_text, digest_to_send, record_digest
from flows.handover_pack import build_pack, handover_document
from flows.outbox import DigestDue, HandoverPack, JobKind, OutboxJob, PlanSummary, Reminder
from flows.plan import PLAN
from flows.reminders import reminder_subject
from prompts import MarkupKind, render
from storage.engine import transaction
from storage.models import Job, JobStatus, Project


@dataclass(frozen=True)
class Message(OutboxJob):
    """Blocks to post as they are: the first group as a message, the others in its thread."""

    kind: ClassVar[JobKind] = JobKind.MESSAGE
    key: str
    channel: str
    text: str
    groups: list[list[dict[str, Any]]]

    @property
    def dedupe_key(self) -> str:
        return self.key

    def payload(self) -> dict[str, Any]:
        fields = dataclasses.asdict(self)
        del fields["key"]
        return fields

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "Message":
        return super().from_payload({**payload, "key": ""})


@dataclass(frozen=True)
class Delivery:
    """What a handler works with."""

    engine: AsyncEngine
    sender: Sender
    clock: Clock


P = TypeVar("P", bound=OutboxJob)


@dataclass(frozen=True)
class Kind(Generic[P]):
    payload: type[P]
    send: Callable[[Delivery, Job, P], Awaitable[JobStatus]]

    async def deliver(self, delivery: Delivery, job: Job) -> JobStatus:
        return await self.send(delivery, job, self.payload.from_payload(job.payload))


async def send_message(delivery: Delivery, job: Job, message: Message) -> JobStatus:
    await delivery.sender.post_thread(message.channel, job, text=message.text, groups=message.groups)
    return JobStatus.SENT


async def send_reminder(delivery: Delivery, job: Job, reminder: Reminder) -> JobStatus:
    """To the owner (or the lead): dropped if the period was reported meanwhile."""
    async with transaction(delivery.engine) as db:
        subject = await reminder_subject(db, reminder, delivery.clock.now())
    if subject is None:
        return JobStatus.DROPPED
    project, status = subject
    text = render(
        "slack.j2:reminder",
        MarkupKind.MRKDWN,
        project=project,
        status=status,
        kind=reminder.moment,
        due=reminder.period_end,
        owner=reminder.owner,
        to_owner=reminder.to == reminder.owner,
    )
    ref = MeasureRef(project=project.id, measure=status.measure.key, period=reminder.period_end)
    await delivery.sender.post(reminder.to, job, text=fallback(text), blocks=reminder_blocks(text, ref))
    return JobStatus.SENT


async def send_digest(delivery: Delivery, job: Job, due: DigestDue) -> JobStatus:
    """Post the week's digest (a parent message and thread replies), then record it."""
    async with transaction(delivery.engine) as db:
        found = await digest_to_send(db, due)
    if found is None:
        return JobStatus.DROPPED
    channel, digest = found
    text = digest_text(digest, MarkupKind.MRKDWN)
    await delivery.sender.post_thread(channel, job, text=fallback(text), groups=summary_messages(text))
    async with transaction(delivery.engine) as db:
        await record_digest(db, due.workspace_id, digest, delivery.clock.now())
    return JobStatus.SENT


async def send_plan_summary(delivery: Delivery, job: Job, due: PlanSummary) -> JobStatus:
    """A completed plan's summary, with its Edit buttons, in the project's channel."""
    async with transaction(delivery.engine) as db:
        project = await db.get(Project, due.project_id)
        if project is None or not project.channel_id:
            return JobStatus.DROPPED
        plan = overview(PLAN, await load_state(db, project), MarkupKind.MRKDWN)
    groups = summary_messages(plan.summary, edit_buttons(due.project_id, plan.edit_targets))
    await delivery.sender.post_thread(project.channel_id, job, text=fallback(plan.summary), groups=groups)
    return JobStatus.SENT


async def send_pack(delivery: Delivery, job: Job, pack_due: HandoverPack) -> JobStatus:
    """Build the handover pack and share its three files with one summary comment: Slack posts
    nothing until the last step, so a failed upload leaves nothing half posted."""
    async with transaction(delivery.engine) as db:
        project = await db.get(Project, pack_due.project_id)
        if project is None:
            return JobStatus.DROPPED
        today = delivery.clock.now().date()
        pack = await build_pack(db, project, today)
        files = {fmt: await handover_document(db, project, fmt, today) for fmt in ("md", "html", "json")}
    slug = re.sub(r"[^A-Za-z0-9]+", "-", project.name).strip("-").lower() or "project"
    client = delivery.sender.client
    try:
        await client.files_upload_v2(
            channel=project.channel_id or pack_due.requested_by,
            initial_comment=render("slack.j2:pack_summary", MarkupKind.MRKDWN, pack=pack),
            file_uploads=[
                {"content": content, "filename": f"{slug}-handover.{fmt}", "title": f"{project.name}: handover pack ({fmt})"}
                for fmt, content in files.items()
            ],
        )
    except (SlackApiError, SlackRequestError) as failure:
        if job.attempts == 1:  # told once, not at every retry
            await client.chat_postMessage(
                channel=pack_due.requested_by,
                text=render("slack.j2:pack_upload_failed", MarkupKind.MRKDWN, name=project.name, error=type(failure).__name__),
            )
        raise
    return JobStatus.SENT


KINDS: dict[str, Kind[Any]] = {
    JobKind.MESSAGE: Kind(Message, send_message),
    JobKind.REMINDER: Kind(Reminder, send_reminder),
    JobKind.DIGEST: Kind(DigestDue, send_digest),
    JobKind.PLAN_SUMMARY: Kind(PlanSummary, send_plan_summary),
    JobKind.HANDOVER_PACK: Kind(HandoverPack, send_pack),
}

"""The registry of job kinds: each kind's typed payload and the handler that sends it.

Payloads are frozen dataclasses (flows/outbox.py for what the domain queues; `Message` here,
for blocks the Slack surface built itself). A handler returns the status the job ends in, or
raises for the retry policy to decide. When a job fails for good, its kind's `notice` names
who is told, in a DM queued with the failure: the lead for a project's posts, the requester
for a pack, the admin who set the digest's channel.
"""

import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.slack.blocks.progress import reminder_blocks
from bot.slack.blocks.summaries import edit_buttons
from bot.slack.blocks.text import fallback, messages, mrkdwn, plain, summary_messages, text_sections
from bot.slack.errors import PERMANENT, slack_error
from bot.slack.ids import MeasureRef
from bot.worker.sender import Sender
from flows.assessment import assessment_csv, assessment_markdown, build_assessment
from flows.conversation.engine import load_state
from flows.conversation.presenting import overview
from flows.digest import digest_text, digest_to_send, record_digest
from flows.handover_pack import build_pack, handover_document
from flows.outbox import (
    AssessmentDraft,
    DigestDue,
    HandoverPack,
    JobKind,
    OutboxJob,
    OwnerGone,
    PlanSummary,
    Reminder,
    ReturnsExport,
    SummaryRevised,
    queue,
)
from flows.people import mark_gone
from flows.plan import PLAN
from flows.progress.status import MeasureStatus
from flows.reminders import reminder_subject
from flows.returns import ReturnsRefused, project_returns, returns_csv, returns_xlsx, workspace_returns
from prompts import MarkupKind, render, slack_user_of
from storage.engine import transaction
from storage.jobs import posted_summary, record_posted
from storage.models import Job, JobStatus, Project, Workspace
from storage.people import get_person
from storage.portfolio import get_digest_config
from storage.projects import list_measures

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message(OutboxJob):
    """Blocks to post as they are: the first group as a message, the others in its thread."""

    kind: ClassVar[JobKind] = JobKind.MESSAGE
    key: str
    channel: str
    text: str
    groups: list[list[dict[str, Any]]]
    tell: str | None = None  # who is told if Slack refuses it for good
    what: str = ""  # what it is, as that person is told ("an update of ... for ...")
    thread_ts: str | None = None  # posted in this thread (a note under the message it is about)

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
class Notice:
    """Who is told that a job failed for good, and what could not be sent where."""

    user: str
    what: str
    channel: str | None = None
    person: str | None = None  # the Slack user it was for, when not the one told


@dataclass(frozen=True)
class Kind(Generic[P]):
    payload: type[P]
    send: Callable[[Delivery, Job, P], Awaitable[JobStatus]]
    notice: Callable[[Delivery, P], Awaitable[Notice | None]] | None = None

    async def deliver(self, delivery: Delivery, job: Job) -> JobStatus:
        return await self.send(delivery, job, self.payload.from_payload(job.payload))

    async def notice_of(self, delivery: Delivery, job: Job) -> Notice | None:
        return await self.notice(delivery, self.payload.from_payload(job.payload)) if self.notice else None


async def post_parts(
    delivery: Delivery, job: Job, channel: str, *, text: str, groups: list[list[Any]], thread_ts: str | None = None
) -> None:
    """A long content as a parent message and its thread replies. Each part's ts is kept as it
    is posted, so a retry (after a 429 on part 2, say) continues from the first unsent part
    under the same parent, and nothing is posted twice."""
    posted = list(job.posted or [])
    for group in groups[len(posted) :]:
        thread = thread_ts or (posted[0] if posted else None)
        extra = {"thread_ts": thread} if thread else {}
        answer = await delivery.sender.post(channel, job, part=len(posted), text=text, blocks=group, **extra)
        posted.append(str(answer["ts"]))
        async with transaction(delivery.engine) as db:
            await record_posted(db, job_id=job.id, posted=posted)


async def send_message(delivery: Delivery, job: Job, message: Message) -> JobStatus:
    await post_parts(delivery, job, message.channel, text=message.text, groups=message.groups, thread_ts=message.thread_ts)
    return JobStatus.SENT


async def queue_dm(
    db: AsyncSession, *, key: str, to: str, text: str, now: datetime, workspace_id: int, thread_ts: str | None = None
) -> str:
    """A short message (a confirmation, a note in a thread) through the job table, in the
    caller's transaction; `to` is a user (their DM) or a channel of `workspace_id`. Returns its key."""
    message = Message(key=key, channel=to, text=fallback(text), groups=[[b.to_dict() for b in text_sections(text)]], thread_ts=thread_ts)
    await queue(db, message, due_at=now, workspace_id=workspace_id)
    return message.dedupe_key


async def tell_about_message(_delivery: Delivery, message: Message) -> Notice | None:
    return Notice(message.tell, message.what, message.channel) if message.tell else None


async def send_reminders(delivery: Delivery, jobs: list[Job]) -> dict[int, JobStatus]:
    """The reminders due to one person, as one DM: a section and buttons per measure, whatever
    the number of measures and missed periods (a long one continues in its thread). Those no
    longer needed when their time came (reported, superseded, the measure gone) are dropped;
    two of one measure are one line. Returns each job's status; raises if Slack refused."""
    done: dict[int, JobStatus] = {}
    lines: dict[int, tuple[Reminder, Project, MeasureStatus]] = {}
    for job in jobs:
        reminder = Reminder.from_payload(job.payload)
        async with transaction(delivery.engine) as db:
            subject = await reminder_subject(db, reminder, delivery.clock.now())
        if subject is None:
            done[job.id] = JobStatus.DROPPED
            continue
        done[job.id] = JobStatus.SENT
        held = lines.get(reminder.measure_id)
        if held is None or held[0].period_end < reminder.period_end:
            lines[reminder.measure_id] = (reminder, *subject)
    if not lines:
        return done
    texts, blocks = [], []
    for reminder, project, status in lines.values():
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
        texts.append(text)
        blocks += reminder_blocks(text, MeasureRef(project=project.id, measure=status.measure.key, period=reminder.period_end))
    if len(lines) > 1:
        heading = render("slack.j2:reminders_heading", MarkupKind.MRKDWN, count=len(lines))
        texts.insert(0, heading)
        blocks = text_sections(heading) + blocks
    carrier = next(job for job in jobs if done[job.id] == JobStatus.SENT)
    reminder, project, _ = next(iter(lines.values()))
    try:
        await post_parts(delivery, carrier, reminder.to, text=fallback(texts[0]), groups=messages(blocks))
    except SlackApiError as failure:
        if PERMANENT.get(slack_error(failure) or "") == "person":  # deactivated: planning stops reminding them
            async with transaction(delivery.engine) as db:
                await mark_gone(db, project.workspace_id, reminder.to, delivery.clock.now())
        raise
    return done


async def send_reminder(delivery: Delivery, job: Job, _reminder: Reminder) -> JobStatus:
    """One reminder alone (the worker sends a person's reminders together: send_reminders)."""
    return (await send_reminders(delivery, [job]))[job.id]


async def send_digest(delivery: Delivery, job: Job, due: DigestDue) -> JobStatus:
    """Post the week's digest (a parent message and thread replies), then record it."""
    async with transaction(delivery.engine) as db:
        found = await digest_to_send(db, due)
    if found is None:
        return JobStatus.DROPPED
    channel, digest = found
    text = digest_text(digest, MarkupKind.MRKDWN)
    await post_parts(delivery, job, channel, text=fallback(text), groups=summary_messages(text))
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
    await post_parts(delivery, job, project.channel_id, text=fallback(plan.summary), groups=groups)
    return JobStatus.SENT


UPDATE_IMPOSSIBLE = ("message_not_found", "cant_update_message", "edit_window_closed")  # chat.update's: post afresh


async def send_summary_revision(delivery: Delivery, job: Job, due: SummaryRevised) -> JobStatus:
    """The summary in the channel edited in place, then a note in its thread of what changed and
    who changed it. A summary Slack will not let the app edit (deleted, too old) is posted
    afresh, with the note in its thread. A retry after the note was posted edits again (the same
    content) and posts nothing twice."""
    async with transaction(delivery.engine) as db:
        project = await db.get(Project, due.project_id)
        summary = await posted_summary(db, project_id=due.project_id)
        if project is None or not project.channel_id or summary is None or not summary.posted:
            return JobStatus.DROPPED
        plan = overview(PLAN, await load_state(db, project), MarkupKind.MRKDWN)
    channel, text = project.channel_id, fallback(plan.summary)
    groups = summary_messages(plan.summary, edit_buttons(due.project_id, plan.edit_targets))
    said = mrkdwn("summary_revised", user=due.changed_by, changes=due.changes)
    note = text_sections(said)
    try:
        for n, ts in enumerate(summary.posted):
            blocks = groups[n] if n < len(groups) else text_sections(mrkdwn("summary_part_moved"))
            await delivery.sender.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError as failure:
        if slack_error(failure) not in UPDATE_IMPOSSIBLE:
            raise
        await post_parts(delivery, job, channel, text=text, groups=[*groups, note])
        return JobStatus.SENT
    await post_parts(
        delivery,
        job,
        channel,
        text=fallback(said),
        groups=[note, *groups[len(summary.posted) :]],
        thread_ts=summary.posted[0],
    )
    return JobStatus.SENT


async def tell_about_summary(delivery: Delivery, due: PlanSummary) -> Notice | None:
    async with transaction(delivery.engine) as db:
        project = await db.get(Project, due.project_id)
    if project is None:
        return None
    return Notice(project.lead or due.completed_by, plain("what_summary", name=project.name), project.channel_id)


async def tell_about_revision(delivery: Delivery, due: SummaryRevised) -> Notice | None:
    async with transaction(delivery.engine) as db:
        project = await db.get(Project, due.project_id)
    if project is None:
        return None
    return Notice(due.changed_by, plain("what_revision", name=project.name), project.channel_id)


async def tell_about_digest(delivery: Delivery, due: DigestDue) -> Notice | None:
    async with transaction(delivery.engine) as db:
        config = await get_digest_config(db, workspace_id=due.workspace_id)
    if config is None or not config.updated_by:
        return None
    return Notice(config.updated_by, plain("what_digest", week=due.week), config.channel_id)


async def tell_about_reminder(delivery: Delivery, reminder: Reminder) -> Notice | None:
    """A reminder Slack will not deliver: the lead is told, unless the person is gone (the
    lead is then told once, by the OwnerGone job planning queues)."""
    async with transaction(delivery.engine) as db:
        project = await db.get(Project, reminder.project_id)
        person = await get_person(db, workspace_id=project.workspace_id, user_id=reminder.to) if project else None
    lead = slack_user_of(project.lead) if project else None
    if project is None or lead is None or lead == reminder.to or (person is not None and person.gone):
        return None
    return Notice(lead, plain("what_reminder", name=project.name), person=reminder.to)


async def send_owner_gone(delivery: Delivery, job: Job, gone: OwnerGone) -> JobStatus:
    """Tell the lead, once, that an owner Slack no longer has is not reminded, and of what."""
    async with transaction(delivery.engine) as db:
        project = await db.get(Project, gone.project_id)
        person = await get_person(db, workspace_id=project.workspace_id, user_id=gone.user) if project else None
        measures = (
            [m.name for m in await list_measures(db, project_id=project.id) if slack_user_of(m.owner) == gone.user] if project else []
        )
    if project is None or person is None or not person.gone or not measures:
        return JobStatus.DROPPED  # found again, or no longer an owner
    text = render("slack.j2:owner_gone", MarkupKind.MRKDWN, user=gone.user, name=person.name, project=project.name, measures=measures)
    await post_parts(delivery, job, gone.lead, text=fallback(text), groups=messages(text_sections(text)))
    return JobStatus.SENT


async def tell_about_pack(delivery: Delivery, pack_due: HandoverPack) -> Notice | None:
    async with transaction(delivery.engine) as db:
        project = await db.get(Project, pack_due.project_id)
    return Notice(pack_due.requested_by, plain("what_pack", name=project.name if project else ""), project.channel_id if project else None)


async def upload_file(client: AsyncWebClient, filename: str, data: bytes) -> str:
    """Slack's two-step upload of one file (not shared yet); returns its id."""
    answer = await client.files_getUploadURLExternal(filename=filename, length=len(data))
    async with aiohttp.ClientSession() as http, http.post(str(answer["upload_url"]), data=data) as uploaded:
        if uploaded.status != 200:
            raise SlackRequestError(f"upload of {filename} failed with HTTP {uploaded.status}")
    return str(answer["file_id"])


async def delete_files(client: AsyncWebClient, file_ids: list[str]) -> None:
    for file_id in file_ids:
        try:
            await client.files_delete(file=file_id)
        except SlackApiError as failure:
            logger.warning("could not delete the unshared file %s: %s", file_id, slack_error(failure))


async def send_pack(delivery: Delivery, job: Job, pack_due: HandoverPack) -> JobStatus:
    """Build the handover pack and share its three files with one summary comment."""
    async with transaction(delivery.engine) as db:
        project = await db.get(Project, pack_due.project_id)
        if project is None:
            return JobStatus.DROPPED
        today = delivery.clock.now().date()
        pack = await build_pack(db, project, today)
        files = {fmt: await handover_document(db, project, fmt, today) for fmt in ("md", "html", "json")}
    slug = _slug(project.name)
    uploads = [(f"{slug}-handover.{fmt}", f"{project.name}: handover pack ({fmt})", content.encode()) for fmt, content in files.items()]
    comment = render("slack.j2:pack_summary", MarkupKind.MRKDWN, pack=pack)

    def failed(error: str) -> str:
        return render("slack.j2:pack_upload_failed", MarkupKind.MRKDWN, name=project.name, error=error)

    await share_files(
        delivery,
        job,
        uploads,
        channel=project.channel_id or pack_due.requested_by,
        comment=comment,
        told=pack_due.requested_by,
        failed=failed,
    )
    return JobStatus.SENT


async def tell_about_assessment(delivery: Delivery, draft: AssessmentDraft) -> Notice | None:
    async with transaction(delivery.engine) as db:
        project = await db.get(Project, draft.project_id)
    return Notice(draft.requested_by, plain("what_assessment", name=project.name if project else "", year=draft.year), None)


async def send_assessment(delivery: Delivery, job: Job, draft: AssessmentDraft) -> JobStatus:
    """The year's assessment draft, as a document and a spreadsheet, to the person who asked
    (it is the authority's to complete, not the channel's to read)."""
    async with transaction(delivery.engine) as db:
        project = await db.get(Project, draft.project_id)
        if project is None:
            return JobStatus.DROPPED
        found = await build_assessment(db, project, draft.year)
    slug = f"{_slug(project.name)}-assessment-{draft.year}"
    uploads = [
        (f"{slug}.md", f"{project.name}: performance assessment {draft.year} (draft)", assessment_markdown(found).encode()),
        (f"{slug}.csv", f"{project.name}: performance assessment {draft.year} (spreadsheet)", assessment_csv(found).encode()),
    ]
    comment = render("slack.j2:assessment_summary", MarkupKind.MRKDWN, a=found)

    def failed(error: str) -> str:
        return render("slack.j2:assessment_upload_failed", MarkupKind.MRKDWN, name=project.name, year=draft.year, error=error)

    await share_files(delivery, job, uploads, channel=draft.requested_by, comment=comment, told=draft.requested_by, failed=failed)
    return JobStatus.SENT


async def tell_about_returns(delivery: Delivery, export: ReturnsExport) -> Notice | None:
    return Notice(export.requested_by, plain("what_returns"), None)


async def send_returns(delivery: Delivery, job: Job, export: ReturnsExport) -> JobStatus:
    """The returns as a spreadsheet, to the person who asked (in their DM)."""
    async with transaction(delivery.engine) as db:
        workspace = await db.get(Workspace, export.workspace_id)
        project = await db.get(Project, export.project_id) if export.project_id is not None else None
        if workspace is None or (export.project_id is not None and (project is None or project.workspace_id != workspace.id)):
            return JobStatus.DROPPED
        today = delivery.clock.now().date()
        rows = await project_returns(db, project, today) if project else await workspace_returns(db, workspace, today)
    name = project.name if project else workspace.name or "workspace"
    try:
        data = returns_xlsx(rows) if export.format == "xlsx" else returns_csv(rows).encode()
    except ReturnsRefused as refused:
        await delivery.sender.client.chat_postMessage(channel=export.requested_by, text=mrkdwn(refused.reason, **refused.context))
        return JobStatus.DROPPED
    filename = f"{_slug(name)}-returns-{today.isoformat()}.{export.format}"
    uploads = [(filename, plain("returns_title", name=name, day=today), data)]
    comment = mrkdwn("returns_summary", name=name, rows=len(rows), format=export.format)

    def failed(error: str) -> str:
        return mrkdwn("returns_upload_failed", name=name, error=error)

    await share_files(delivery, job, uploads, channel=export.requested_by, comment=comment, told=export.requested_by, failed=failed)
    return JobStatus.SENT


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "project"


async def share_files(
    delivery: Delivery,
    job: Job,
    uploads: list[tuple[str, str, bytes]],
    *,
    channel: str,
    comment: str,
    told: str,
    failed: Callable[[str], str],
) -> None:
    """Upload files and share them with one comment: Slack posts nothing until the last step,
    so a failed upload leaves nothing half posted (and the files uploaded are deleted). The
    person who asked is told of a failure once, not at every retry."""
    client = delivery.sender.client
    file_ids: list[str] = []
    try:
        for filename, _, data in uploads:
            file_ids.append(await upload_file(client, filename, data))
        await client.files_completeUploadExternal(
            files=[{"id": file_id, "title": title} for file_id, (_, title, _) in zip(file_ids, uploads, strict=True)],
            channel_id=channel,
            initial_comment=comment,
        )
    except (SlackApiError, SlackRequestError) as failure:
        await delete_files(client, file_ids)  # uploaded but never shared: no orphan left in the workspace
        if job.attempts == 1 and slack_error(failure) not in PERMANENT:
            await client.chat_postMessage(channel=told, text=failed(slack_error(failure) or type(failure).__name__))
        raise


KINDS: dict[str, Kind[Any]] = {
    JobKind.MESSAGE: Kind(Message, send_message, tell_about_message),
    JobKind.REMINDER: Kind(Reminder, send_reminder, tell_about_reminder),
    JobKind.DIGEST: Kind(DigestDue, send_digest, tell_about_digest),
    JobKind.PLAN_SUMMARY: Kind(PlanSummary, send_plan_summary, tell_about_summary),
    JobKind.SUMMARY_REVISED: Kind(SummaryRevised, send_summary_revision, tell_about_revision),
    JobKind.HANDOVER_PACK: Kind(HandoverPack, send_pack, tell_about_pack),
    JobKind.ASSESSMENT: Kind(AssessmentDraft, send_assessment, tell_about_assessment),
    JobKind.RETURNS: Kind(ReturnsExport, send_returns, tell_about_returns),
    JobKind.OWNER_GONE: Kind(OwnerGone, send_owner_gone),
}

"""Progress in Slack: the update form (from a reminder or /socialvalue update), Snooze,
Nothing to report, and Approve / Return of an update posted to the project's channel."""

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.slack.blocks.progress import posted_update_blocks, return_view, update_view
from bot.slack.blocks.text import fallback, mrkdwn, plain
from bot.slack.handler import FormResult, submission_key
from bot.slack.ids import (
    FIELD_ACTION,
    RETURN_COMMENT,
    UPDATE_EVIDENCE,
    UPDATE_MEASURE,
    UPDATE_NOTE,
    UPDATE_OTHER,
    UPDATE_PERIOD,
    UPDATE_RECOVERY,
    UPDATE_VALUE,
    MeasureRef,
    ReturnForm,
    UpdateForm,
    UpdateRef,
)
from bot.slack.scope import Answer, Request, project_scope
from bot.worker.kinds import Message, queue_dm
from bot.worker.loop import send_now
from flows.conversation.inputs import Choice
from flows.outbox import queue
from flows.progress.review import ReviewRefused, review
from flows.progress.status import MeasureStatus, project_status
from flows.progress.updates import UpdateRefused, may_report, record_update, updates_channel
from flows.projects import ProjectRefused
from flows.reminders import snooze_reminder
from flows.roles import team_of
from prompts import MarkupKind, format_quantity, render, slack_user_of
from storage.engine import transaction
from storage.models import Measure, ProgressUpdate, Project, Review
from storage.projects import list_measures
from storage.slack_events import claim_event

PERIODS_OFFERED = 100  # a menu's most options: the latest periods, newest first
FIELD_BLOCKS = {
    "measure": UPDATE_MEASURE,
    "period": UPDATE_PERIOD,
    "value": UPDATE_VALUE,
    "note": UPDATE_NOTE,
    "evidence": UPDATE_EVIDENCE,
    "recovery_action": UPDATE_RECOVERY,
    "other_reason": UPDATE_OTHER,
}


def _mine(statuses: list[MeasureStatus], user: str) -> list[MeasureStatus]:
    return [s for s in statuses if slack_user_of(s.measure.owner) == user and s.plan.schedule]


async def open_update_form(request: Request, *, ref: MeasureRef | None = None, name: str = "") -> Answer | None:
    """The update form for one measure (from a reminder), or for any of the caller's measures."""
    async with transaction(request.engine) as db:
        project = (await project_scope(db, request.caller, project_id=ref.project if ref else None, name=name)).project
        statuses = await project_status(db, project, request.now().date())
        team = await team_of(db, project)
    project_id = project.id
    if ref:
        status = next((s for s in statuses if s.measure.key == ref.measure), None)
        if status is None:
            return Answer(mrkdwn("stale_button"))
        if not may_report(team, status.measure, request.caller.user):
            return _not_theirs(project, status.measure)
        metadata = UpdateForm(project=project_id, measure=ref.measure, period=ref.period, name=status.measure.name[:200])
        view = update_view(
            metadata=metadata,
            measure_name=status.measure.name,
            unit=status.measure.unit,
            due=ref.period or "",
            kind=status.measure.kind,
            periods=period_choices(status, request.now().date()),
        )
    else:
        mine = _mine(statuses, request.caller.user)
        if not mine:
            return Answer(mrkdwn("no_measures_of_yours", name=project.name))
        choices = [Choice(s.measure.key, s.measure.name) for s in mine]
        view = update_view(metadata=UpdateForm(project=project_id), measure_name="", unit="", due="", choices=choices)
    await request.client.views_open(trigger_id=request.body["trigger_id"], view=view)
    return None


def period_choices(status: MeasureStatus, today: date) -> list[Choice]:
    """The periods an update may be for, newest first: those due by now (and the one open), each
    marked reported or not, so a missed one can be reported by picking it."""
    open_end = status.open_period.end if status.open_period else today
    due = [p for p in status.plan.schedule if p.end <= max(open_end, today)][-PERIODS_OFFERED:]
    return [Choice(p.end.isoformat(), plain("update_period_option", due=p.end, reported=p.end in status.reported)) for p in reversed(due)]


def _not_theirs(project: Project, measure: Measure) -> Answer:
    return Answer(render("errors.j2:update_not_yours", MarkupKind.MRKDWN, owner=measure.owner, lead=project.lead))


def _field(values: dict[str, Any], block: str) -> str | None:
    element = values.get(block, {}).get(FIELD_ACTION) or {}
    if element.get("type") == "static_select":
        return (element.get("selected_option") or {}).get("value")
    return element.get("value")


async def save_update_form(request: Request) -> tuple[FormResult, Callable[[], Awaitable[object]] | None]:
    """Store a submitted update, and queue its confirmation DM and its post to the channel, in
    one transaction before the ack: errors show in the form, and no Web API call can delay the
    ack. The same form submitted again (Slack's error after a slow ack, say) stores nothing new.
    After the ack the queued messages are sent at once."""
    view, caller, now = request.body["view"], request.caller, request.now()
    metadata = UpdateForm.decode(view.get("private_metadata"))
    values = view["state"]["values"]
    measure_key = metadata.measure or _field(values, UPDATE_MEASURE)
    value = _field(values, UPDATE_VALUE)
    period = _field(values, UPDATE_PERIOD) or metadata.period
    confirmed = metadata.confirm is not None and metadata.confirm == value
    try:
        async with transaction(request.engine) as db:
            if not await claim_event(db, submission_key(view)):
                return None, None  # the same form again: it was stored the first time
            project = (await project_scope(db, caller, project_id=metadata.project)).project
            update, status = await record_update(
                db,
                project,
                measure_key=measure_key or "",
                author=caller.user,
                today=now.date(),
                only_owner_or_lead=True,
                value=value,
                note=_field(values, UPDATE_NOTE),
                evidence=_field(values, UPDATE_EVIDENCE),
                recovery_action=_field(values, UPDATE_RECOVERY),
                other_reason=_field(values, UPDATE_OTHER),
                period=period,
                confirmed=confirmed,
                markup=MarkupKind.TEXT,
            )
            saved = mrkdwn(
                "update_saved",
                measure=status.measure.name,
                due=update.period_end,
                value=_shown_value(update.value, status),
                rating=status.rating.value,
            )
            keys = [
                await queue_dm(db, key=f"saved:update:{update.id}", to=caller.user, text=saved, now=now, workspace_id=project.workspace_id)
            ]
            channel = await updates_channel(db, project)
            if channel:
                keys.append(await queue_update_post(db, project, update, status, caller.user, now, channel))
    except UpdateRefused as refused:
        if refused.confirm and measure_key:
            # Shown again with what was typed; the same value sent again is confirmed.
            again = update_view(
                metadata=metadata.model_copy(update={"measure": measure_key, "confirm": (value or "")[:200], "period": period}),
                measure_name=metadata.name or measure_key_name(view, measure_key),
                unit="",
                due=period or "",
                initial={
                    block: _field(values, block) for block in (UPDATE_VALUE, UPDATE_NOTE, UPDATE_EVIDENCE, UPDATE_RECOVERY, UPDATE_OTHER)
                },
                notice=mrkdwn("confirm_value", message=refused.errors["value"]),
            )
            return {"response_action": "update", "view": again}, None
        errors: dict[str, str] = {}
        for field, message in refused.errors.items():
            block = FIELD_BLOCKS[field] if (field != "measure" or not metadata.measure) else UPDATE_VALUE
            if block == UPDATE_PERIOD and not _has_block(view, UPDATE_PERIOD):
                block = UPDATE_VALUE
            errors[block] = f"{errors[block]} {message}" if block in errors else message
        return {"response_action": "errors", "errors": errors}, None
    except ProjectRefused as refused:
        return {"response_action": "errors", "errors": {UPDATE_VALUE: mrkdwn(refused.reason, **refused.context)}}, None

    return None, lambda: send_now(request.engine, request.client, request.clock, keys)


def _has_block(view: dict[str, Any], block_id: str) -> bool:
    return any(block.get("block_id") == block_id for block in view.get("blocks", []))


def measure_key_name(view: dict[str, Any], measure_key: str) -> str:
    """The measure's name as the form showed it (its heading, or the option picked)."""
    for block in view.get("blocks", []):
        for option in (block.get("element") or {}).get("options", []):
            if option["value"] == measure_key:
                return str(option["text"]["text"])
    return measure_key


def _shown_value(value: float | None, status: MeasureStatus) -> str:
    return format_quantity(value, status.measure.unit) if value is not None else "—"


async def queue_update_post(
    db: AsyncSession, project: Project, update: ProgressUpdate, status: MeasureStatus, author: str, now: datetime, channel: str
) -> str:
    """The update as posted where the plan says, with the lead's Approve / Return."""
    text = mrkdwn(
        "update_posted",
        author=author,
        measure=status.measure.name,
        project=project.name,
        due=update.period_end,
        value=_shown_value(update.value, status),
        rating=status.rating.value,
        note=update.note,
        recovery=update.recovery_action,
        other=update.other_reason,
        evidence=update.evidence_url,
    )
    blocks = posted_update_blocks(text, UpdateRef(project=project.id, update=update.id))
    message = Message(
        key=f"update:{update.id}",
        channel=channel,
        text=fallback(text),
        groups=[[b.to_dict() for b in blocks]],
        tell=slack_user_of(project.lead),
        what=plain("what_update", measure=status.measure.name, name=project.name),
    )
    await queue(db, message, due_at=now, workspace_id=project.workspace_id)
    return message.dedupe_key


async def snooze(request: Request, ref: MeasureRef) -> Answer | None:
    async with transaction(request.engine) as db:
        project = (await project_scope(db, request.caller, project_id=ref.project)).project
        measure = next((m for m in await list_measures(db, project_id=project.id) if m.key == ref.measure), None)
        if measure is None:
            return Answer(mrkdwn("stale_button"))
        if not may_report(await team_of(db, project), measure, request.caller.user):
            return _not_theirs(project, measure)
        await snooze_reminder(db, project, measure, period_end=ref.period or "", user=request.caller.user, now=request.now())
    await request.client.chat_postMessage(channel=request.caller.user, text=mrkdwn("snoozed", measure=measure.name))
    return None


async def nothing_to_report(request: Request, ref: MeasureRef) -> None:
    caller = request.caller
    try:
        async with transaction(request.engine) as db:
            project = (await project_scope(db, caller, project_id=ref.project)).project
            update, status = await record_update(
                db,
                project,
                measure_key=ref.measure,
                author=caller.user,
                today=request.now().date(),
                only_owner_or_lead=True,
                period=ref.period,
                nothing_to_report=True,
                markup=MarkupKind.MRKDWN,
            )
    except UpdateRefused as refused:
        await request.client.chat_postMessage(channel=caller.user, text=" ".join(refused.errors.values()))
        return
    await request.client.chat_postMessage(
        channel=caller.user, text=mrkdwn("nothing_saved", measure=status.measure.name, due=update.period_end)
    )


async def approve(request: Request, ref: UpdateRef) -> Answer | None:
    """The lead approves an update: noted in the update's thread."""
    message = request.body.get("message") or {}
    decided = await _decide(request, ref, Review.APPROVED, None, channel=request.caller.channel, thread_ts=message.get("ts"))
    if isinstance(decided, str):
        return Answer(decided)
    await send_now(request.engine, request.client, request.clock, decided)
    return None


async def open_return_form(request: Request, ref: UpdateRef) -> None:
    message = request.body.get("message") or {}
    metadata = ReturnForm(project=ref.project, update=ref.update, channel=request.caller.channel, thread_ts=message.get("ts", ""))
    await request.client.views_open(trigger_id=request.body["trigger_id"], view=return_view(metadata=metadata))


async def save_return_form(request: Request) -> tuple[FormResult, Callable[[], Awaitable[object]] | None]:
    """The lead's comment on a returned update; a refusal (not the lead, no comment) shows in the form."""
    view = request.body["view"]
    metadata = ReturnForm.decode(view.get("private_metadata"))
    comment = _field(view["state"]["values"], RETURN_COMMENT)
    ref = UpdateRef(project=metadata.project, update=metadata.update)
    decided = await _decide(request, ref, Review.RETURNED, comment, channel=None, thread_ts=metadata.thread_ts)
    if isinstance(decided, str):
        return {"response_action": "errors", "errors": {RETURN_COMMENT: decided}}, None
    return None, lambda: send_now(request.engine, request.client, request.clock, decided)


async def _decide(
    request: Request, ref: UpdateRef, decision: Review, comment: str | None, *, channel: str | None, thread_ts: str | None
) -> list[str] | str:
    """Store the review, and queue its note in the update's thread and, when returned, the DM
    to its author, in one transaction. Returns the keys of what was queued, or a refusal to show.
    A form sent again stores and queues nothing new. The note goes where the click was (Slack
    says where), or from a form, where the project posts its updates: never to a channel the
    form's hidden data names."""
    caller, now = request.caller, request.now()
    view = request.body.get("view")
    try:
        async with transaction(request.engine) as db:
            if view is not None and not await claim_event(db, submission_key(view)):
                return []
            project = (await project_scope(db, caller, project_id=ref.project)).project
            update, measure = await review(
                db, project, update_id=ref.update, reviewer=caller.user, decision=decision, comment=comment, now=now
            )
            note = mrkdwn("reviewed", decision=decision.value, reviewer=caller.user, comment=comment)
            stamp = now.isoformat()
            keys = [
                await queue_dm(
                    db,
                    key=f"reviewed:{update.id}:{stamp}",
                    to=channel or await updates_channel(db, project) or project.channel_id or caller.user,
                    text=note,
                    now=now,
                    workspace_id=project.workspace_id,
                    thread_ts=thread_ts,
                )
            ]
            if decision == Review.RETURNED:
                back = mrkdwn("returned_to_author", reviewer=caller.user, measure=measure.name, due=update.period_end, comment=comment)
                key = f"returned:{update.id}:{stamp}"
                keys.append(await queue_dm(db, key=key, to=update.author, text=back, now=now, workspace_id=project.workspace_id))
    except (ReviewRefused, ProjectRefused) as refused:
        return mrkdwn(refused.reason, **refused.context)
    return keys

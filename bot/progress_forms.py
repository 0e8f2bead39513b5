"""Progress in Slack: the update form (from a reminder or /socialvalue update), Snooze,
Nothing to report, and the update posted to the project's channel through the job table."""

import json
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.blocks import (
    FIELD_ACTION,
    UPDATE_EVIDENCE,
    UPDATE_MEASURE,
    UPDATE_NOTE,
    UPDATE_RECOVERY,
    UPDATE_VALUE,
    RETURN_COMMENT,
    mrkdwn,
    posted_update_blocks,
    return_view,
    update_view,
)
from bot.verbs import Answer, Caller, refusal
from bot.outbox import queue_message
from flows.engine import load_state
from flows.inputs import Choice
from flows.progress import MeasureStatus, ReviewRefused, UpdateRefused, project_status, record_update, review
from flows.projects import ProjectRefused, project_by_id, project_meant, workspace_of
from flows.reminders import slack_user_of, snooze_reminder
from prompts import MarkupKind, format_number
from storage.engine import transaction

FIELD_BLOCKS = {"measure": UPDATE_MEASURE, "period": UPDATE_VALUE, "value": UPDATE_VALUE, "note": UPDATE_NOTE,
                "evidence": UPDATE_EVIDENCE, "recovery_action": UPDATE_RECOVERY}


def _mine(statuses: list[MeasureStatus], user: str) -> list[MeasureStatus]:
    return [s for s in statuses if slack_user_of(s.measure.owner) == user and s.plan.schedule]


async def open_update_form(
    engine: AsyncEngine, client: AsyncWebClient, caller: Caller, trigger_id: str, clock, *,
    ref: dict | None = None, name: str = "",
) -> Answer | None:
    """The update form for one measure (from a reminder), or for any of the caller's measures."""
    try:
        async with transaction(engine) as db:
            workspace = await workspace_of(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)
            if ref:
                project = await project_by_id(db, workspace, int(ref["project"]))
            else:
                project = await project_meant(db, workspace, name=name, channel=caller.channel, user=caller.user)
            statuses = await project_status(db, project, clock.now().date())
    except ProjectRefused as refused:
        return refusal(refused)
    metadata = {"project": project.id, "measure": ref["measure"] if ref else None, "period": ref["period"] if ref else None}
    if ref:
        status = next(s for s in statuses if s.measure.key == ref["measure"])
        metadata["name"] = status.measure.name
        view = update_view(metadata=json.dumps(metadata), measure_name=status.measure.name, unit=status.measure.unit, due=ref["period"])
    else:
        mine = _mine(statuses, caller.user)
        if not mine:
            return Answer(mrkdwn("no_measures_of_yours", name=project.name))
        choices = [Choice(s.measure.key, s.measure.name) for s in mine]
        view = update_view(metadata=json.dumps(metadata), measure_name="", unit="", due="", choices=choices)
    await client.views_open(trigger_id=trigger_id, view=view)
    return None


def _field(values: dict, block: str) -> str | None:
    element = values.get(block, {}).get(FIELD_ACTION) or {}
    if element.get("type") == "static_select":
        return (element.get("selected_option") or {}).get("value")
    return element.get("value")


async def save_update_form(engine: AsyncEngine, client: AsyncWebClient, caller: Caller, view: dict, clock) -> dict | None:
    """Store a submitted update; returns the ack's arguments when something must be fixed."""
    metadata = json.loads(view["private_metadata"])
    values = view["state"]["values"]
    measure_key = metadata.get("measure") or _field(values, UPDATE_MEASURE)
    value = _field(values, UPDATE_VALUE)
    confirmed = metadata.get("confirm") is not None and metadata.get("confirm") == value
    try:
        async with transaction(engine) as db:
            workspace = await workspace_of(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)
            project = await project_by_id(db, workspace, int(metadata["project"]))
            update, status = await record_update(
                db, project, measure_key=measure_key or "", author=caller.user, today=clock.now().date(),
                value=value, note=_field(values, UPDATE_NOTE), evidence=_field(values, UPDATE_EVIDENCE),
                recovery_action=_field(values, UPDATE_RECOVERY), period=metadata.get("period"), confirmed=confirmed,
                markup=MarkupKind.TEXT,
            )
            await queue_update_post(db, project, update, status, caller.user, clock.now())
    except UpdateRefused as refused:
        if refused.confirm and measure_key:
            # Shown again with what was typed; the same value sent again is confirmed.
            again = update_view(
                metadata=json.dumps({**metadata, "measure": measure_key, "confirm": value}),
                measure_name=metadata.get("name") or measure_key_name(view, measure_key), unit="", due=metadata.get("period") or "",
                initial={block: _field(values, block) for block in (UPDATE_VALUE, UPDATE_NOTE, UPDATE_EVIDENCE, UPDATE_RECOVERY)},
                notice=mrkdwn("confirm_value", message=refused.errors["value"]),
            )
            return {"response_action": "update", "view": again}
        errors: dict[str, str] = {}
        for field, message in refused.errors.items():
            block = FIELD_BLOCKS[field] if (field != "measure" or not metadata.get("measure")) else UPDATE_VALUE
            errors[block] = f"{errors[block]} {message}" if block in errors else message
        return {"response_action": "errors", "errors": errors}
    except ProjectRefused as refused:
        return {"response_action": "errors", "errors": {UPDATE_VALUE: refusal(refused).text}}
    shown = _shown_value(update.value, status)
    await client.chat_postMessage(
        channel=caller.user,
        text=mrkdwn("update_saved", measure=status.measure.name, due=update.period_end, value=shown, rating=status.rating.value),
    )
    return None


def measure_key_name(view: dict, measure_key: str) -> str:
    """The measure's name as the form showed it (its heading, or the option picked)."""
    for block in view.get("blocks", []):
        for option in (block.get("element") or {}).get("options", []):
            if option["value"] == measure_key:
                return option["text"]["text"]
    return measure_key


def _shown_value(value: float | None, status: MeasureStatus) -> str:
    return f"{format_number(value)} {status.measure.unit}" if value is not None else "—"


async def queue_update_post(db, project, update, status: MeasureStatus, author: str, now) -> None:
    """Post the update to the project's channel when the plan says updates are posted."""
    state = await load_state(db, project)
    if not project.channel_id or not state.value("monitoring.updates_posted"):
        return
    text = mrkdwn(
        "update_posted", author=author, measure=status.measure.name, project=project.name, due=update.period_end,
        value=_shown_value(update.value, status), rating=status.rating.value, note=update.note,
        recovery=update.recovery_action, evidence=update.evidence_url,
    )
    groups = [posted_update_blocks(text, project.id, update.id)]
    await queue_message(db, key=f"update:{update.id}", channel=project.channel_id, groups=groups, text=text, due_at=now)


async def snooze(engine: AsyncEngine, client: AsyncWebClient, caller: Caller, ref: dict, clock) -> None:
    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)
        project = await project_by_id(db, workspace, int(ref["project"]))
        await snooze_reminder(db, project, measure_key=ref["measure"], period_end=ref["period"], user=caller.user, now=clock.now())
        name = next(m.name for m in (await load_state(db, project)).measures if m.key == ref["measure"])
    await client.chat_postMessage(channel=caller.user, text=mrkdwn("snoozed", measure=name))


async def nothing_to_report(engine: AsyncEngine, client: AsyncWebClient, caller: Caller, ref: dict, clock) -> None:
    try:
        async with transaction(engine) as db:
            workspace = await workspace_of(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)
            project = await project_by_id(db, workspace, int(ref["project"]))
            update, status = await record_update(
                db, project, measure_key=ref["measure"], author=caller.user, today=clock.now().date(),
                period=ref["period"], nothing_to_report=True, markup=MarkupKind.MRKDWN,
            )
    except (UpdateRefused, ProjectRefused) as refused:
        text = " ".join(refused.errors.values()) if isinstance(refused, UpdateRefused) else refusal(refused).text
        await client.chat_postMessage(channel=caller.user, text=text)
        return
    await client.chat_postMessage(channel=caller.user, text=mrkdwn("nothing_saved", measure=status.measure.name, due=update.period_end))


@dataclass(frozen=True)
class Decision:
    """What to announce once a review is stored: in the update's thread, and to its author."""

    channel: str
    thread_ts: str | None
    note: str
    to_author: tuple[str, str] | None


async def decide(
    engine: AsyncEngine, caller: Caller, ref: dict, clock, *, decision: str, comment: str | None = None,
    channel: str | None = None, thread_ts: str | None = None,
) -> Decision | str:
    """Approve or return an update; a string is the refusal to show the caller."""
    try:
        async with transaction(engine) as db:
            workspace = await workspace_of(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)
            project = await project_by_id(db, workspace, int(ref["project"]))
            update = await review(db, project, update_id=int(ref["update"]), reviewer=caller.user, decision=decision, comment=comment, now=clock.now())
            measure = next(m for m in (await load_state(db, project)).measures if m.id == update.measure_id)
    except ReviewRefused as refused:
        return mrkdwn(refused.reason, **refused.context)
    except ProjectRefused as refused:
        return refusal(refused).text
    to_author = None
    if decision == "returned":
        to_author = (update.author, mrkdwn("returned_to_author", reviewer=caller.user, measure=measure.name, due=update.period_end, comment=comment))
    note = mrkdwn("reviewed", decision=decision, reviewer=caller.user, comment=comment)
    return Decision(channel or project.channel_id, thread_ts, note, to_author)


async def announce(client: AsyncWebClient, decision: Decision) -> None:
    await client.chat_postMessage(channel=decision.channel, thread_ts=decision.thread_ts, text=decision.note)
    if decision.to_author:
        await client.chat_postMessage(channel=decision.to_author[0], text=decision.to_author[1])


async def open_return_form(client: AsyncWebClient, ref: dict, trigger_id: str, *, channel: str, thread_ts: str) -> None:
    metadata = json.dumps({**ref, "channel": channel, "thread_ts": thread_ts})
    await client.views_open(trigger_id=trigger_id, view=return_view(metadata=metadata))


def return_comment(view: dict) -> str | None:
    return _field(view["state"]["values"], RETURN_COMMENT)

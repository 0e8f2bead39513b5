"""Buttons and menus: answers to the current question, Skip / Back / Pause, App Home, Edit."""

import json
import logging
import re

from slack_bolt.async_app import AsyncApp

from bot import verbs
from bot.blocks import (
    ANSWER_CHOICE,
    ANSWER_DATE,
    ANSWER_MULTI,
    ANSWER_MULTI_SAVE,
    ANSWER_SELECT,
    CONTROL_BACK,
    CONTROL_PAUSE,
    CONTROL_SKIP,
    EDIT_OPEN,
    HOME_CONTINUE,
    HOME_SUMMARY,
    REMINDER_ADD_UPDATE,
    REMINDER_NOTHING,
    REMINDER_SNOOZE,
    UPDATE_APPROVE,
    UPDATE_RETURN,
    parse_answer_block_id,
)
from bot.progress_forms import announce, decide, nothing_to_report, open_return_form, open_update_form, snooze
from bot.forms import open_edit_form, open_summary
from prompts import vocabulary

logger = logging.getLogger(__name__)
CONTROL_WORDS = {CONTROL_SKIP: "skip", CONTROL_BACK: "back", CONTROL_PAUSE: "pause"}


def register(app: AsyncApp) -> None:
    app.action(re.compile(f"^{ANSWER_CHOICE}:"))(handle_answer)
    for action_id in (ANSWER_SELECT, ANSWER_DATE, ANSWER_MULTI_SAVE):
        app.action(action_id)(handle_answer)
    app.action(ANSWER_MULTI)(handle_selection_change)
    for action_id in CONTROL_WORDS:
        app.action(action_id)(handle_control)
    app.action(HOME_CONTINUE)(handle_continue)
    app.action(HOME_SUMMARY)(handle_summary)
    app.action(re.compile(f"^{EDIT_OPEN}:"))(handle_edit_open)
    app.action(REMINDER_ADD_UPDATE)(handle_add_update)
    app.action(REMINDER_SNOOZE)(handle_snooze)
    app.action(REMINDER_NOTHING)(handle_nothing_to_report)
    app.action(UPDATE_APPROVE)(handle_approve)
    app.action(UPDATE_RETURN)(handle_return)


def caller_of(body: dict, context) -> verbs.Caller:
    channel = (body.get("channel") or {}).get("id") or body["user"]["id"]
    return verbs.Caller(context.team_id, context.enterprise_id, body["user"]["id"], channel)


def typed_answer(action: dict, body: dict) -> str:
    """What the click means, as the user could have typed it."""
    if action["action_id"] == ANSWER_MULTI_SAVE:
        menu = body.get("state", {}).get("values", {}).get(action["block_id"], {}).get(ANSWER_MULTI, {})
        return ", ".join(option["value"] for option in menu.get("selected_options") or [])
    if action["type"] == "static_select":
        return action["selected_option"]["value"]
    if action["type"] == "datepicker":
        return action["selected_date"]
    return action["value"]


async def handle_answer(ack, body, action, context, client) -> None:
    await ack()
    where = parse_answer_block_id(action["block_id"])
    if where is None:
        return
    await _click(body, context, client, where, typed_answer(action, body))


async def handle_control(ack, body, action, context, client) -> None:
    await ack()
    kind, _, rest = action["block_id"].partition(":")
    where = parse_answer_block_id(f"plan:{rest}")
    if where is None:
        return
    await _click(body, context, client, where, vocabulary()["commands"][CONTROL_WORDS[action["action_id"]]][0])


async def _click(body, context, client, where: tuple[int, str], text: str) -> None:
    project_id, step = where
    thread_ts = (body.get("message") or {}).get("thread_ts")
    try:
        await verbs.click(
            context["engine"], client, caller_of(body, context), project_id=project_id, step=step, text=text,
            thread_ts=thread_ts, now=context["clock"].now(),
        )
    except Exception:
        logger.exception("answer by click failed")


async def handle_selection_change(ack) -> None:
    """Picking in a multiple-choice menu stores nothing until Save is clicked."""
    await ack()


async def handle_continue(ack, body, action, context, client) -> None:
    await ack()
    try:
        await verbs.plan(
            context["engine"], client, caller_of(body, context), "", project_id=int(action["value"]), now=context["clock"].now()
        )
    except Exception:
        logger.exception("continue from App Home failed")


async def handle_summary(ack, body, action, context, client) -> None:
    await ack()
    try:
        await open_summary(context["engine"], client, caller_of(body, context), int(action["value"]), body["trigger_id"])
    except Exception:
        logger.exception("summary from App Home failed")


async def handle_edit_open(ack, body, action, context, client) -> None:
    await ack()
    target = json.loads(action["value"])
    try:
        await open_edit_form(
            context["engine"], client, caller_of(body, context), target, body["trigger_id"], stacked="view" in body
        )
    except Exception:
        logger.exception("edit form failed")


async def handle_add_update(ack, body, action, context, client) -> None:
    await ack()
    try:
        await open_update_form(
            context["engine"], client, caller_of(body, context), body["trigger_id"], context["clock"], ref=json.loads(action["value"])
        )
    except Exception:
        logger.exception("update form from a reminder failed")


async def handle_snooze(ack, body, action, context, client) -> None:
    await ack()
    try:
        await snooze(context["engine"], client, caller_of(body, context), json.loads(action["value"]), context["clock"])
    except Exception:
        logger.exception("snooze failed")


async def handle_nothing_to_report(ack, body, action, context, client) -> None:
    await ack()
    try:
        await nothing_to_report(context["engine"], client, caller_of(body, context), json.loads(action["value"]), context["clock"])
    except Exception:
        logger.exception("nothing to report failed")


async def handle_approve(ack, body, action, context, client, respond) -> None:
    await ack()
    caller = caller_of(body, context)
    try:
        outcome = await decide(
            context["engine"], caller, json.loads(action["value"]), context["clock"], decision="approved",
            channel=caller.channel, thread_ts=body["message"]["ts"],
        )
        if isinstance(outcome, str):
            await respond(text=outcome, response_type="ephemeral", replace_original=False)
        else:
            await announce(client, outcome)
    except Exception:
        logger.exception("approving an update failed")


async def handle_return(ack, body, action, context, client) -> None:
    await ack()
    try:
        await open_return_form(
            client, json.loads(action["value"]), body["trigger_id"], channel=body["channel"]["id"], thread_ts=body["message"]["ts"]
        )
    except Exception:
        logger.exception("return form failed")

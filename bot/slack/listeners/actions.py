"""Buttons and menus: answers to the current question, Skip / Back / Pause, App Home, Edit,
a reminder's buttons, and Approve / Return of a posted update."""

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.models.blocks import Option
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.handler import handler, request_of
from bot.slack.ids import (
    ANSWER_CHANNEL,
    ANSWER_CHOICE,
    ANSWER_DATE,
    ANSWER_MULTI,
    ANSWER_MULTI_SAVE,
    ANSWER_SELECT,
    ANSWER_USER,
    CASE_STUDY_EDIT,
    COMMUNITY_ADD,
    COMMUNITY_EDIT,
    CONTROL_WORDS,
    EDIT_OPEN,
    FIELD_ACTION,
    HOME_CONTINUE,
    HOME_SUMMARY,
    REMINDER_ADD_UPDATE,
    REMINDER_NOTHING,
    REMINDER_SNOOZE,
    UPDATE_APPROVE,
    UPDATE_RETURN,
    CaseStudyRef,
    CommunityRef,
    EditForm,
    EditRef,
    MeasureRef,
    ProjectRef,
    StaleRef,
    StepRef,
    UpdateRef,
)
from bot.slack.scope import Answer, Request
from bot.slack.services import plan
from bot.slack.services.case_studies import open_edit_form as open_case_study_edit
from bot.slack.services.channels import channel_refusal
from bot.slack.services.communities import open_community_form
from bot.slack.services.edits import open_edit_form, open_summary
from bot.slack.services.menus import menu_options
from bot.slack.services.progress import approve, nothing_to_report, open_return_form, open_update_form, snooze
from bot.slack.services.rights import as_member_or_guest
from flows.projects import ProjectRefused
from prompts import slack_user_of, vocabulary

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    answer = handler(handle_answer, what="answer by click")
    app.action(re.compile(f"^{ANSWER_CHOICE}:"))(answer)
    for action_id in (ANSWER_SELECT, ANSWER_DATE, ANSWER_MULTI_SAVE, ANSWER_CHANNEL, ANSWER_USER):
        app.action(action_id)(answer)
    app.action(ANSWER_MULTI)(handler(handle_selection_change, what="menu selection"))
    for action_id in (ANSWER_SELECT, ANSWER_MULTI, FIELD_ACTION):
        app.options(action_id)(handle_menu_search)
    for action_id in CONTROL_WORDS:
        app.action(action_id)(handler(handle_control, what="skip, back, pause or same as above"))
    app.action(HOME_CONTINUE)(handler(handle_continue, what="continue from App Home"))
    app.action(HOME_SUMMARY)(handler(handle_summary, what="summary from App Home"))
    app.action(re.compile(f"^{EDIT_OPEN}:"))(handler(handle_edit_open, what="edit form"))
    app.action(REMINDER_ADD_UPDATE)(handler(handle_add_update, what="update form from a reminder"))
    app.action(REMINDER_SNOOZE)(handler(handle_snooze, what="snooze"))
    app.action(REMINDER_NOTHING)(handler(handle_nothing_to_report, what="nothing to report"))
    app.action(UPDATE_APPROVE)(handler(handle_approve, what="approve"))
    app.action(UPDATE_RETURN)(handler(handle_return, what="return form"))
    app.action(CASE_STUDY_EDIT)(handler(handle_case_study_edit, what="case study edit form"))
    for action_id in (COMMUNITY_EDIT, COMMUNITY_ADD):
        app.action(action_id)(handler(handle_community_form, what="community form"))


def action_of(request: Request) -> dict[str, Any]:
    return dict(request.body["actions"][0])


def typed_answer(action: dict[str, Any], body: dict[str, Any]) -> str:
    """What the click means, as the user could have typed it."""
    if action["action_id"] == ANSWER_MULTI_SAVE:
        menu = body.get("state", {}).get("values", {}).get(action["block_id"], {}).get(ANSWER_MULTI, {})
        return ", ".join(option["value"] for option in menu.get("selected_options") or [])
    if action["type"] in ("static_select", "external_select"):
        return str(action["selected_option"]["value"])
    if action["type"] == "datepicker":
        return str(action["selected_date"])
    if action["type"] == "conversations_select":
        return str(action["selected_conversation"])
    if action["type"] == "users_select":  # an id that is not a user's (an altered click) is no answer
        user = slack_user_of(str(action.get("selected_user") or ""))
        return f"<@{user}>" if user else ""
    return str(action["value"])


async def handle_answer(request: Request) -> Answer | None:
    action = action_of(request)
    if action["action_id"] == ANSWER_CHANNEL:  # a channel nobody could approve updates in is refused before it is stored
        refused = await channel_refusal(request, str(action.get("selected_conversation", "")))
        if refused is not None:
            return refused
    return await plan.click(request, StepRef.decode(action["block_id"]), typed_answer(action, request.body))


async def handle_control(request: Request) -> Answer | None:
    action = action_of(request)
    word = vocabulary()["commands"][CONTROL_WORDS[action["action_id"]]][0]
    return await plan.click(request, StepRef.decode(action["block_id"]), word)


async def handle_menu_search(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
    """What the user typed in a long menu: the matching choices, answered in the ack."""
    request = request_of(body, context, client, None)
    options: list[Option] = []
    try:
        view = body.get("view")
        if view is not None:  # an edit form: the field's block id is its step
            form = EditForm.decode(view.get("private_metadata"))
            project, step = form.project, str(body.get("block_id", ""))
        else:  # a question message: its block id names the project and the step
            asked = StepRef.decode(body.get("block_id"))
            project, step = asked.project, asked.step
        options = await menu_options(request, project_id=project, step=step, query=str(body.get("value", "")))
    except (StaleRef, ProjectRefused):
        pass  # an altered or stale menu: nothing to offer
    except Exception:
        logger.exception("menu search failed")
    await ack(options=options)


async def handle_selection_change(request: Request) -> None:
    """Picking in a multiple-choice menu stores nothing until Save is clicked."""


async def handle_continue(request: Request) -> Answer | None:
    ref = ProjectRef.decode(action_of(request)["value"])
    return await plan.plan(request, "", project_id=ref.project)


async def handle_summary(request: Request) -> None:
    # The one button that only shows a project: a guest's altered value reads no more than their commands.
    await open_summary(await as_member_or_guest(request), ProjectRef.decode(action_of(request)["value"]))


async def handle_edit_open(request: Request) -> Answer | None:
    return await open_edit_form(request, EditRef.decode(action_of(request)["value"]))


async def handle_add_update(request: Request) -> Answer | None:
    return await open_update_form(request, ref=MeasureRef.decode(action_of(request)["value"]))


async def handle_snooze(request: Request) -> Answer | None:
    return await snooze(request, MeasureRef.decode(action_of(request)["value"]))


async def handle_nothing_to_report(request: Request) -> None:
    await nothing_to_report(request, MeasureRef.decode(action_of(request)["value"]))


async def handle_approve(request: Request) -> Answer | None:
    return await approve(request, UpdateRef.decode(action_of(request)["value"]))


async def handle_return(request: Request) -> None:
    await open_return_form(request, UpdateRef.decode(action_of(request)["value"]))


async def handle_case_study_edit(request: Request) -> Answer | None:
    return await open_case_study_edit(request, CaseStudyRef.decode(action_of(request)["value"]))


async def handle_community_form(request: Request) -> Answer | None:
    ref = CommunityRef.decode(action_of(request)["value"])
    return await open_community_form(request, project_id=ref.project, community=ref.community)

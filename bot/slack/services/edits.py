"""Modals: the plan summary, and editing one guiding question's answers."""

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from bot.slack.blocks.summaries import FORM_FIELDS, edit_buttons, edit_view, form_pages, summary_view
from bot.slack.blocks.text import mrkdwn, plain
from bot.slack.handler import FormResult, submission_key
from bot.slack.ids import FIELD_ACTION, EditForm, EditRef, ProjectRef
from bot.slack.scope import Answer, Request, project_scope
from bot.slack.services.home import publish_home
from bot.slack.services.rights import handover_refusal
from bot.worker.kinds import queue_dm
from bot.worker.loop import send_now
from flows.conversation.editing import EditRefused, edit_form, item_form, latest_answer_id, save_edits, save_item_form
from flows.conversation.engine import load_state
from flows.conversation.presenting import overview
from flows.conversation.registry import flow_of_question
from flows.handover import HANDOVER
from flows.plan import PLAN
from flows.projects import ProjectRefused
from flows.revisions import revise_summary
from flows.roles import check_may_change
from prompts import MarkupKind, render
from storage.engine import transaction
from storage.slack_events import claim_event

ADMIN_LOOKUP_BEFORE_ACK = 1.5  # seconds: the form's answer is its ack, which Slack waits 3 s for


async def open_summary(request: Request, ref: ProjectRef) -> None:
    async with transaction(request.engine) as db:
        project = (await project_scope(db, request.caller, project_id=ref.project)).project
        plan = overview(PLAN, await load_state(db, project), MarkupKind.MRKDWN)
    view = summary_view(plan.summary, project.name, edit_buttons(ref.project, plan.edit_targets))
    await request.client.views_open(trigger_id=request.body["trigger_id"], view=view)


async def open_edit_form(request: Request, target: EditRef) -> Answer | None:
    if flow_of_question(target.question) is HANDOVER and (refused := await handover_refusal(request, project_id=target.project)):
        return Answer(refused)
    async with transaction(request.engine) as db:
        project = (await project_scope(db, request.caller, project_id=target.project)).project
        flow = flow_of_question(target.question)
        if flow is PLAN:
            await check_may_change(db, project, request.caller.user)
        state = await load_state(db, project)
        if target.item:
            fields = await item_form(db, flow, state, target.question, target.subject if target.item == "edit" else "")
            if not fields:  # removed since the summary was posted
                return Answer(mrkdwn("item_gone", name=target.subject))
        else:
            fields = edit_form(flow, state, target.question, target.subject)
    page = min(target.page, form_pages(len(fields)) - 1)  # the plan may have shrunk since the button was posted
    fields = fields[page * FORM_FIELDS : (page + 1) * FORM_FIELDS]
    metadata = EditForm(
        project=target.project,
        question=target.question,
        subject=target.subject if target.item != "add" else "",
        seen=latest_answer_id(state),
        item=target.item,
    )
    hint = plain(f"edit_hint_{target.item}" if target.item else "edit_hint")
    view = edit_view(fields, metadata=metadata, title_hint=f"{project.name} · {hint}")
    if "view" in request.body:  # opened from a modal: stacked on it
        await request.client.views_push(trigger_id=request.body["trigger_id"], view=view)
    else:
        await request.client.views_open(trigger_id=request.body["trigger_id"], view=view)
    return None


def submitted_values(view: dict[str, Any]) -> dict[str, str | None]:
    """Each field's value as the user could have typed it."""
    values: dict[str, str | None] = {}
    for block_id, actions in view["state"]["values"].items():
        element = actions.get(FIELD_ACTION) or {}
        kind = element.get("type")
        if kind in ("static_select", "external_select", "radio_buttons"):
            values[block_id] = (element.get("selected_option") or {}).get("value")
        elif kind in ("multi_static_select", "multi_external_select"):
            values[block_id] = ", ".join(o["value"] for o in element.get("selected_options") or []) or None
        elif kind == "datepicker":
            values[block_id] = element.get("selected_date")
        elif kind == "conversations_select":
            values[block_id] = element.get("selected_conversation")
        else:
            values[block_id] = element.get("value")
    return values


async def save_edit_form(request: Request) -> tuple[FormResult, Callable[[], Awaitable[object]] | None]:
    """Store a submitted form and queue its confirmation (errors show in the form), then, after
    the ack, send the confirmation and refresh App Home. The same form sent twice stores once."""
    view, caller, now = request.body["view"], request.caller, request.now()
    metadata = EditForm.decode(view.get("private_metadata"))
    first = next(iter(view["state"]["values"]), "")
    try:
        if flow_of_question(metadata.question) is HANDOVER:
            refused = await handover_refusal(request, project_id=metadata.project, within=ADMIN_LOOKUP_BEFORE_ACK)
            if refused is not None:
                return {"response_action": "errors", "errors": {first: refused}}, None
        async with transaction(request.engine) as db:
            if not await claim_event(db, submission_key(view)):
                return None, None
            project = (await project_scope(db, caller, project_id=metadata.project)).project
            if flow_of_question(metadata.question) is PLAN:
                await check_may_change(db, project, caller.user)
            save = (
                partial(save_item_form, seen_up_to=metadata.seen)
                if metadata.item
                else partial(save_edits, seen_versions=metadata.versions, seen_up_to=metadata.seen)
            )
            changed = await save(
                db,
                flow_of_question(metadata.question),
                project=project,
                user=caller.user,
                question=metadata.question,
                subject=metadata.subject,
                submitted=submitted_values(view),
            )
            saved = mrkdwn("edits_saved", count=len(changed), name=project.name)
            keys = (
                [
                    await queue_dm(
                        db,
                        key=f"saved:edit:{project.id}:{now.isoformat()}",
                        to=caller.user,
                        text=saved,
                        now=now,
                        workspace_id=project.workspace_id,
                    )
                ]
                if changed
                else []
            )
            if flow_of_question(metadata.question) is PLAN:
                await revise_summary(db, project, user=caller.user, now=now, changes=changed)
    except EditRefused as refused:
        return {"response_action": "errors", "errors": refused.errors}, None
    except ProjectRefused as refused:
        return {
            "response_action": "errors",
            "errors": {first: render(f"slack.j2:{refused.reason}", MarkupKind.TEXT, **refused.context)},
        }, None
    if not changed:
        return None, None

    async def confirm() -> None:
        await send_now(request.engine, request.client, request.clock, keys)
        await publish_home(request)

    return None, confirm

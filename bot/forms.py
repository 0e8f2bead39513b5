"""Modals: the plan summary, and editing one guiding question's answers."""

import json

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.blocks import FIELD_ACTION, edit_buttons, edit_view, mrkdwn, plain, summary_view
from bot.home import publish_home
from bot.verbs import Caller
from flows.editing import EditRefused, edit_form, save_edits
from flows.engine import load_state
from flows.plan import PLAN
from flows.registry import flow_of_question
from flows.presenting import overview
from flows.projects import project_by_id, workspace_of
from prompts import MarkupKind
from storage.engine import transaction


async def open_summary(engine: AsyncEngine, client: AsyncWebClient, caller: Caller, project_id: int, trigger_id: str) -> None:
    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)
        project = await project_by_id(db, workspace, project_id)
        plan = await overview(db, PLAN, project, MarkupKind.MRKDWN)
    view = summary_view(plan.summary, project.name, edit_buttons(project.id, plan.edit_targets))
    await client.views_open(trigger_id=trigger_id, view=view)


async def open_edit_form(
    engine: AsyncEngine, client: AsyncWebClient, caller: Caller, target: dict, trigger_id: str, *, stacked: bool
) -> None:
    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)
        project = await project_by_id(db, workspace, int(target["project"]))
        flow = flow_of_question(target["question"])
        fields = edit_form(flow, await load_state(db, project), target["question"], target.get("subject", ""))
    metadata = json.dumps(
        {
            "project": project.id,
            "question": target["question"],
            "subject": target.get("subject", ""),
            "versions": {field.id: field.version for field in fields},
        },
        separators=(",", ":"),
    )
    view = edit_view(fields, metadata=metadata, title_hint=f"{project.name} · {plain('edit_hint')}")
    if stacked:
        await client.views_push(trigger_id=trigger_id, view=view)
    else:
        await client.views_open(trigger_id=trigger_id, view=view)


def submitted_values(view: dict) -> dict[str, str | None]:
    """Each field's value as the user could have typed it."""
    values: dict[str, str | None] = {}
    for block_id, actions in view["state"]["values"].items():
        element = actions.get(FIELD_ACTION) or {}
        kind = element.get("type")
        if kind in ("static_select", "radio_buttons"):
            values[block_id] = (element.get("selected_option") or {}).get("value")
        elif kind == "multi_static_select":
            values[block_id] = ", ".join(o["value"] for o in element.get("selected_options") or []) or None
        elif kind == "datepicker":
            values[block_id] = element.get("selected_date")
        else:
            values[block_id] = element.get("value")
    return values


async def save_edit_form(engine: AsyncEngine, caller: Caller, view: dict) -> tuple[dict[str, str], int, str]:
    """Store a submitted form. Returns (errors by block id, changes stored, project name)."""
    metadata = json.loads(view["private_metadata"])
    try:
        async with transaction(engine) as db:
            workspace = await workspace_of(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)
            project = await project_by_id(db, workspace, int(metadata["project"]))
            changed = await save_edits(
                db, flow_of_question(metadata["question"]), project=project, user=caller.user, question=metadata["question"],
                subject=metadata["subject"], submitted=submitted_values(view), seen_versions=metadata["versions"],
            )
    except EditRefused as refused:
        return refused.errors, 0, ""
    return {}, changed, project.name


async def confirm_edits(engine: AsyncEngine, client: AsyncWebClient, caller: Caller, changed: int, name: str) -> None:
    await client.chat_postMessage(channel=caller.user, text=mrkdwn("edits_saved", count=changed, name=name))
    await publish_home(engine, client, team_id=caller.team_id, enterprise_id=caller.enterprise_id, user=caller.user)

"""Menus with more choices than Slack shows at once (100): their options are served as the
user types, from the same choices the question validates against."""

from slack_sdk.models.blocks import Option

from bot.slack.blocks.text import option
from bot.slack.scope import Request, project_scope
from flows.conversation.engine import load_state
from flows.conversation.registry import flow_of_step
from storage.engine import transaction

MENU_LIMIT = 100  # options Slack shows in one menu


async def menu_options(request: Request, *, project_id: int, step: str, query: str) -> list[Option]:
    """The choices of `step` whose label contains what was typed, at most MENU_LIMIT."""
    flow = flow_of_step(step)
    async with transaction(request.engine) as db:
        project = (await project_scope(db, request.caller, project_id=project_id)).project
        state = await load_state(db, project)
    instance = next((i for i in flow.instances(state) if i.id == step), None)
    wanted = query.strip().casefold()
    choices = instance.choices(state) if instance else []
    return [option(c) for c in choices if wanted in c.label.casefold() or wanted == c.value.casefold()][:MENU_LIMIT]

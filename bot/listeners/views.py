"""Modal submissions: the edit form validates before it acks, so errors show inline."""

import logging

from slack_bolt.async_app import AsyncApp

from bot import verbs
from bot.blocks import EDIT_CALLBACK
from bot.forms import confirm_edits, save_edit_form

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.view(EDIT_CALLBACK)(handle_edit_submission)


async def handle_edit_submission(ack, body, view, context, client) -> None:
    caller = verbs.Caller(context.team_id, context.enterprise_id, body["user"]["id"], body["user"]["id"])
    errors, changed, name = await save_edit_form(context["engine"], caller, view)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    try:
        if changed:
            await confirm_edits(context["engine"], client, caller, changed, name)
    except Exception:
        logger.exception("confirming an edit failed")

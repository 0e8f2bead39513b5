"""Modal submissions: the edit form validates before it acks, so errors show inline."""

import json
import logging

from slack_bolt.async_app import AsyncApp

from bot import verbs
from bot.blocks import EDIT_CALLBACK, RETURN_CALLBACK, RETURN_COMMENT, UPDATE_CALLBACK
from bot.forms import confirm_edits, save_edit_form
from bot.progress_forms import announce, decide, return_comment, save_update_form

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.view(EDIT_CALLBACK)(handle_edit_submission)
    app.view(UPDATE_CALLBACK)(handle_update_submission)
    app.view(RETURN_CALLBACK)(handle_return_submission)


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


async def handle_update_submission(ack, body, view, context, client) -> None:
    """A progress update: validated and stored before the ack, so errors show in the form."""
    caller = verbs.Caller(context.team_id, context.enterprise_id, body["user"]["id"], body["user"]["id"])
    try:
        fix = await save_update_form(context["engine"], client, caller, view, context["clock"])
    except Exception:
        logger.exception("saving an update failed")
        fix = None
    await ack(**fix) if fix else await ack()


async def handle_return_submission(ack, body, view, context, client) -> None:
    """The lead's comment on a returned update; a refusal (not the lead, no comment) shows in the form."""
    caller = verbs.Caller(context.team_id, context.enterprise_id, body["user"]["id"], body["user"]["id"])
    ref = json.loads(view["private_metadata"])
    outcome = await decide(
        context["engine"], caller, ref, context["clock"], decision="returned", comment=return_comment(view),
        channel=ref["channel"], thread_ts=ref["thread_ts"],
    )
    if isinstance(outcome, str):
        await ack(response_action="errors", errors={RETURN_COMMENT: outcome})
        return
    await ack()
    try:
        await announce(client, outcome)
    except Exception:
        logger.exception("announcing a returned update failed")

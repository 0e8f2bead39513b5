"""The `/socialvalue` slash command: ack at once, then hand the subcommand to bot.verbs."""

import logging

from slack_bolt.async_app import AsyncApp

from bot import verbs
from bot.digest_command import digest_command
from bot.handover_command import handover
from bot.progress_forms import open_update_form
from bot.slack_text import text_from_message

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.command("/socialvalue")(handle_socialvalue)


async def handle_socialvalue(ack, command, context, client, respond) -> None:
    await ack()
    caller = verbs.Caller(context.team_id, context.enterprise_id, command["user_id"], command["channel_id"])
    verb, rest = verbs.split_verb(text_from_message(command.get("text", "")))
    engine = context["engine"]
    try:
        if verb == "new":
            answer = await verbs.create(engine, caller, rest)
        elif verb == "plan":
            answer = await verbs.plan(engine, client, caller, rest, now=context["clock"].now())
        elif verb == "status":
            answer = await verbs.status(engine, caller, rest, context["clock"].now().date())
        elif verb == "projects":
            answer = await verbs.projects(engine, caller)
        elif verb == "digest":
            raw = command.get("text", "").strip().partition(" ")[2]
            answer = await digest_command(
                engine, client, caller, rest, raw, admins=context["admins"], now=context["clock"].now()
            )
        elif verb == "handover":
            answer = await handover(engine, client, caller, rest, admins=context["admins"], now=context["clock"].now())
        elif verb == "update":
            answer = await open_update_form(engine, client, caller, command["trigger_id"], context["clock"], name=rest)
        else:
            answer = verbs.help_answer()
        if answer is not None:
            await show(respond, answer)
    except Exception:
        logger.exception("/socialvalue %s failed", verb)


async def show(respond, answer: verbs.Answer) -> None:
    response_type = "in_channel" if answer.public else "ephemeral"
    if not answer.groups:
        await respond(text=answer.text, response_type=response_type)
    for group in answer.groups:
        await respond(blocks=group, text=answer.text[:300], response_type=response_type)

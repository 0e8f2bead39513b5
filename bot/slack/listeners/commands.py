"""The `/socialvalue` slash command: acked at once, then the subcommand is handed on."""

from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp

from bot.slack.blocks.text import mrkdwn
from bot.slack.handler import handler
from bot.slack.message_text import split_verb, text_from_message
from bot.slack.scope import Answer, Request
from bot.slack.services import plan
from bot.slack.services.assessment import assessment
from bot.slack.services.case_studies import list_case_studies, open_case_study_form
from bot.slack.services.communities import community_command
from bot.slack.services.digest import CHANNEL_TOKEN, digest_command
from bot.slack.services.handover import handover
from bot.slack.services.progress import open_update_form
from bot.slack.services.returns import export_returns
from bot.slack.services.rights import as_member_or_guest
from bot.slack.services.team import project_command

Subcommand = Callable[[Request, str], Awaitable[Answer | None]]


def _raw_argument(request: Request, _rest: str) -> str:
    """The text after the subcommand, with Slack's channel tokens kept."""
    parts = str(request.body.get("text", "")).split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


SUBCOMMANDS: dict[str, Subcommand] = {
    "new": plan.create,
    "plan": plan.plan,
    "status": plan.status,
    "projects": lambda request, _rest: plan.projects(request),
    "digest": lambda request, rest: digest_command(request, rest, _raw_argument(request, rest)),
    "handover": handover,
    "update": lambda request, rest: open_update_form(request, name=rest),
    "assessment": assessment,
    "casestudy": open_case_study_form,
    "casestudies": list_case_studies,
    "export": export_returns,
    "community": community_command,
    "project": lambda request, rest: project_command(request, _raw_argument(request, rest)),
    "communities": community_command,
}


def register(app: AsyncApp) -> None:
    app.command("/socialvalue")(handler(handle_socialvalue, what="slash command"))


async def handle_socialvalue(request: Request) -> Answer | None:
    verb, rest = split_verb(text_from_message(str(request.body.get("text", ""))))
    if verb != "digest" and CHANNEL_TOKEN.search(str(request.body.get("text", ""))):
        return Answer(mrkdwn("channel_not_a_project"))  # a picked #channel where a project name goes
    run = SUBCOMMANDS.get(verb)
    if run is None:
        return plan.help_answer()
    return await run(await as_member_or_guest(request), rest)  # a guest reads less than a member

"""`/socialvalue digest ...`: where and when the steering group's digest goes, and a preview."""

import re

from bot.slack.blocks.text import mrkdwn, summary_messages
from bot.slack.message_text import split_verb
from bot.slack.scope import Answer, Request, workspace_scope
from bot.slack.services.channels import channel_refusal
from bot.slack.services.rights import is_admin
from flows.digest import DAYS, DigestRefused, configure_digest, digest_settings, digest_text, parse_schedule, preview_digest
from prompts import MarkupKind, render
from storage.engine import transaction

MOST_PROJECTS = 1_000_000  # the largest summary_above: a full digest of more could never be posted
CHANNEL_TOKEN = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>")  # G: private channels made before 2021


async def digest_command(request: Request, rest: str, raw: str) -> Answer:
    caller, now = request.caller, request.now()
    sub, argument = split_verb(rest)
    async with transaction(request.engine) as db:
        workspace = await workspace_scope(db, caller)
        if sub == "preview" and caller.guest:
            return Answer(mrkdwn("guest_no_digest"))
        if sub == "preview":
            digest = await preview_digest(db, workspace, now=now)
            text = digest_text(digest, MarkupKind.MRKDWN)
            return Answer(text, tuple(summary_messages(text)))
        if sub not in ("channel", "schedule", "off", "on", "summary"):
            config = await digest_settings(db, workspace)
            return Answer(mrkdwn("digest_settings", config=config, day=DAYS[config.weekday].capitalize() if config else None))
    if not await is_admin(request):
        return Answer(mrkdwn("digest_admins_only"))
    changes: dict[str, object] = {}
    if sub == "channel":
        token = CHANNEL_TOKEN.search(raw)
        channel = token.group(1) if token else caller.channel if argument.strip().casefold() == "here" else None
        if channel is None:
            return Answer(mrkdwn("digest_channel_missing"))
        refused = await channel_refusal(request, channel)
        if refused is not None:
            return refused
        changes = {"channel_id": channel, "enabled": True}
    elif sub == "schedule":
        try:
            weekday, at, tz = parse_schedule(argument)
        except DigestRefused as refused:
            return Answer(render(f"errors.j2:{refused.reason}", MarkupKind.MRKDWN, **refused.context))
        changes = {"weekday": weekday, "time": at, "tz": tz}
    elif sub == "summary":
        size = argument.strip()
        if not (size.isascii() and size.isdigit() and 1 <= int(size) <= MOST_PROJECTS):
            return Answer(mrkdwn("digest_summary_invalid", most=MOST_PROJECTS))
        changes = {"summary_above": int(size)}
    else:
        changes = {"enabled": sub == "on"}
    async with transaction(request.engine) as db:
        workspace = await workspace_scope(db, caller)
        config = await configure_digest(db, workspace, user=caller.user, now=now, **changes)
    return Answer(mrkdwn("digest_settings", config=config, day=DAYS[config.weekday].capitalize()), public=sub == "channel")

"""`/socialvalue digest ...`: where and when the steering group's digest goes, and a preview."""

import re

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.blocks import mrkdwn, summary_messages
from bot.verbs import Answer, Caller
from flows.digest import DAYS, DigestRefused, configure_digest, digest_settings, digest_text, parse_schedule, preview_digest
from flows.projects import workspace_of
from prompts import MarkupKind, render
from storage.engine import transaction

CHANNEL_TOKEN = re.compile(r"<#(C[A-Z0-9]+)(?:\|[^>]*)?>")


async def is_admin(client: AsyncWebClient, user: str, admins: set[str]) -> bool:
    """Listed in SOCIALVALUE_ADMINS, or an admin or owner of the workspace."""
    if user in admins:
        return True
    try:
        found = (await client.users_info(user=user))["user"]
    except SlackApiError:
        return False
    return bool(found.get("is_admin") or found.get("is_owner"))


async def digest_command(
    engine: AsyncEngine, client: AsyncWebClient, caller: Caller, rest: str, raw: str, *, admins: set[str], now
) -> Answer:
    sub, _, argument = rest.partition(" ")
    sub = sub.casefold()
    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)
        if sub == "preview":
            digest = await preview_digest(db, workspace, now=now)
            text = digest_text(digest, MarkupKind.MRKDWN)
            return Answer(text, tuple(summary_messages(text)))
        if sub not in ("channel", "schedule", "off", "on"):
            config = await digest_settings(db, workspace)
            return Answer(mrkdwn("digest_settings", config=config, day=DAYS[config.weekday].capitalize() if config else None))
    if not await is_admin(client, caller.user, admins):
        return Answer(mrkdwn("digest_admins_only"))
    changes: dict = {}
    if sub == "channel":
        token = CHANNEL_TOKEN.search(raw)
        channel = token.group(1) if token else caller.channel if argument.strip().casefold() == "here" else None
        if channel is None:
            return Answer(mrkdwn("digest_channel_missing"))
        changes = {"channel_id": channel, "enabled": True}
    elif sub == "schedule":
        try:
            weekday, at, tz = parse_schedule(argument)
        except DigestRefused as refused:
            return Answer(render(f"errors.j2:{refused.reason}", MarkupKind.MRKDWN, **refused.context))
        changes = {"weekday": weekday, "time": at, "tz": tz}
    else:
        changes = {"enabled": sub == "on"}
    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)
        config = await configure_digest(db, workspace, user=caller.user, now=now, **changes)
    return Answer(mrkdwn("digest_settings", config=config, day=DAYS[config.weekday].capitalize()), public=sub == "channel")

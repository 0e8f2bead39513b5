"""Slack telling the app it was uninstalled from a workspace, or that its token there was
revoked: the workspace goes quiet (flows/workspaces.py). Its data stays until its owners ask
for it to be deleted (`socialvalue workspace delete`)."""

import logging

from bot.slack.scope import Request
from flows.workspaces import uninstall
from storage.engine import transaction

logger = logging.getLogger(__name__)


async def uninstalled(request: Request) -> None:
    event = request.body["event"]
    if event.get("type") == "tokens_revoked" and not (event.get("tokens") or {}).get("bot"):
        return  # only people's tokens: the app holds none, and its own still works
    caller = request.caller
    org_wide = bool(request.body.get("is_enterprise_install"))
    if request.installations is not None:  # first: a retry of this event finds nothing left to send with
        await request.installations.async_delete_all(
            enterprise_id=caller.enterprise_id or None, team_id=None if org_wide else caller.team_id
        )
    async with transaction(request.engine) as db:
        dropped = await uninstall(
            db,
            team_id=caller.team_id,
            enterprise_id=caller.enterprise_id,
            org_wide=org_wide,
            now=request.now(),
            why=f"the app was uninstalled ({event.get('type')})",
        )
    logger.warning("%s in workspace %s: %s unsent jobs dropped", event.get("type"), caller.team_id, dropped)

"""Distributed mode: "Add to Slack" at /slack/install and Slack's return to
/slack/oauth_redirect (Bolt's OAuth flow). Installations and install states are kept in the
app's database (storage/installations.py), so any web process and the worker find them."""

import logging
import re

from slack_bolt import BoltResponse
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from flows.workspaces import installed
from prompts import MarkupKind, render
from storage.engine import transaction
from storage.installations import Installations, OAuthStates, Sealer

logger = logging.getLogger(__name__)

# What the app asks Slack for: exactly the bot scopes of manifest.yml (tests/bot/slack/test_manifest.py).
BOT_SCOPES = (
    "assistant:write",
    "channels:read",
    "chat:write",
    "commands",
    "files:write",
    "groups:read",
    "im:history",
    "im:write",
    "users:read",
)
STATE_SECONDS = 600  # an install link is good for ten minutes, as Bolt's default


def installations(settings: Settings, engine: AsyncEngine) -> Installations | None:
    """Distributed mode's installations; None with one workspace's SLACK_BOT_TOKEN."""
    if not settings.distributed:
        return None
    return Installations(settings.slack_client_id, engine, Sealer(settings.encryption_keys()))


class InstallFlow(AsyncOAuthFlow):
    async def build_install_page_html(self, url: str, request: AsyncBoltRequest) -> str:
        return render("install.html.j2:page", MarkupKind.HTML, url=url)


def install_flow(settings: Settings, engine: AsyncEngine, store: Installations, client: AsyncWebClient) -> InstallFlow:
    """The flow, its pages (prompts/install.html.j2) and what an install completes: the
    workspace known and installed, or installed again."""

    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        done = args.installation
        org_wide = bool(done.is_enterprise_install)
        async with transaction(engine) as db:
            await installed(db, team_id=None if org_wide else done.team_id, enterprise_id=done.enterprise_id)
        logger.info("installed in %s", done.enterprise_id if org_wide else done.team_id)
        where = f"&team={done.team_id}" if done.team_id else ""
        page = render(
            "install.html.j2:installed",
            MarkupKind.HTML,
            team=done.team_name or done.enterprise_name or "",
            slack_url=f"https://slack.com/app_redirect?app={done.app_id}{where}",
        )
        return _page(200, page)

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        # Slack's error names only: the reason can be the redirect URL's `error`, which anyone can write.
        reason = args.reason if re.fullmatch(r"[a-z_]{1,40}", args.reason or "") else "unknown_error"
        logger.warning("an install was not completed: %s", reason)
        page = render("install.html.j2:refused", MarkupKind.HTML, reason=reason, install_url=args.settings.install_path)
        return _page(args.suggested_status_code, page)

    return InstallFlow(
        client=client,
        settings=AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            scopes=list(BOT_SCOPES),
            installation_store=store,
            installation_store_bot_only=True,
            state_store=OAuthStates(engine, expiration_seconds=STATE_SECONDS),
            state_expiration_seconds=STATE_SECONDS,
            callback_options=AsyncCallbackOptions(success=success, failure=failure),
            logger=logger,
        ),
    )


def _page(status: int, html: str) -> BoltResponse:
    return BoltResponse(status=status, body=html, headers={"Content-Type": "text/html; charset=utf-8"})

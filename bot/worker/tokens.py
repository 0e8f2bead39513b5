"""Whose token the worker sends with. One workspace: SLACK_BOT_TOKEN, for every job.
Distributed: the installation of each job's workspace, found in the shared database (an
install any web process handled is used at once), and rotated before it expires when the
app has Slack's token rotation on."""

import logging
from dataclasses import dataclass, field

from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.worker.sender import Sender
from storage.engine import reading
from storage.installations import Installations
from storage.models import Workspace

logger = logging.getLogger(__name__)
LOOKED_UP_SECONDS = 60.0  # a token found serves this long before it is looked up again (a reinstall, a rotation elsewhere)
ROTATE_MINUTES = 120  # a rotating token is renewed when it has less than this left (as Bolt does)


@dataclass(frozen=True)
class Installs:
    """Distributed mode's tokens, by workspace."""

    engine: AsyncEngine
    store: Installations
    rotator: AsyncTokenRotator

    async def token_of(self, workspace_id: int) -> str | None:
        """The workspace's bot token; None if it is uninstalled or has no installation."""
        async with reading(self.engine) as db:
            workspace = await db.get(Workspace, workspace_id)
        if workspace is None or workspace.uninstalled_at is not None:
            return None
        bot = await self.store.bot_of(enterprise_id=workspace.enterprise_id, team_id=workspace.team_id)
        if bot is not None and bot.bot_refresh_token:
            rotated = await self.rotator.perform_bot_token_rotation(bot=bot, minutes_before_expiration=ROTATE_MINUTES)
            if rotated is not None:
                await self.store.async_save_bot(rotated)
                bot = rotated
        return None if bot is None else bot.bot_token


@dataclass
class Senders:
    """A Sender for each workspace's jobs (Slack's rate limits are per workspace); with one
    workspace, one Sender for every job."""

    client: AsyncWebClient
    clock: Clock
    installs: Installs | None = None
    one: Sender = field(init=False)
    each: dict[int, tuple[Sender, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.one = Sender(self.client, self.clock)

    async def of(self, workspace_id: int | None) -> Sender | None:
        """The Sender for a job of `workspace_id`; None when the app has no token for it."""
        if self.installs is None:
            return self.one
        if workspace_id is None:
            return None
        held = self.each.get(workspace_id)
        if held is not None and held[1] > self.clock.monotonic():
            return held[0]
        token = await self.installs.token_of(workspace_id)
        if token is None:
            self.each.pop(workspace_id, None)
            return None
        sender = held[0] if held is not None else Sender(self.client, self.clock)
        if sender.client.token != token:
            sender.client = with_token(self.client, token)
        self.each[workspace_id] = (sender, self.clock.monotonic() + LOOKED_UP_SECONDS)
        return sender

    async def for_lookup(self, workspace_id: int) -> Sender | None:
        """The Sender for looking something up in a workspace; None when there is no token, or
        none to be had just now (a rotation Slack refused, the database): asked again next pass."""
        try:
            return await self.of(workspace_id)
        except Exception:
            logger.exception("finding the token of workspace %s failed", workspace_id)
            return None


def with_token(client: AsyncWebClient, token: str) -> AsyncWebClient:
    """The same client (Slack's address, retries, timeout) for another workspace's token."""
    return AsyncWebClient(
        token=token, base_url=client.base_url, timeout=client.timeout, retry_handlers=list(client.retry_handlers), logger=client.logger
    )

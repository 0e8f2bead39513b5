"""The worker's one way to post to Slack: at most one message per channel per second, each
carrying its job's key (so a post whose answer was lost can be found)."""

from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.clock import Clock
from storage.models import Job

CHANNEL_SPACING = 1.0  # seconds between two posts to one channel (Slack's limit)


@dataclass
class Sender:
    client: AsyncWebClient
    clock: Clock
    last_post: dict[str, float] = field(default_factory=dict)

    async def post(self, channel: str, job: Job, **message: Any) -> AsyncSlackResponse:
        wait = self.last_post.get(channel, float("-inf")) + CHANNEL_SPACING - self.clock.monotonic()
        if wait > 0:
            await self.clock.sleep(wait)
        try:
            metadata = {"event_type": "socialvalue_job", "event_payload": {"key": job.dedupe_key}}
            return await self.client.chat_postMessage(channel=channel, metadata=metadata, **message)
        finally:
            self.last_post[channel] = self.clock.monotonic()

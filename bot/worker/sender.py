"""The worker's one way to post to Slack: at most one message per channel per second, each
carrying its job's key and part (so a post whose answer was lost can be found), and none at
all while Slack has said to wait (a 429's Retry-After holds for the method, not only the job
it hit).

A post is never sent blindly twice. When the connection is lost after the request went out,
Slack may have posted it: the job is retried as "uncertain", and the retry first looks for the
message by its key in the conversation's history. The app may read its DMs (im:history), so a
DM is reconciled; in a channel it cannot look, so the job fails as uncertain and the person
who can check is told (`socialvalue jobs retry` sends it if it is not there).
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.clock import Clock
from storage.models import Job

CHANNEL_SPACING = 1.0  # seconds between two posts to one channel (Slack's limit)
UNCERTAIN = "uncertain: "  # how a job's last error says its post may have gone through
HISTORY_LOOKBACK = timedelta(days=1)  # how far back in a DM a lost post is looked for


class PostMaybeSent(Exception):
    """The connection was lost after the post went out: Slack may have posted it."""


class PostUncertain(Exception):
    """A post that may have gone through, and the app cannot look whether it did."""


class SlackSaidWait(Exception):
    """Slack answered 429 a moment ago: nothing is posted until its Retry-After is over."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"waiting out Slack's Retry-After ({seconds:.0f} s)")
        self.seconds = seconds


def retry_after(failure: SlackApiError) -> float:
    headers = failure.response.headers or {}
    return float(headers.get("Retry-After", headers.get("retry-after", 1)))


@dataclass
class Sender:
    client: AsyncWebClient
    clock: Clock
    last_post: dict[str, float] = field(default_factory=dict)
    paused_until: float = float("-inf")  # monotonic time: chat.postMessage waits until then

    async def post(self, channel: str, job: Job, *, part: int = 0, **message: Any) -> dict[str, Any]:
        """Post one part of a job's message; returns Slack's answer (its "ts" at least)."""
        if self.paused_until > self.clock.monotonic():
            raise SlackSaidWait(self.paused_until - self.clock.monotonic())
        if (job.last_error or "").startswith(UNCERTAIN):
            found = await self._find(channel, job, part)
            if found is not None:
                return {"ts": found}
        wait = self.last_post.get(channel, float("-inf")) + CHANNEL_SPACING - self.clock.monotonic()
        if wait > 0:
            await self.clock.sleep(wait)
        try:
            payload = {"key": job.dedupe_key, **({"part": part} if part else {})}
            metadata = {"event_type": "socialvalue_job", "event_payload": payload}
            answer: AsyncSlackResponse = await self.client.chat_postMessage(channel=channel, metadata=metadata, **message)
            return dict(answer.data) if isinstance(answer.data, dict) else {"ts": answer.get("ts")}
        except SlackApiError as failure:
            if failure.response.status_code == 429:
                self.paused_until = self.clock.monotonic() + retry_after(failure)
            raise
        except aiohttp.ClientConnectorError:
            raise  # never reached Slack: safe to send again
        except (aiohttp.ClientError, TimeoutError) as failure:
            raise PostMaybeSent(f"{type(failure).__name__}: {failure}") from failure
        finally:
            self.last_post[channel] = self.clock.monotonic()

    async def _find(self, channel: str, job: Job, part: int) -> str | None:
        """The ts of this part of the job if Slack did post it, None if it did not; raises
        PostUncertain where the app cannot read the conversation."""
        if not channel.startswith(("D", "U", "W")):  # a channel: the app does not ask for channels:history
            raise PostUncertain(channel)
        try:
            dm = channel if channel.startswith("D") else str((await self.client.conversations_open(users=channel))["channel"]["id"])
            oldest = (self.clock.now() - HISTORY_LOOKBACK).timestamp()
            history = await self.client.conversations_history(channel=dm, oldest=f"{oldest:.6f}", limit=200, include_all_metadata=True)
        except SlackApiError as failure:
            raise PostUncertain(channel) from failure
        for message in history.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == "socialvalue_job" and payload.get("key") == job.dedupe_key and payload.get("part", 0) == part:
                return str(message["ts"])
        return None

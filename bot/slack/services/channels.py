"""Whether the app can post in the channel a project or the digest is being bound to: asked
before anything is stored, so that nobody is promised a post that Slack will refuse."""

import logging

from slack_sdk.errors import SlackApiError

from bot.slack.blocks.text import mrkdwn
from bot.slack.errors import slack_error
from bot.slack.scope import Answer, Request

logger = logging.getLogger(__name__)


async def channel_refusal(request: Request, channel: str) -> Answer | None:
    """Why a project or the digest cannot use `channel` (a DM, archived, or the app not invited),
    as the answer to show; None when the app can post there."""
    return (await channel_check(request, channel))[0]


async def channel_check(request: Request, channel: str) -> tuple[Answer | None, bool | None]:
    """Why the app cannot post in `channel` (or None), and whether the channel is private
    (None when Slack would not say)."""
    name = str(request.body.get("channel_name", ""))
    if channel.startswith("D") or name == "directmessage" or name.startswith("mpdm-"):
        return Answer(mrkdwn("channel_is_dm")), None
    try:
        info = (await request.client.conversations_info(channel=channel))["channel"]
    except SlackApiError as failure:
        error = slack_error(failure)
        if error == "channel_not_found":  # a private channel the app is not in
            return Answer(mrkdwn("channel_invite", channel=channel)), True
        if error == "missing_scope":  # installed before channels:read and groups:read were asked for
            logger.warning("cannot check channel %s: the app lacks channels:read / groups:read", channel)
            return None, None
        raise
    private = bool(info.get("is_private"))
    if info.get("is_im") or info.get("is_mpim"):
        return Answer(mrkdwn("channel_is_dm")), private
    if info.get("is_archived"):
        return Answer(mrkdwn("channel_archived", channel=channel)), private
    if not info.get("is_member"):
        return Answer(mrkdwn("channel_invite", channel=channel)), private
    return None, private

"""Slack's refusals, in one table: which errors retrying cannot fix, and what the person told
should do about each (the worker's retry policy and the channel checks both read it)."""

from slack_sdk.errors import SlackApiError

# Slack's documented errors that retrying cannot fix (chat.postMessage, files.*, users.info,
# conversations.*), and what the person told should do about each.
PERMANENT: dict[str, str] = {
    "not_in_channel": "invite",
    "channel_not_found": "invite",
    "is_archived": "archived",
    "channel_is_archived": "archived",
    "posting_to_channel_denied": "permission",
    "restricted_action": "permission",
    "restricted_action_read_only_channel": "permission",
    "restricted_action_thread_only_channel": "permission",
    "restricted_action_non_threadable_channel": "permission",
    "ekm_access_denied": "permission",
    "team_access_not_granted": "permission",
    "access_denied": "permission",
    "user_disabled": "person",
    "account_inactive": "reinstall",
    "user_not_found": "person",
    "cannot_dm_bot": "person",
    "messages_tab_disabled": "person",
    "invalid_auth": "reinstall",
    "not_authed": "reinstall",
    "token_revoked": "reinstall",
    "token_expired": "reinstall",
    "missing_scope": "reinstall",
    "not_allowed_token_type": "reinstall",
    "invalid_blocks": "content",
    "msg_too_long": "content",
    "msg_blocks_too_long": "content",
    "no_text": "content",
    "invalid_arguments": "content",
}


# What Slack answers once the app's token for a workspace is gone (uninstalled, revoked, the
# workspace deleted): not a failure of one message, but the workspace gone quiet.
WORKSPACE_GONE = frozenset({"invalid_auth", "account_inactive", "token_revoked"})


def slack_error(failure: Exception) -> str | None:
    """The `error` of a Web API answer (e.g. not_in_channel), if the failure is one."""
    if isinstance(failure, SlackApiError) and isinstance(failure.response.data, dict):
        error = failure.response.data.get("error")
        return str(error) if error else None
    return None

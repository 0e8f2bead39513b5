"""The manifest creates a valid app, with exactly the scopes and events the code needs."""

import json
import re
from pathlib import Path

import jsonschema
import yaml

from bot.slack.oauth import BOT_SCOPES
from bot.slack.server import OAUTH_PATHS

ROOT = Path(__file__).parents[3]
SCHEMA = ROOT / "tests" / "data" / "slack-manifest-schema" / "manifest.schema.1.0.0.json"  # Slack's, MIT
SCOPE_OF_METHOD = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "conversations_open": "im:write",
    "views_open": None,
    "views_push": None,
    "views_publish": None,
    "users_info": "users:read",
    "files_getUploadURLExternal": "files:write",
    "files_completeUploadExternal": "files:write",
    "files_delete": "files:write",
    "conversations_info": ("channels:read", "groups:read"),  # public and private channels
    "conversations_history": "im:history",
    "chat_getPermalink": None,  # Slack's reference: no scope  # only the app's DMs: where a post whose answer was lost is looked for
}


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_the_manifest_is_valid_for_slack():
    jsonschema.validate(manifest(), json.loads(SCHEMA.read_text()))


def test_the_bot_scopes_are_those_the_code_uses():
    code = "\n".join(path.read_text() for path in (ROOT / "bot").rglob("*.py"))
    called = set(re.findall(r"client\.(\w+)\(", code))
    assert called <= set(SCOPE_OF_METHOD), f"add the scope of {called - set(SCOPE_OF_METHOD)}"
    scopes = [SCOPE_OF_METHOD[m] for m in called]
    needed = {s for scope in scopes if scope for s in ((scope,) if isinstance(scope, str) else scope)}
    needed |= {"commands", "im:history"}  # the slash command; DM messages as events
    if "set_suggested_prompts" in code:
        needed.add("assistant:write")
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == needed
    assert manifest()["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)  # what "Add to Slack" asks for


def test_slack_sends_an_install_back_to_the_apps_redirect_path():
    [url] = manifest()["oauth_config"]["redirect_urls"]
    assert url.endswith("/slack/oauth_redirect") and "/slack/oauth_redirect" in OAUTH_PATHS


def test_the_events_and_command_are_those_the_app_listens_to():
    features, events = manifest()["features"], manifest()["settings"]["event_subscriptions"]["bot_events"]
    assert [c["command"] for c in features["slash_commands"]] == ["/socialvalue"]
    assert set(events) == {
        *("app_home_opened", "message.im", "assistant_thread_started", "assistant_thread_context_changed"),
        *("app_uninstalled", "tokens_revoked"),
    }
    assert features["app_home"]["home_tab_enabled"] and features["app_home"]["messages_tab_enabled"]
    assert manifest()["settings"]["interactivity"]["is_enabled"]


def test_the_message_shortcut_is_the_one_the_app_listens_to():
    from bot.slack.ids import CASE_STUDY_SHORTCUT

    shortcuts = manifest()["features"]["shortcuts"]
    assert [(s["type"], s["callback_id"], s["name"]) for s in shortcuts] == [("message", CASE_STUDY_SHORTCUT, "Save as case study")]

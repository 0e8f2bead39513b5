"""The bot token never reaches the logs: every record of a working day (commands, a plan in the
DM, a form, the worker's posts, Slack refusing with its auth errors, the app uninstalled) is
captured at DEBUG, slack_sdk's and Bolt's included, and searched for it."""

import logging

import pytest

from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET
from tests.slack_app import MEMBER, start


async def test_no_log_record_holds_a_token_or_the_signing_secret(slack, caplog, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("what is logged does not depend on the database")
    caplog.set_level(logging.DEBUG)
    await start(slack)
    await slack.dm("Jobs for local people")
    await slack.next_question(2)
    await slack.command("status")
    await slack.command("plan", user=MEMBER)  # refused: logged as a refusal, if at all
    await slack.run_worker()
    slack.fake.refuse["chat.postMessage"] = [{"ok": False, "error": "invalid_auth"}]
    slack.fake.refuse["users.info"] = [{"ok": False, "error": "token_revoked"}]
    await slack.add_editor("UOTHER")
    await slack.dm("Skip")
    await slack.run_worker()
    await slack.event({"type": "app_uninstalled", "event_ts": "1.1"})
    await slack.fake.settle()

    assert len(caplog.records) > 50  # slack_sdk's requests and ours were captured
    shown = logging.Formatter("%(name)s %(message)s")  # with each traceback, as a handler writes it
    logged = "\n".join(shown.format(record) for record in caplog.records)
    assert "xox" not in logged and BOT_TOKEN not in logged and SIGNING_SECRET not in logged

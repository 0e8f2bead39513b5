"""Log lines: one per record, with the Slack request it belongs to, at LOG_LEVEL."""

import logging

import pytest

from bot.logs import bind_request, configure_logging
from bot.settings import Settings


def test_each_record_is_one_line_with_the_request_it_belongs_to(capsys):
    configure_logging("INFO")
    try:
        bind_request(team="T0001", user="ULEAD", event="Ev42")
        logging.getLogger("bot.slack.handler").info("answered")
        logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")  # not news
        logging.getLogger("bot.worker").debug("below the level")
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("bot.slack.handler").exception("slash command failed")
    finally:
        logging.getLogger().handlers.clear()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].endswith("INFO bot.slack.handler [team=T0001 user=ULEAD event=Ev42] answered")
    assert "slash command failed" in lines[1] and "Traceback" in lines[2] and lines[-1] == "RuntimeError: boom"
    assert not any("SQLiteImpl" in line or "below the level" in line for line in lines)


def test_the_level_is_checked_and_secrets_are_not_shown():
    assert Settings(log_level="debug").log_level == "DEBUG"
    with pytest.raises(ValueError):
        Settings(log_level="chatty")
    settings = Settings(slack_bot_token="xoxb-secret", slack_signing_secret="shh")
    assert "xoxb-secret" not in repr(settings) and "shh" not in str(settings)
    assert settings.slack_bot_token.get_secret_value() == "xoxb-secret"

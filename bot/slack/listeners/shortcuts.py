"""Shortcuts: "Save as case study" on any message turns it into a draft case study."""

from slack_bolt.async_app import AsyncApp

from bot.slack.handler import handler
from bot.slack.ids import CASE_STUDY_SHORTCUT
from bot.slack.services.case_studies import open_from_message


def register(app: AsyncApp) -> None:
    app.message_shortcut(CASE_STUDY_SHORTCUT)(handler(open_from_message, what="save as case study"))

"""The reliability suite drives the same real app and fake Slack as the surface tests."""

from tests.bot.conftest import clock, slack  # noqa: F401

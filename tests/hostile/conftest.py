"""The hostile-input suite drives the same real app and fake Slack as the surface tests: a
member's requests are genuinely signed, so every case here is signed unless it says not."""

from tests.bot.conftest import clock, slack  # noqa: F401

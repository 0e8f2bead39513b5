"""The reliability suite drives the same real app and fake Slack as the surface tests, and
the worker with a clock the tests move."""

import pytest

from bot.settings import Settings
from bot.slack.app import slack_client
from bot.worker.loop import run_worker
from tests.bot.conftest import clock, slack, slack_via_worker  # noqa: F401
from tests.fake_slack import BOT_TOKEN, start_fake_slack


@pytest.fixture
async def fake():
    fake, runner = await start_fake_slack()
    yield fake
    await runner.cleanup()


def worker_client(api_url: str):
    """The worker's Web API client, as `socialvalue worker` builds it, against `api_url`."""
    return slack_client(Settings(slack_bot_token=BOT_TOKEN, slack_api_url=api_url), wait_out_rate_limits=False)


async def work(engine, fake, at):
    """One worker pass at the clock's time."""
    return await run_worker(engine, worker_client(f"{fake.url}/api/"), once=True, clock=at)

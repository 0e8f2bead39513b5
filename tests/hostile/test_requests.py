"""Requests from outside: a body is read only up to 1 MB and its signature checked before
anything parses it; a server without its signing secret does not start."""

import logging
import resource

import aiohttp

from bot.slack.server import MAX_BODY
from storage.models import Project, SlackEvent
from tests.bot.slack.test_safety import count
from tests.fake_slack import command_body, signed_headers
from tests.slack_app import CHANNEL, LEAD
from tests.terminal import run

MB = 1024 * 1024


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the server runs in this process


async def chunks(total: int, size: int = MB):
    sent = 0
    while sent < total:
        yield b"x" * size
        sent += size


async def post_raw(slack, data, headers: dict) -> int | str:
    """The status, or how the connection ended when the server stopped reading."""
    try:
        async with slack.http.post(f"{slack.app_url}/slack/events", data=data, headers=headers) as response:
            await response.read()
            return response.status
    except aiohttp.ClientError as ended:
        return type(ended).__name__


async def test_a_200_mb_unsigned_body_is_refused_unread(slack):
    before = peak_rss_mb()
    declared = await post_raw(slack, chunks(200 * MB), {"Content-Type": "application/json", "Content-Length": str(200 * MB)})
    streamed = await post_raw(slack, chunks(200 * MB), {"Content-Type": "application/json"})  # chunked: no length declared
    grew = peak_rss_mb() - before
    print(f"\n200 MB declared: {declared}; 200 MB chunked: {streamed}; peak memory grew {grew:.0f} MB")
    assert declared == 413
    assert streamed in (413, "ClientOSError", "ServerDisconnectedError", "ClientPayloadError")
    assert grew < 50
    assert await count(slack.engine, SlackEvent) == 0


async def test_a_body_just_over_the_limit_is_refused_even_when_signed(slack):
    body = command_body("new Big", user=LEAD, channel=CHANNEL, response_url="http://127.0.0.1:9/x") + "&pad=" + "x" * MAX_BODY
    status = await post_raw(slack, body.encode(), {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)})
    assert status == 413
    assert await count(slack.engine, Project) == 0


MALFORMED = {
    "form with broken JSON payload": ("application/x-www-form-urlencoded", "payload=%7Bnot+json"),
    "truncated JSON": ("application/json", '{"type": "event_callback", "event": {'),
    "binary": ("application/octet-stream", "\x00\xff\xfe garbage"),
    "JSON that is a list": ("application/json", "[1, 2, 3]"),
    "empty": ("application/json", ""),
}


async def test_malformed_unsigned_bodies_get_401_and_no_traceback(slack, caplog):
    caplog.set_level(logging.WARNING)
    statuses = {}
    for name, (content_type, body) in MALFORMED.items():
        statuses[name] = (await slack.post(body, content_type, signed=False)).status
    print(f"\nmalformed unsigned bodies: {statuses}")
    assert set(statuses.values()) == {401}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_signed_body_bolt_cannot_parse_is_a_400_in_one_log_line(slack, caplog):
    caplog.set_level(logging.WARNING)
    response = await slack.post("payload=%7Bnot+json", "application/x-www-form-urlencoded")
    assert response.status == 400
    assert not [r for r in caplog.records if r.exc_info]


async def test_only_posts_to_the_events_path_reach_the_app(slack):
    async with slack.http.get(f"{slack.app_url}/slack/events") as response:
        assert response.status == 404
    async with slack.http.post(f"{slack.app_url}/elsewhere", data=b"{}") as response:
        assert response.status == 404
    async with slack.http.get(f"{slack.app_url}/healthz") as response:
        assert response.status == 200


def test_serve_without_a_signing_secret_or_token_does_not_start(database_url, monkeypatch):
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    done = run(database_url, "serve", "--port", "0")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("The setting SLACK_SIGNING_SECRET is empty: `socialvalue serve` needs it to check that each request")
    monkeypatch.setenv("SLACK_APP_TOKEN", " ")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")
    done = run(database_url, "socket")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "The setting SLACK_BOT_TOKEN is empty: `socialvalue socket` needs it. Set it in the environment or in .env (the README's Slack setup says where to find it).",
        "The setting SLACK_APP_TOKEN is empty: `socialvalue socket` needs it. Set it in the environment or in .env (the README's Slack setup says where to find it).",
    ]

"""Slack's rules: verified requests, retried events handled once, user text never live."""

import asyncio
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from bot.slack.blocks.text import plain
from storage.engine import transaction
from storage.models import Answer, Project, SlackEvent
from tests.fake_slack import (
    block_actions,
    command_body,
    dm_event,
    event_body,
    signed_headers,
)
from tests.slack_app import CHANNEL, LEAD, dm_channel, start, stored_answers


async def count(engine, table) -> int:
    async with transaction(engine) as db:
        return await db.scalar(select(func.count()).select_from(table))


async def test_a_retried_event_is_handled_once(slack):
    await start(slack)
    event = dm_event("Jobs for Derby", user=LEAD, channel=dm_channel(LEAD))
    await slack.event(event, event_id="EvRETRIED")
    await asyncio.gather(*(slack.event(event, event_id="EvRETRIED", retry=n) for n in (1, 2, 3)))
    await asyncio.gather(slack.event(event, event_id="EvRETRIED", retry=1), slack.event(event, event_id="EvRETRIED", retry=2))
    await slack.fake.settle()
    _, answers = await stored_answers(slack.engine)
    assert [a.value for a in answers] == ["Jobs for Derby"]
    assert len(slack.questions()) == 2  # the first question, and the next one once


async def test_a_retry_of_a_delivery_that_was_never_handled_is_handled(slack):
    await start(slack)
    event = dm_event("Jobs for Derby", user=LEAD, channel=dm_channel(LEAD))
    await slack.event(event, event_id="EvLOSTFIRST", retry=1)  # the first delivery never arrived
    await slack.next_question(2)
    _, answers = await stored_answers(slack.engine)
    assert [a.value for a in answers] == ["Jobs for Derby"]


def forged_requests():
    body = command_body("new Forged Bypass", user=LEAD, channel=CHANNEL, response_url="http://127.0.0.1:9/x")
    now = int(time.time())
    good = signed_headers(body)
    return {
        "no headers": (body, {}),
        "wrong secret": (body, signed_headers(body, secret="not-the-secret")),
        "one byte changed": (body.replace("Forged", "Forgee"), good),
        "301 s old": (body, signed_headers(body, timestamp=now - 301)),
        "301 s ahead": (body, signed_headers(body, timestamp=now + 301)),
        "ssl_check with a bad signature": ("ssl_check=1&" + body, signed_headers(body, secret="nope")),
        "event with a bad signature": (
            event_body(dm_event("x", user=LEAD, channel="D1")),
            {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=00"},
        ),
    }


@pytest.mark.parametrize("case", list(forged_requests()))
async def test_forged_or_stale_requests_get_401_and_change_nothing(slack, case):
    body, headers = forged_requests()[case]
    content_type = "application/json" if body.startswith("{") else "application/x-www-form-urlencoded"
    response = await slack.post(body, content_type, headers, signed=False)
    assert response.status == 401
    await slack.fake.settle(0.3)
    assert [c.method for c in slack.fake.calls if c.method != "auth.test"] == []
    assert await count(slack.engine, Project) == 0
    assert await count(slack.engine, SlackEvent) == 0


async def test_a_signed_ssl_check_is_answered_and_runs_nothing(slack):
    response = await slack.post("ssl_check=1&token=legacy", "application/x-www-form-urlencoded")
    assert response.status == 200
    await slack.fake.settle(0.3)
    assert [c.method for c in slack.fake.calls if c.method != "auth.test"] == []


HOSTILE_NAME = "A38 <!channel> & co"
LIVE = ("<!channel>", "<!here>", "<@UEVIL>", "<https://evil.example", "<#CEVIL")


async def test_user_text_pings_nobody_in_anything_the_app_posts(slack):
    await slack.command(f"new {HOSTILE_NAME}")
    await slack.command(f"plan {HOSTILE_NAME}")
    await slack.next_question(1)
    # As Slack delivers them: a typed @here and a picked @mention arrive as live tokens,
    # a typed "<!channel>" arrives entity-encoded, a formatted link as <url|label>.
    raw_answers = [
        "Jobs for <!here> and <@UEVIL> &lt;!channel&gt;",
        "skip",
        "Client <https://evil.example/login|National Highways> <#CEVIL|general>",
        "Evil town | <!channel> | <@UEVIL>",
        "done",
    ]
    for n, raw in enumerate(raw_answers, 2):
        event = dm_event("", user=LEAD, channel=dm_channel(LEAD))
        await slack.event({**event, "text": raw})
        await slack.next_question(n)
    for _ in range(12):
        await slack.dm("skip")
    await slack.fake.settle()
    await slack.run_worker()
    await slack.command(f"status {HOSTILE_NAME}")
    await slack.command("projects")
    await slack.event({"type": "app_home_opened", "user": LEAD, "channel": "D1", "tab": "home", "event_ts": "1.1"})
    [home] = await slack.fake.wait_for("views.publish")
    summary_button = next(
        e for b in home["view"]["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "home_summary"
    )
    await slack.interact(
        block_actions(
            {"action_id": "home_summary", "block_id": "b", "type": "button", "value": summary_button["value"]},
            user=LEAD,
            channel="D1",
            view=home["view"],
        )
    )
    [modal] = await slack.fake.wait_for("views.open")
    assert "Jobs for @here" in json.dumps(modal)
    await slack.fake.settle()

    texts = slack.fake.mrkdwn_texts()
    assert any("A38 &lt;!channel&gt; &amp; co" in t for t in texts)
    assert any("Jobs for @here and @UEVIL &lt;!channel&gt;" in t for t in texts)
    assert any("Client National Highways #general" in t for t in texts)
    for text in texts:
        for live in LIVE:
            assert live not in text, f"live {live} in: {text[:300]}"
    _, answers = await stored_answers_named(slack.engine, HOSTILE_NAME)
    assert answers[("why", "purpose", "")] == "Jobs for @here and @UEVIL <!channel>"


async def stored_answers_named(engine, name):
    async with transaction(engine) as db:
        project = (await db.exec(select(Project).where(Project.name == name))).one()
        rows = (await db.exec(select(Answer).where(Answer.project_id == project.id))).all()
    return project, {(a.question, a.field, a.subject): a.value for a in rows}


async def test_a_4000_character_answer_reaches_the_channel_whole_within_slacks_limits(slack):
    await start(slack)
    long_answer = " ".join(f"word{n}" for n in range(700))[:4000]
    assert len(long_answer) == 4000
    await slack.dm(long_answer)
    await slack.next_question(2)
    for _ in range(16):
        await slack.dm("skip")
    for _ in range(500):  # every skip handled: the plan is complete (a loaded machine may take a while)
        if any("is complete" in m.get("text", "") for m in slack.fake.of("chat.postMessage")):
            break
        await asyncio.sleep(0.02)
    await slack.fake.settle()
    await slack.run_worker()
    refused = [c for c in slack.fake.calls if c.answer.get("ok") is False]
    assert refused == []
    in_channel = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == CHANNEL]
    sections = [b["text"]["text"] for m in in_channel for b in m["blocks"] if b["type"] == "section"]
    assert all(len(s) <= 3000 for s in sections)
    assert long_answer in "".join(sections)


async def test_commands_that_cannot_be_stored_are_refused_in_time_and_taken_once_the_lock_is_gone(slack, database_url):
    """Another process holds SQLite's write lock: each command is answered before Slack's
    3-second deadline, saying it was not taken (never a 200 for work then lost); afterwards
    the same commands are taken and done."""
    if not database_url.startswith("sqlite"):
        pytest.skip("holds SQLite's write lock")
    import sqlite3

    await slack.command("new A38 Derby Junctions")
    await slack.fake.wait_for("response_url")
    blocker = sqlite3.connect(database_url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        acks = await asyncio.gather(*(slack.command(f"new Scheme {n}", user=f"U{n:04d}", wait=False) for n in range(20)))
        said = {await a.text() for a in acks}
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert [a.status for a in acks] == [200] * 20 and said == {plain("not_stored")}
    assert len(slack.fake.of("response_url")) == 1 and await count(slack.engine, Project) == 1

    async def as_a_person_would(n: int) -> None:  # told it was not taken (20 at once on SQLite may be), they try again
        for _ in range(5):
            response = await slack.command(f"new Scheme {n}", user=f"U{n:04d}", wait=False)
            if await response.text() != plain("not_stored"):
                return

    await asyncio.gather(*(as_a_person_would(n) for n in range(20)))
    await slack.fake.wait_for("response_url", 21)
    assert await count(slack.engine, Project) == 21


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(max_size=200),
    event=st.fixed_dictionaries(
        {"type": st.sampled_from(["message", "app_home_opened", "assistant_thread_started", "reaction_added"])},
        optional={
            "channel": st.text(max_size=12),
            "user": st.text(max_size=12),
            "text": st.text(max_size=100),
            "channel_type": st.sampled_from(["im", "channel"]),
            "subtype": st.sampled_from(["message_changed", "bot_message"]),
            "thread_ts": st.text(max_size=20),
            "tab": st.text(max_size=8),
        },
    ),
)
async def test_signed_but_malformed_requests_never_get_a_server_error(slack, text, event):
    assert (await slack.command(text, wait=False)).status < 500
    assert (await slack.event(event)).status < 500
    assert (
        await slack.interact(
            {
                "type": "block_actions",
                "user": {"id": "U1"},
                "actions": [{"action_id": "plan_choice:0", "block_id": text[:255], "type": "button", "value": text}],
            }
        )
    ).status < 500


async def test_messages_outside_the_dm_and_edits_are_not_answers(slack):
    await start(slack)
    channel_message = {**dm_event("In the channel", user=LEAD, channel=CHANNEL), "channel_type": "channel"}
    edit = {**dm_event("", user=LEAD, channel=dm_channel(LEAD)), "subtype": "message_changed", "message": {"text": "edited", "user": LEAD}}
    for event in (channel_message, edit):
        assert (await slack.event(event)).status == 200
    await slack.fake.settle()
    _, answers = await stored_answers(slack.engine)
    assert answers == [] and len(slack.questions()) == 1

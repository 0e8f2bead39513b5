"""The weekly digest in Slack: configured by admins only, previewed, sent once a week by the
worker (split when long), caught up once after downtime."""

import asyncio
import json
from datetime import timedelta

from sqlmodel import select

from flows.projects import new_project, workspace_of
from storage.engine import transaction
from storage.models import Digest, DigestConfig
from tests.fake_slack import TEAM
from tests.slack_app import LEAD, MEMBER

STEERING = "C0STEER"


async def configure(slack, user="ULISTED") -> None:
    await slack.command(f"digest channel <#{STEERING}|steering-group>", user=user, escaped=False)


async def test_only_admins_set_the_digest_channel(slack):
    await slack.command(f"digest channel <#{STEERING}|steering-group>", user=MEMBER, escaped=False)
    [refused] = await slack.fake.wait_for("response_url")
    assert "Only workspace admins" in refused["text"]
    async with transaction(slack.engine) as db:
        assert (await db.exec(select(DigestConfig))).all() == []

    slack.fake.workspace_admins.add(LEAD)  # a workspace admin, per users.info
    await slack.command(f"digest channel <#{STEERING}|steering-group>", user=LEAD, escaped=False)
    answer = slack.fake.of("response_url")[-1]
    assert answer["response_type"] == "in_channel"
    assert f"goes to <#{STEERING}> every Monday at 09:00 (Europe/London)" in answer["text"]

    await slack.command("digest schedule friday 16:30 America/New_York", user="ULISTED")  # listed in SOCIALVALUE_ADMINS
    assert "every Friday at 16:30 (America/New_York)" in slack.fake.of("response_url")[-1]["text"]
    await slack.command("digest schedule someday 25:00 Mars/Base", user="ULISTED")
    assert "Please give a day, a time and a time zone" in slack.fake.of("response_url")[-1]["text"]
    async with transaction(slack.engine) as db:
        [config] = (await db.exec(select(DigestConfig))).all()
    assert (config.channel_id, config.weekday, config.time, config.tz) == (STEERING, 4, "16:30", "America/New_York")

    await slack.command("digest summary 50", user=MEMBER)
    assert "Only workspace admins" in slack.fake.of("response_url")[-1]["text"]
    for typed in ("0", "lots", "99999999", "-5"):
        await slack.command(f"digest summary {typed}", user="ULISTED")
        assert "from 1 to 1,000,000" in slack.fake.of("response_url")[-1]["text"]
    await slack.command("digest summary 50", user="ULISTED")
    assert "as a summary when there are more than 50 projects" in slack.fake.of("response_url")[-1]["text"]
    async with transaction(slack.engine) as db:
        [config] = (await db.exec(select(DigestConfig))).all()
    assert config.summary_above == 50


async def seed_projects(slack, count: int) -> None:
    async with transaction(slack.engine) as db:
        workspace = await workspace_of(db, team_id=TEAM)
        for n in range(count):
            await new_project(db, workspace, name=f"Scheme {n:03d} <!here>", channel=f"C{n:04d}", lead=LEAD)


async def test_the_digest_is_sent_once_a_week_and_equals_the_preview(slack, clock):
    await seed_projects(slack, 3)
    await configure(slack)
    clock.at("2026-11-30T08:59:00")  # Monday, a minute before 09:00 London
    await slack.command("digest preview")
    preview = slack.fake.of("response_url")[-1]
    assert (await slack.run_worker()).sent == 0
    clock.at("2026-11-30T09:00:00")
    outcomes = await asyncio.gather(slack.run_worker(), slack.run_worker(), return_exceptions=True)
    posts = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == STEERING]
    assert len(posts) == 1, outcomes
    assert posts[0]["blocks"] == preview["blocks"]
    assert "Scheme 000 &lt;!here&gt;" in json.dumps(posts[0]["blocks"]) and "<!here>" not in json.dumps(posts[0]["blocks"])
    async with transaction(slack.engine) as db:
        [record] = (await db.exec(select(Digest))).all()
    assert (record.week, record.numbers["projects"]) == ("2026-W49", 3)


async def test_after_weeks_of_downtime_one_digest_is_sent(slack, clock):
    await seed_projects(slack, 1)
    await configure(slack)
    clock.at("2026-11-30T09:00:00")
    await slack.run_worker()
    clock.current += timedelta(weeks=3, days=2)  # down for three weeks
    await slack.run_worker()
    await slack.run_worker()
    posts = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == STEERING]
    assert len(posts) == 2
    async with transaction(slack.engine) as db:
        assert [d.week for d in (await db.exec(select(Digest).order_by(Digest.week))).all()] == ["2026-W49", "2026-W52"]


async def test_a_long_digest_continues_in_a_thread(slack, clock):
    await seed_projects(slack, 150)
    await configure(slack)
    clock.at("2026-11-30T09:00:00")
    await slack.run_worker()
    posts = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == STEERING]
    assert len(posts) > 1
    parent = posts[0]
    assert all(p.get("thread_ts") == parent["ts"] for p in posts[1:])
    assert all(c.answer.get("ok") for c in slack.fake.calls if c.method == "chat.postMessage")
    text = "".join(b["text"]["text"] for p in posts for b in p["blocks"] if b["type"] == "section")
    assert all(f"Scheme {n:03d}" in text for n in range(150))


async def test_turning_the_digest_off_stops_it(slack, clock):
    await seed_projects(slack, 1)
    await configure(slack)
    await slack.command("digest off", user="ULISTED")
    clock.at("2026-11-30T09:00:00")
    await slack.run_worker()
    assert [m for m in slack.fake.of("chat.postMessage") if m["channel"] == STEERING] == []

"""Requests Slack signed but that must not act: a person from another organisation in a
Slack Connect channel (their own team is not the workspace the app serves), and a request
sent again as it was (a replayed command or form)."""

import asyncio
import json

from slack_bolt.context.async_context import AsyncBoltContext
from sqlmodel import select

from bot.slack.scope import Caller
from flows.progress.updates import record_update
from storage.engine import transaction
from storage.models import Answer, FlowSession, ProgressUpdate, Project
from tests.factories import WHOLE_PLAN, plan_in_slack
from tests.fake_slack import TEAM, block_actions, command_body, dm_event, signed_headers
from tests.slack_app import CHANNEL, LEAD, dm_channel, start

OUTSIDER = "UOUTSIDE"
LEAD_PLAN = [{"Priya Shah": LEAD, "Tom Evans": LEAD}.get(answer, answer) for answer in WHOLE_PLAN]


async def rows(engine, table) -> list:
    async with transaction(engine) as db:
        return list((await db.exec(select(table))).all())


def refusals(slack) -> int:
    shown = json.dumps(slack.fake.of("chat.postMessage") + slack.fake.of("response_url"))
    return shown.count("another organisation")


async def test_a_person_from_another_organisation_cannot_answer_click_or_edit(slack):
    question = await start(slack)
    answers_before = await rows(slack.engine, Answer)
    click = block_actions(
        {"action_id": "plan_skip", "block_id": question["blocks"][-1]["block_id"], "type": "button", "value": "skip"},
        user=OUTSIDER,
        channel=CHANNEL,
    )
    click["user"]["team_id"] = "TOTHERORG"  # a Slack Connect channel: the user's own team
    assert (await slack.interact(click)).status == 200
    message = dm_event("Taking over this plan", user=OUTSIDER, channel=dm_channel(OUTSIDER))
    message["user_team"] = "TOTHERORG"
    assert (await slack.event(message)).status == 200
    home = {"type": "app_home_opened", "user": OUTSIDER, "channel": dm_channel(OUTSIDER), "tab": "home", "user_team": "TOTHERORG"}
    await slack.event(home)
    await slack.fake.settle()
    print(f"\nan outsider's click, message and App Home: refused {refusals(slack)} times")
    assert refusals(slack) == 2  # the click and the message; opening App Home shows nothing
    assert not slack.fake.of("views.publish")
    assert await rows(slack.engine, Answer) == answers_before
    assert not [s for s in await rows(slack.engine, FlowSession) if s.user == OUTSIDER]


def test_an_org_wide_install_serves_every_team_of_the_organisation():
    click = {"type": "block_actions", "user": {"id": "U1", "team_id": "TSISTER"}}
    single = AsyncBoltContext({"team_id": "THOME", "enterprise_id": "E1", "is_enterprise_install": False})
    org_wide = AsyncBoltContext({"team_id": "THOME", "enterprise_id": "E1", "is_enterprise_install": True})
    assert Caller.of(click, single).outsider
    assert not Caller.of(click, org_wide).outsider
    assert not Caller.of({**click, "user": {"id": "U1", "team_id": "THOME"}}, single).outsider


async def test_a_replayed_slash_command_runs_once(slack):
    body = command_body("new Replayed Bypass", user=LEAD, channel=CHANNEL, response_url=f"{slack.fake.url}/response/{LEAD}")
    headers = signed_headers(body)
    first = await slack.post(body, "application/x-www-form-urlencoded", headers=headers, signed=False)
    again = await asyncio.gather(*(slack.post(body, "application/x-www-form-urlencoded", headers=headers, signed=False) for _ in range(3)))
    await slack.fake.settle()
    print(f"\na slash command sent 4 times: {len(await rows(slack.engine, Project))} project")
    assert {first.status, *(r.status for r in again)} == {200}
    assert [p.name for p in await rows(slack.engine, Project)] == ["Replayed Bypass"]
    assert len(slack.fake.of("response_url")) == 1


async def test_a_replayed_form_submission_stores_once(slack, clock):
    project = await plan_in_slack(slack.engine, LEAD_PLAN, team=TEAM, channel=CHANNEL, lead=LEAD)
    clock.at("2026-11-24T09:30:00")
    await slack.command("update", wait=False)
    [opened] = await slack.fake.wait_for("views.open")
    values = {
        "value": {"value": {"type": "plain_text_input", "value": "200"}},
        "measure": {"value": {"type": "static_select", "selected_option": {"value": "m1"}}},
    }
    statuses = [await slack.submit(opened["view"], values) for _ in range(3)]
    await slack.fake.settle()
    print(f"\nan update form submitted 3 times: {len(await rows(slack.engine, ProgressUpdate))} stored")
    assert [s for s, _ in statuses] == [200, 200, 200]
    [stored] = await rows(slack.engine, ProgressUpdate)
    assert stored.value == 200 and stored.period_end.isoformat() == "2026-12-01"
    async with transaction(slack.engine) as db:  # a later update of its own is still taken
        await record_update(db, project, measure_key="m1", author=LEAD, today=clock.now().date(), value="250")
    assert len(await rows(slack.engine, ProgressUpdate)) == 2

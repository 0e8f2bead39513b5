"""Messages and commands as people really send them: an answer with a file attached, an
edited answer, any white space after the verb, a #channel where a project name goes, an
Enterprise Grid owner, and users.info rate-limited."""

from sqlmodel import select

from storage.engine import transaction
from storage.models import SlackUser
from tests.factories import WHOLE_PLAN, plan_in_slack
from tests.fake_slack import TEAM, dm_event
from tests.slack_app import CHANNEL, LEAD, dm_channel, start, stored_answers


async def test_an_answer_sent_with_a_file_is_taken_as_its_text(slack):
    await start(slack)
    event = {
        **dm_event("Jobs for Derby", user=LEAD, channel=dm_channel(LEAD)),
        "subtype": "file_share",
        "files": [{"id": "F1", "name": "plan.pdf"}],
    }
    await slack.event(event)
    await slack.next_question(2)
    _, answers = await stored_answers(slack.engine)
    assert [a.value for a in answers] == ["Jobs for Derby"]


async def test_an_edited_answer_is_not_read_and_the_user_is_told_how_to_change_it(slack):
    await start(slack)
    await slack.dm("Jobs for Derbi")
    await slack.next_question(2)
    edited = {
        "type": "message",
        "subtype": "message_changed",
        "channel": dm_channel(LEAD),
        "channel_type": "im",
        "hidden": True,
        "message": {"type": "message", "user": LEAD, "text": "Jobs for Derby", "ts": "1.1", "edited": {"user": LEAD, "ts": "2.2"}},
        "previous_message": {"type": "message", "user": LEAD, "text": "Jobs for Derbi", "ts": "1.1"},
        "ts": "2.2",
        "event_ts": "2.2",
    }
    await slack.event(edited)
    await slack.fake.settle()
    told = [m for m in slack.fake.of("chat.postMessage") if "an edit does not change it" in m.get("text", "")]
    assert len(told) == 1 and told[0]["channel"] == dm_channel(LEAD)
    _, answers = await stored_answers(slack.engine)
    assert [a.value for a in answers] == ["Jobs for Derbi"]
    assert len(slack.questions()) == 2  # nothing asked again


async def test_any_white_space_separates_the_verb_and_a_channel_is_not_a_project_name(slack):
    await plan_in_slack(slack.engine, WHOLE_PLAN, team=TEAM, channel=CHANNEL, lead=LEAD)
    await slack.command("status\tA38 Derby Junctions")
    assert "Social value plan: A38 Derby Junctions" in str(slack.fake.of("response_url")[-1])
    await slack.command("status\u00a0A38 Derby Junctions")
    assert "Social value plan: A38 Derby Junctions" in str(slack.fake.of("response_url")[-1])
    await slack.command("status <#C0777|roads>", escaped=False)
    assert "That is a channel, not a project's name" in slack.fake.of("response_url")[-1]["text"]


async def test_an_enterprise_grid_owner_is_reminded_and_a_rate_limited_lookup_is_asked_again(slack):
    plan = [{"Priya Shah": "<@W0OWNER>", "Tom Evans": "<@W0OWNER>"}.get(answer, answer) for answer in WHOLE_PLAN]
    await plan_in_slack(slack.engine, plan, team=TEAM, channel=CHANNEL, lead=LEAD)
    slack.fake.rate_limit["users.info"] = [1]
    slack.clock.at("2026-11-24T09:30:00")
    await slack.run_worker()
    async with transaction(slack.engine) as db:
        assert (await db.exec(select(SlackUser).where(SlackUser.user_id == "W0OWNER"))).all() == []  # not cached as a default
    assert any(m["channel"] == "W0OWNER" for m in slack.fake.of("chat.postMessage"))
    await slack.run_worker()
    async with transaction(slack.engine) as db:
        assert [(u.user_id, u.tz) for u in (await db.exec(select(SlackUser).where(SlackUser.user_id == "W0OWNER"))).all()] == [
            ("W0OWNER", "Europe/London")
        ]


async def test_an_event_the_app_does_not_act_on_is_acknowledged(slack):
    response = await slack.event(
        {
            "type": "reaction_added",
            "user": LEAD,
            "reaction": "thumbsup",
            "item": {"type": "message", "channel": CHANNEL, "ts": "1.1"},
            "event_ts": "2.2",
        }
    )
    assert response.status == 200
    await slack.fake.settle()
    assert [c.method for c in slack.fake.calls if c.method != "auth.test"] == []

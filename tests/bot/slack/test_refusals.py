"""Where Slack says no: a channel the app cannot post in is refused before anything is stored,
with how to fix it; a post Slack refuses for good fails at once and the person who can fix it
is told once, in a DM; `socialvalue jobs` lists it and sends it again once fixed; a 429 on a
later part of a long message resumes under the same parent."""

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.worker.kinds import Message
from flows.outbox import queue
from storage.engine import transaction
from storage.jobs import list_jobs
from storage.models import DigestConfig, Job, JobStatus, Measure, Project
from tests.factories import WHOLE_PLAN, plan_in_slack
from tests.fake_slack import TEAM
from tests.slack_app import CHANNEL, LEAD, MEMBER, dm_channel, start, stored_answers
from tests.terminal import run

INVITE = "Invite me first: type `/invite @Social Value Planner`"


async def projects(engine) -> list[Project]:
    async with transaction(engine) as db:
        return list((await db.exec(select(Project))).all())


@pytest.mark.parametrize(
    "channel, seen, told",
    [
        ("C0002", {"is_member": False}, INVITE),  # a public channel the app was not invited to
        ("G0003", None, INVITE),  # a private channel the app is not in: Slack says channel_not_found
        ("C0004", {"is_archived": True}, "is archived"),
        ("DLEAD", {}, "not to a direct message"),
        ("C0005", {"is_mpim": True}, "not to a direct message"),  # a group DM
    ],
)
async def test_a_project_is_only_created_where_the_app_can_post(slack, channel, seen, told):
    slack.fake.channels[channel] = seen
    await slack.command("new A38 Derby Junctions", channel=channel)
    [answer] = slack.fake.of("response_url")
    assert told in answer["text"] and answer["response_type"] == "ephemeral"
    assert await projects(slack.engine) == []


async def test_once_invited_the_same_command_creates_the_project(slack):
    slack.fake.channels["C0002"] = {"is_member": False}
    await slack.command("new A38 Derby Junctions", channel="C0002")
    slack.fake.channels["C0002"] = {"is_member": True}  # /invite @Social Value Planner
    await slack.command("new A38 Derby Junctions", channel="C0002")
    assert "Created *A38 Derby Junctions*" in slack.fake.of("response_url")[-1]["text"]
    assert [p.channel_id for p in await projects(slack.engine)] == ["C0002"]


async def test_the_digest_is_only_bound_to_a_channel_the_app_is_in(slack):
    slack.fake.channels["C0009"] = {"is_member": False}
    await slack.command("digest channel <#C0009|steering>", user="ULISTED", escaped=False)
    assert INVITE in slack.fake.of("response_url")[-1]["text"]
    async with transaction(slack.engine) as db:
        assert (await db.exec(select(DigestConfig))).all() == []
    await slack.command("digest channel <#G0009|steering-private>", user="ULISTED", escaped=False)  # a legacy private channel id
    async with transaction(slack.engine) as db:
        assert [c.channel_id for c in (await db.exec(select(DigestConfig))).all()] == ["G0009"]


async def test_a_summary_refused_for_good_fails_at_once_tells_the_lead_once_and_is_sent_again_when_fixed(slack, database_url):
    await plan_in_slack(slack.engine, WHOLE_PLAN[:-1], team=TEAM, channel=CHANNEL, lead=LEAD)
    await slack.command("plan")  # the lead finishes the plan in the DM: its summary goes to the channel
    await slack.question_recorded(await slack.next_question(1))
    slack.fake.refuse_in[CHANNEL] = "not_in_channel"  # someone removed the app from the channel
    await slack.dm(WHOLE_PLAN[-1])
    await slack.fake.wait_for("chat.postMessage", 2)  # a loaded machine may take longer than a quiet moment
    await slack.fake.settle()
    assert "I am posting it to <#C0001>" in str(slack.fake.of("chat.postMessage"))

    first = await slack.run_worker()
    assert (first.sent, first.failed, first.retried) == (1, 1, 0)  # the notice sent; the summary failed at once
    told = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == LEAD and "could not post" in m.get("text", "")]
    assert len(told) == 1
    notice = str(told[0])
    assert "the plan summary of A38 Derby Junctions" in notice and "<#C0001>" in notice and "not_in_channel" in notice
    assert "/invite @Social Value Planner" in notice
    slack.clock.advance(timedelta(hours=1))
    assert (await slack.run_worker()).sent == 0  # not retried, not told again

    listed = run(database_url, "jobs", "--failed")
    assert listed.returncode == 0 and "plan_summary" in listed.stdout and "not_in_channel" in listed.stdout
    async with transaction(slack.engine) as db:
        [failed] = await list_jobs(db, status=JobStatus.FAILED)
    assert run(database_url, "jobs", "retry").returncode == 1  # says which
    del slack.fake.refuse_in[CHANNEL]  # invited again
    retried = run(database_url, "jobs", "retry", str(failed.id))
    assert retried.returncode == 0 and "Put 1 failed message back" in retried.stdout
    assert (await slack.run_worker()).sent == 1
    posted = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == CHANNEL and m.get("blocks")]
    assert "Social value plan: A38 Derby Junctions" in str(posted)


async def test_an_update_post_refused_for_good_tells_the_lead_not_the_author(slack):
    await plan_in_slack(slack.engine, WHOLE_PLAN, team=TEAM, channel=CHANNEL, lead=LEAD)
    slack.fake.refuse_in[CHANNEL] = "is_archived"
    async with transaction(slack.engine) as db:
        message = Message(
            key="update:1",
            channel=CHANNEL,
            text="An update",
            groups=[[{"type": "divider"}]],
            tell=LEAD,
            what="the update on Local labour of A38",
        )
        await queue(db, message, workspace_id=None, due_at=slack.clock.now())
    await slack.run_worker()
    [told] = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == LEAD]
    assert "the update on Local labour of A38" in told["text"] and "archived" in str(told)
    assert not [m for m in slack.fake.of("chat.postMessage") if m["channel"] == MEMBER]


async def test_a_429_on_part_2_of_3_resumes_under_the_same_parent(slack):
    groups = [[{"type": "section", "text": {"type": "mrkdwn", "text": f"Part {n}"}}] for n in (1, 2, 3)]
    async with transaction(slack.engine) as db:
        await queue(db, Message(key="long", channel=CHANNEL, text="Long", groups=groups), workspace_id=None, due_at=slack.clock.now())
    slack.fake.limit_call[("chat.postMessage", 2)] = 30
    first = await slack.run_worker()
    assert (first.sent, first.retried) == (0, 1)
    slack.clock.advance(timedelta(seconds=31))
    assert (await slack.run_worker()).sent == 1
    posted = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == CHANNEL]
    accepted = [m for m in posted if "ts" in m]
    assert [m["blocks"][0]["text"]["text"] for m in accepted] == ["Part 1", "Part 2", "Part 3"]
    parent = accepted[0]["ts"]
    assert "thread_ts" not in accepted[0] and {m["thread_ts"] for m in accepted[1:]} == {parent}
    async with transaction(slack.engine) as db:
        [job] = (await db.exec(select(Job).where(Job.dedupe_key == "long"))).all()
    assert (job.status, len(job.posted)) == (JobStatus.SENT, 3)


async def test_a_pack_upload_refused_for_good_tells_the_requester_once(slack):
    from flows.outbox import HandoverPack

    project = await plan_in_slack(slack.engine, WHOLE_PLAN, team=TEAM, channel=CHANNEL, lead=LEAD)
    slack.fake.refuse_in[CHANNEL] = "not_in_channel"
    async with transaction(slack.engine) as db:
        await queue(db, HandoverPack(project_id=project.id, requested_by=LEAD), workspace_id=None, due_at=slack.clock.now())
    done = await slack.run_worker()
    assert done.failed == 1
    told = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == LEAD]
    assert len(told) == 1 and "the handover pack of A38 Derby Junctions" in told[0]["text"]


async def test_a_429_storm_on_the_next_question_never_misfiles_the_answer_sent_again(slack):
    def shown() -> list[dict]:
        return [m for m in slack.questions() if "ts" in m]  # the questions Slack accepted

    await start(slack)
    slack.fake.rate_limit["chat.postMessage"] = [1, 1, 1, 1]  # more 429s than the client waits out
    await slack.dm("Jobs for Derby")
    await slack.fake.settle(3)
    told = [m for m in slack.fake.of("chat.postMessage") if "Your answer is saved" in m.get("text", "")]
    assert len(told) == 1 and len(shown()) == 1  # the next question never appeared

    await slack.dm("Jobs for Derby")  # the user, seeing no question, sends the answer again
    await slack.fake.settle()
    [_, second] = shown()
    assert "I could not show you this question earlier" in str(second["blocks"]) and "What drives" in str(second["blocks"])
    _, answers = await stored_answers(slack.engine)
    assert [(a.field, a.value) for a in answers] == [("purpose", "Jobs for Derby")]  # not stored as the drivers

    await slack.click_in(second, selected=["client"], action_id="plan_multi_save")
    await slack.fake.settle()
    assert len(shown()) == 3
    _, answers = await stored_answers(slack.engine)
    assert sorted((a.field, str(a.value)) for a in answers) == [("drivers", "['client']"), ("purpose", "Jobs for Derby")]


async def test_a_form_slack_refuses_to_open_tells_the_user_what_to_try(slack):
    plan = [{"Priya Shah": LEAD, "Tom Evans": LEAD}.get(answer, answer) for answer in WHOLE_PLAN]
    await plan_in_slack(slack.engine, plan, team=TEAM, channel=CHANNEL, lead=LEAD)
    slack.fake.refuse["views.open"] = [{"ok": False, "error": "expired_trigger_id"}]
    await slack.command("update")
    [answer] = slack.fake.of("response_url")
    assert "took too long to open that form" in answer["text"] and answer["response_type"] == "ephemeral"


async def test_a_status_longer_than_a_response_url_carries_goes_to_the_dm_whole(slack):
    project = await plan_in_slack(slack.engine, WHOLE_PLAN, team=TEAM, channel=CHANNEL, lead=LEAD)
    async with transaction(slack.engine) as db:
        for n in range(120):
            db.add(Measure(project_id=project.id, key=f"x{n}", name=f"Measure {n} " + "of a long name " * 8, unit="hours"))
    await slack.command("status")
    [answer] = slack.fake.of("response_url")
    assert "too long to show here" in answer["text"]
    in_dm = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == dm_channel(LEAD)]
    assert len(in_dm) > 5 and {m.get("thread_ts") for m in in_dm[1:]} == {in_dm[0]["ts"]}
    shown = str([m["blocks"] for m in in_dm])
    assert "Measure 0 " in shown and "Measure 119 " in shown  # nothing cut


async def test_retrying_a_job_that_is_not_a_failed_one_says_so_and_changes_nothing(slack, database_url):
    async with transaction(slack.engine) as db:
        await queue(
            db,
            Message(key="waiting", channel=CHANNEL, text="Hi", groups=[[{"type": "divider"}]]),
            workspace_id=None,
            due_at=slack.clock.now(),
        )
        [waiting] = await list_jobs(db)
    done = run(database_url, "jobs", "retry", str(waiting.id), "999")
    assert done.returncode == 1 and f"Not failed or not found: {waiting.id}, 999" in done.stdout
    assert run(database_url, "jobs", "retry", "abc").returncode == 2  # not an id: argparse says so
    async with transaction(slack.engine) as db:
        [still] = await list_jobs(db)
    assert (still.status, still.attempts) == (JobStatus.PENDING, 0)
    listed = run(database_url, "jobs", "--failed")
    assert listed.returncode == 0 and "No failed messages." in listed.stdout


async def test_an_install_without_the_channel_scopes_still_creates_the_project(slack):
    slack.fake.refuse["conversations.info"] = [{"ok": False, "error": "missing_scope", "needed": "channels:read"}]
    await slack.command("new A38 Derby Junctions")
    assert "Created *A38 Derby Junctions*" in slack.fake.of("response_url")[-1]["text"]


async def test_a_refused_update_of_the_answered_question_never_hides_the_next_one(slack):
    await start(slack)
    slack.fake.refuse["chat.update"] = [{"ok": False, "error": "message_not_found"}]
    await slack.dm("Jobs for Derby")
    await slack.next_question(2)
    _, answers = await stored_answers(slack.engine)
    assert [a.value for a in answers] == ["Jobs for Derby"]

"""HANDLE_REQUESTS_IN=worker: the web process only stores a request and acks it; the worker
handles it from the inbox within a moment. The person sees the same answers, each person's
requests are handled in the order sent, and nothing waits on a stopped worker but the answer."""

import asyncio
import subprocess

import aiohttp
from sqlmodel import select

from bot.worker.inbox import POLL_SECONDS
from storage.answers import answer_history
from storage.engine import transaction
from storage.models import InboxEntry, InboxState, Project
from tests.factories import WHOLE_PLAN, say, start_plan
from tests.fake_slack import command_body, dm_event, event_body
from tests.reliability.test_web_killed import Web, post
from tests.slack_app import CHANNEL, LEAD, NAME, dm_channel, start, stored_answers
from tests.terminal import SOCIALVALUE


async def entries(engine) -> list[InboxEntry]:
    async with transaction(engine) as db:
        return list((await db.exec(select(InboxEntry).order_by(InboxEntry.id))).all())


async def all_handled(engine, count: int) -> list[InboxEntry]:
    for _ in range(1500):
        stored = await entries(engine)
        if len(stored) >= count and all(e.state != InboxState.PENDING for e in stored):
            return stored
        await asyncio.sleep(0.02)
    raise AssertionError(f"not handled: {[(e.key, e.state) for e in await entries(engine)]}")


async def test_commands_answers_and_clicks_get_the_same_answers_as_from_the_web_process(slack_via_worker):
    slack = slack_via_worker
    question = await start(slack)  # `new` and `plan`, answered through their response_url
    assert "Why are we measuring social value on A38 Derby Junctions?" in question["blocks"][0]["text"]["text"]
    await slack.dm("Jobs for Derby")
    await slack.next_question(2)
    await slack.command("status")
    stored = await all_handled(slack.engine, 4)
    print(f"\n{len(stored)} requests stored and acked by the web process, handled by the worker")
    assert [e.attempts for e in stored] == [1, 1, 1, 1]  # each taken once
    _, history = await stored_answers(slack.engine)
    assert [a.value for a in history] == ["Jobs for Derby"]
    assert "A38 Derby Junctions" in slack.fake.of("response_url")[-1]["text"]


async def test_an_event_delivered_again_is_handled_once(slack_via_worker):
    slack = slack_via_worker
    await start(slack)
    first, again = await asyncio.gather(slack.dm("Jobs for Derby", event_id="Ev0AGAIN"), slack.dm("Jobs for Derby", event_id="Ev0AGAIN"))
    assert (first.status, again.status) == (200, 200)
    await slack.dm("Jobs for Derby", event_id="Ev0AGAIN")  # Slack's retry, later
    await all_handled(slack.engine, 3)
    await slack.fake.settle()
    _, history = await stored_answers(slack.engine)
    assert [a.value for a in history] == ["Jobs for Derby"] and len(slack.questions()) == 2


async def test_a_whole_plan_typed_without_waiting_is_stored_in_the_order_typed(slack_via_worker, engine):
    slack = slack_via_worker
    await start(slack)
    for answer in WHOLE_PLAN:  # each acked at once, long before its question is asked
        assert (await slack.dm(answer)).status == 200
    await all_handled(slack.engine, 2 + len(WHOLE_PLAN))
    project, history = await stored_answers(slack.engine)

    # The same answers, typed one at a time, as every transport sends them.
    await start_plan(engine, project="Reference")
    for answer in WHOLE_PLAN:
        await say(engine, answer, project="Reference")
    async with transaction(engine) as db:
        reference = (await db.exec(select(Project).where(Project.name == "Reference"))).one()
        expected = await answer_history(db, project_id=reference.id)
    print(f"\n{len(WHOLE_PLAN)} messages sent without waiting: {len(history)} answers stored, in order")
    assert [(a.field, a.subject, a.value) for a in history] == [(a.field, a.subject, a.value) for a in expected]
    assert "Every question is answered." in str(slack.fake.of("chat.postMessage")[-1])


async def test_several_people_at_once_are_each_answered(slack_via_worker):
    slack = slack_via_worker
    users = [f"UPEOPLE{n}" for n in range(12)]
    for n, user in enumerate(users):
        await slack.command(f"new Project {n}", user=user, channel=f"C{n:04d}")
        await slack.command("plan", user=user, channel=f"C{n:04d}")
    await asyncio.gather(*(slack.dm(f"Purpose of {user}", user=user) for user in users))
    for user in users:
        await slack.next_question(2, user=user)
    stored = await all_handled(slack.engine, 3 * len(users))
    print(f"\n{len(users)} people answering at once: {len(stored)} requests, every one handled once")
    assert {e.attempts for e in stored} == {1}


async def test_a_request_acked_while_no_worker_runs_is_answered_when_one_starts(database_url, fake):
    """Real processes: `socialvalue serve` with HANDLE_REQUESTS_IN=worker stores and acks; the
    person's answers come once `socialvalue worker` runs."""
    web, worker = Web(database_url, fake, HANDLE_REQUESTS_IN="Worker"), None
    response_url = f"{fake.url}/response/{LEAD}"
    try:
        async with aiohttp.ClientSession() as http:
            await web.up(http)
            for text in (f"new {NAME}", "plan"):
                body = command_body(text, user=LEAD, channel=CHANNEL, response_url=response_url)
                assert await post(http, web.url, body, "application/x-www-form-urlencoded") == 200
            body = event_body(dm_event("Jobs for Derby", user=LEAD, channel=dm_channel(LEAD)))
            assert await post(http, web.url, body, "application/json") == 200
            await asyncio.sleep(20 * POLL_SECONDS)
            assert [c.method for c in fake.calls if c.method != "auth.test"] == []  # stored and acked; nothing answered yet
            worker = subprocess.Popen([SOCIALVALUE, "worker"], env=web.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            await fake.wait_for("response_url", 2, timeout=60)
            questions = await fake.wait_for("chat.postMessage", 2, timeout=60)
        print(f"\nacked with no worker running: {len(fake.calls)} Slack calls once the worker started")
        assert "Created *A38 Derby Junctions*" in fake.of("response_url")[0]["text"]
        assert "Why are we measuring" in str(questions[0]) and "Why are we measuring" not in str(questions[1])
    finally:  # waited for off the event loop: the fake Slack answers what they finish meanwhile
        await asyncio.to_thread(web.stop)
        if worker is not None:
            worker.terminate()
            await asyncio.to_thread(worker.wait, 30)

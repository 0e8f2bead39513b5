"""Never acknowledged unless stored: a request from Slack is in the inbox before its 200. If the
web process dies after the ack, or the database fails while it handles the request, the worker
handles it from the inbox; the person is told when it is late, and when it is given up."""

import json
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import event, update
from sqlalchemy.orm import Session
from sqlmodel import col, select

import storage.engine
from bot.slack.blocks.text import mrkdwn
from bot.worker.inbox import MAX_ATTEMPTS
from storage.engine import transaction
from storage.inbox import receive
from storage.models import InboxEntry, InboxState, Job, Workspace
from tests.fake_slack import TEAM, dm_event, event_body
from tests.slack_app import LEAD, dm_channel, start, stored_answers

ANSWER = "Jobs for Derby"


async def entries(engine) -> list[InboxEntry]:
    async with transaction(engine) as db:
        return list((await db.exec(select(InboxEntry).order_by(InboxEntry.id))).all())


async def acknowledged_then_killed(slack, text: str) -> None:
    """What the web process leaves when it is killed right after the ack: the stored request."""
    body = json.loads(event_body(dm_event(text, user=LEAD, channel=dm_channel(LEAD))))
    async with transaction(slack.engine) as db:
        await receive(
            db, key=f"event:{body['event_id']}", team=TEAM, user=LEAD, body=body, now=slack.clock.now(), lease=timedelta(seconds=60)
        )


def told(slack, text: str) -> list[dict]:
    return [m for m in slack.fake.of("chat.postMessage") if m["channel"] in (dm_channel(LEAD), LEAD) and text in m.get("text", "")]


async def test_every_request_is_stored_before_its_ack_and_marked_handled(slack):
    await start(slack)
    await slack.dm(ANSWER)
    await slack.next_question(2)
    await slack.fake.settle()
    stored = await entries(slack.engine)
    print(f"\n{len(stored)} requests acknowledged, {sum(e.state == InboxState.DONE for e in stored)} handled")
    assert [e.key.split(":")[0] for e in stored] == ["trigger", "trigger", "event"]  # two commands, then the answer
    assert {e.state for e in stored} == {InboxState.DONE} and stored[2].body["event"]["text"] == ANSWER


async def test_an_answer_acknowledged_by_a_web_process_that_then_died_is_handled_by_the_worker(slack):
    await start(slack)
    await acknowledged_then_killed(slack, ANSWER)
    await slack.run_worker()  # within the web process's lease: left to it
    assert len(slack.questions()) == 1
    slack.clock.advance(timedelta(seconds=61))
    await slack.run_worker()
    await slack.run_worker()  # and once only
    _, history = await stored_answers(slack.engine)
    [entry] = [e for e in await entries(slack.engine) if e.key.startswith("event:")]
    print(f"\nreplayed by the worker: {len(history)} answer stored, {len(slack.questions())} questions posted")
    assert [a.value for a in history] == [ANSWER] and entry.state == InboxState.DONE
    assert len(slack.questions()) == 2  # the next question was asked


async def test_an_answer_the_database_failed_to_store_is_kept_the_person_told_and_stored_later(slack, database_url, monkeypatch):
    if not database_url.startswith("sqlite"):
        pytest.skip("takes SQLite's write lock between the store and the handling")
    await start(slack)
    monkeypatch.setattr(storage.engine, "SQLITE_BUSY_TIMEOUT_MS", 200)
    blocker = sqlite3.connect(database_url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None, timeout=0)
    armed = True

    def lock_once_stored(_session) -> None:
        nonlocal armed
        if armed:  # the inbox's commit: another process takes the lock before the answer is handled
            armed = False
            blocker.execute("BEGIN IMMEDIATE")

    event.listen(Session, "after_commit", lock_once_stored)
    try:
        response = await slack.dm(ANSWER)
        await slack.fake.settle(1.0)
    finally:
        event.remove(Session, "after_commit", lock_once_stored)
        blocker.rollback()
        blocker.close()
    _, history = await stored_answers(slack.engine)
    assert response.status == 200 and history == []
    assert len(told(slack, "I could not save that just now")) == 1  # not a silent loss
    slack.clock.advance(timedelta(seconds=61))
    await slack.run_worker()
    _, history = await stored_answers(slack.engine)
    print(f"\nlocked while handling: told once, then {len(history)} answer stored by the worker")
    assert [a.value for a in history] == [ANSWER] and len(slack.questions()) == 2
    assert len(told(slack, "I could not save that just now")) == 1 and not told(slack, "Sorry, something went wrong")


async def test_a_request_that_cannot_be_handled_for_minutes_is_given_up_and_the_person_told(slack):
    await start(slack)
    await acknowledged_then_killed(slack, ANSWER)
    async with transaction(slack.engine) as db:  # every try so far failed on the database
        await db.exec(update(InboxEntry).values(attempts=MAX_ATTEMPTS))
    slack.clock.advance(timedelta(seconds=61))
    await slack.run_worker()
    [entry] = [e for e in await entries(slack.engine) if e.key.startswith("event:")]
    _, history = await stored_answers(slack.engine)
    assert entry.state == InboxState.FAILED and history == []
    [notice] = told(slack, "I could not save")
    assert notice["blocks"][0]["text"]["text"] == mrkdwn("gave_up_on", command=None, typed=ANSWER)
    assert "“Jobs for Derby”" in notice["blocks"][0]["text"]["text"]
    async with transaction(slack.engine) as db:  # sent with its workspace's token in distributed mode
        [job] = (await db.exec(select(Job).where(col(Job.dedupe_key) == f"inbox:{entry.id}"))).all()
        workspace = await db.get(Workspace, job.workspace_id)
    assert workspace is not None and workspace.team_id == TEAM


async def test_a_redelivery_of_a_stored_request_is_acknowledged_and_not_handled_again(slack):
    await start(slack)
    await slack.dm(ANSWER, event_id="EvTWICE")
    await slack.next_question(2)
    again = await slack.dm(ANSWER, event_id="EvTWICE")
    await slack.fake.settle()
    _, history = await stored_answers(slack.engine)
    assert again.status == 200 and [a.value for a in history] == [ANSWER] and len(slack.questions()) == 2


async def test_an_answer_that_cannot_be_stored_is_refused_so_that_slack_resends_it(slack, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("holds SQLite's write lock")
    await start(slack)
    blocker = sqlite3.connect(database_url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None, timeout=0)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        refused = await slack.dm(ANSWER, event_id="EvRESENT")
    finally:
        blocker.rollback()
        blocker.close()
    _, history = await stored_answers(slack.engine)
    assert refused.status >= 500 and history == [] and len(slack.questions()) == 1
    resent = await slack.event(dm_event(ANSWER, user=LEAD, channel=dm_channel(LEAD)), event_id="EvRESENT", retry=1)
    await slack.next_question(2)
    _, history = await stored_answers(slack.engine)
    print(f"\nrefused while locked (HTTP {refused.status}), stored on Slack's resend (HTTP {resent.status})")
    assert resent.status == 200 and [a.value for a in history] == [ANSWER]


async def test_an_answer_stored_by_a_process_that_died_before_marking_it_is_not_stored_again_and_the_question_is_asked(slack):
    """Killed after the answer was stored (the next question may or may not have been posted):
    the worker's replay stores nothing more and asks the current question, so nobody waits for a
    question that never came; at worst it is asked twice."""
    await start(slack)
    await slack.dm(ANSWER)
    second = await slack.next_question(2)
    await slack.fake.settle()
    async with transaction(slack.engine) as db:  # as if the process died before marking it handled
        await db.exec(update(InboxEntry).where(InboxEntry.key.startswith("event:")).values(state=InboxState.PENDING))
    slack.clock.advance(timedelta(seconds=61))
    await slack.run_worker()
    _, history = await stored_answers(slack.engine)
    asked = await slack.next_question(3)
    assert [a.value for a in history] == [ANSWER]
    assert asked["blocks"][-1] == second["blocks"][-1]  # the same question, with its Skip, Back and Pause


async def test_a_request_whose_ids_cannot_be_stored_is_still_answered_not_refused(slack):
    """Nothing Slack sends, but signed: ids with a NUL (PostgreSQL's text cannot hold one) are
    kept without them, and an event id of any shape is kept by its digest."""
    await start(slack)
    weird = {"type": "message", "channel_type": "im", "channel": "D\x00", "user": "U\x00", "text": "hi"}
    response = await slack.event(weird, event_id="Ev\x00" + "x" * 300)
    await slack.fake.settle()
    stored = [e for e in await entries(slack.engine) if e.key.startswith("event:")]
    assert response.status == 200 and len(stored) == 1 and stored[0].user_id is None and len(stored[0].key) < 80

"""A post Slack accepted whose answer was lost on the way: never sent twice. In a DM the
retry finds it by its job key; in a channel (the app may not read its history) the job fails
as uncertain and the person who can check is told once."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.worker.kinds import Message
from flows.outbox import queue
from storage.engine import transaction
from storage.models import Job, JobStatus
from tests.clock import FakeClock
from tests.reliability.conftest import work

NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


async def one_job(engine, key: str) -> Job:
    async with transaction(engine) as db:
        [job] = (await db.exec(select(Job).where(Job.dedupe_key == key))).all()
    return job


def posted(fake, text: str) -> list[dict]:
    return [m for m in fake.calls if m.method == "chat.postMessage" and m.args.get("text") == text and m.answer.get("ok")]


async def test_a_dm_whose_answer_was_lost_is_found_not_sent_again(engine, fake):
    three = [[{"type": "section", "text": {"type": "mrkdwn", "text": f"Part {n}"}}] for n in (1, 2, 3)]
    async with transaction(engine) as db:
        await queue(db, Message(key="long", channel="UPRIYA", text="Long", groups=three), workspace_id=None, due_at=NOW)
    fake.drop_answer.add(("chat.postMessage", 2))  # part 2 is posted, its answer lost
    clock = FakeClock(NOW)
    first = await work(engine, fake, clock)
    assert first.retried == 1 and (await one_job(engine, "long")).last_error.startswith("uncertain")
    for _ in range(3):
        clock.advance(timedelta(minutes=5))
        await work(engine, fake, clock)
    job = await one_job(engine, "long")
    parts = [c.args["blocks"][0]["text"]["text"] for c in fake.calls if c.method == "chat.postMessage"]
    print(f"\nanswer of part 2 lost: parts posted {parts}, history read {len(fake.of('conversations.history'))} time(s)")
    assert parts == ["Part 1", "Part 2", "Part 3"]  # part 2 found by its key, not posted again
    assert job.status == JobStatus.SENT and len(job.posted) == 3
    assert {c.args.get("thread_ts") for c in fake.calls if c.method == "chat.postMessage"} - {None} == {job.posted[0]}


async def test_a_channel_post_whose_answer_was_lost_fails_as_uncertain_and_is_told_once(engine, fake):
    async with transaction(engine) as db:
        message = Message(key="update:1", channel="C0001", text="An update", groups=[[{"type": "divider"}]], tell="ULEAD", what="an update")
        await queue(db, message, workspace_id=None, due_at=NOW)
    fake.drop_answer.add(("chat.postMessage", 1))
    clock = FakeClock(NOW)
    await work(engine, fake, clock)
    clock.advance(timedelta(minutes=5))
    done = await work(engine, fake, clock)
    job = await one_job(engine, "update:1")
    told = [m for m in fake.of("chat.postMessage") if m["channel"] == "ULEAD"]
    print(f"\nanswer lost in a channel: posted {len(posted(fake, 'An update'))} time(s), job {job.status}, {len(told)} told")
    assert len(posted(fake, "An update")) == 1  # never twice
    assert job.status == JobStatus.FAILED and done.failed == 1
    assert len(told) == 1 and "I am not sure I posted an update" in told[0]["text"]
    assert "may be there already" in str(told[0]["blocks"]) and f"socialvalue jobs retry {job.id}" in str(told[0]["blocks"])

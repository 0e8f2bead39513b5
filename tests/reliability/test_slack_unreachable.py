"""Slack unreachable, or answering what it should not: a worker pass never ends in a traceback;
what could not be done is tried again, nothing is lost or stored as a default."""

from datetime import UTC, datetime

from sqlmodel import select

from bot.worker.loop import run_worker
from storage.engine import transaction
from storage.models import Job, JobStatus, SlackUser
from tests.clock import FakeClock
from tests.factories import WHOLE_PLAN, plan_in_slack
from tests.fake_slack import TEAM
from tests.reliability.conftest import worker_client

OWNED = [{"Priya Shah": "UPRIYA", "Tom Evans": "UTOM"}.get(answer, answer) for answer in WHOLE_PLAN]
REMINDER_TIME = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


async def stored(engine, table):
    async with transaction(engine) as db:
        return list((await db.exec(select(table))).all())


async def test_a_users_info_answer_without_a_user_is_asked_again(engine, fake):
    await plan_in_slack(engine, OWNED, team=TEAM)
    fake.refuse["users.info"] = [{"ok": True}] * 3  # ok, but no user
    client = worker_client(f"{fake.url}/api/")
    result = await run_worker(engine, client, once=True, clock=FakeClock(REMINDER_TIME))
    print(f"\nusers.info without a user: {result.sent} sent, {len(await stored(engine, SlackUser))} people stored")
    assert await stored(engine, SlackUser) == []  # nothing stored as a default
    assert result.sent == 1 and fake.of("chat.postMessage")[0]["channel"] == "UPRIYA"  # reminded all the same
    await run_worker(engine, client, once=True, clock=FakeClock(REMINDER_TIME))
    assert {u.user_id for u in await stored(engine, SlackUser)} == {"UPRIYA", "UTOM", "ULEAD"}


async def test_a_pass_with_slack_unreachable_keeps_every_job_for_later(engine):
    await plan_in_slack(engine, OWNED, team=TEAM)
    client = worker_client("http://127.0.0.1:9/api/")  # nothing listens there
    result = await run_worker(engine, client, once=True, clock=FakeClock(REMINDER_TIME))
    jobs = await stored(engine, Job)
    print(f"\nSlack unreachable: {result.retried} to retry, {result.failed} failed, {len(jobs)} jobs kept")
    assert result.sent == 0 and result.failed == 0 and result.retried >= 1
    assert jobs and all(j.status == JobStatus.PENDING and j.last_error for j in jobs if j.due_at <= REMINDER_TIME)

"""The worker against the fake Slack Web API, with time injected: reminders planned and sent
once, catch-up after downtime, 429s, leases, and the single SQLite worker."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.settings import Settings
from bot.slack.app import slack_client
from bot.worker.kinds import Message
from bot.worker.loop import BATCH, LEASE, WorkerRefused, run_worker
from flows.outbox import queue
from flows.progress.updates import record_update
from storage.engine import transaction
from storage.jobs import claim_due_jobs, list_jobs, take_worker_lease
from storage.models import JobStatus, Measure, Project
from tests.clock import FakeClock
from tests.factories import WHOLE_PLAN, plan_in_slack
from tests.fake_slack import BOT_TOKEN, TEAM, start_fake_slack

LEAD, PRIYA, TOM = "ULEAD", "UPRIYA", "UTOM"
# The A38 plan, owned in Slack: m1 apprenticeships (monthly, due the 1st), m2 local labour (quarterly)
SLACK_PLAN = [{"Priya Shah": PRIYA, "Tom Evans": TOM}.get(answer, answer) for answer in WHOLE_PLAN]


@pytest.fixture
async def fake():
    fake, runner = await start_fake_slack()
    yield fake
    await runner.cleanup()


@pytest.fixture
async def planned(engine):
    await plan_in_slack(engine, SLACK_PLAN, team=TEAM, lead=LEAD)
    return engine


async def work(engine, fake, clock):
    client = slack_client(Settings(slack_bot_token=BOT_TOKEN, slack_api_url=f"{fake.url}/api/"), wait_out_rate_limits=False)
    return await run_worker(engine, client, once=True, clock=clock)


def reminders(fake, to: str | None = None) -> list[dict]:
    return [m for m in fake.of("chat.postMessage") if to is None or m["channel"] == to]


async def test_a_due_reminder_is_sent_once_at_half_past_nine_local(planned, fake):
    clock = FakeClock(datetime(2026, 11, 24, 9, 29, tzinfo=UTC))  # a week before 1 Dec, 09:29 GMT
    assert (await work(planned, fake, clock)).sent == 0
    assert {c["user"] for c in fake.of("users.info")} == {PRIYA, TOM, LEAD}  # owners and the lead: their zones and names
    clock.at("2026-11-24T09:30:00")
    assert (await work(planned, fake, clock)).sent == 1
    [sent] = reminders(fake)
    assert sent["channel"] == PRIYA
    text = " ".join(b["text"]["text"] for b in sent["blocks"] if b["type"] == "section")
    assert "*Apprenticeships on the contract* (A38 Derby Junctions) is due on 1 Dec 2026" in text
    assert "Overdue" in text  # November's period was never reported
    assert [e["text"]["text"] for b in sent["blocks"] if b["type"] == "actions" for e in b["elements"]] == [
        "Add update",
        "Snooze 1 day",
        "Nothing to report",
    ]
    assert sent["metadata"]["event_payload"]["key"].startswith("reminder:")
    assert (await work(planned, fake, clock)).sent == 0  # planned again: nothing new


async def test_catch_up_after_a_week_down_sends_the_latest_reminder_once(planned, fake):
    clock = FakeClock(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    await work(planned, fake, clock)  # the "a week before" reminder; "due" and "overdue" are queued
    clock.at("2026-12-05T12:00:00")  # down from then until a Saturday
    result = await work(planned, fake, clock)
    assert result.sent == 2 and result.dropped == 1  # overdue to the owner and the lead; "due" superseded
    assert len(reminders(fake, PRIYA)) == 2 and len(reminders(fake, LEAD)) == 1
    assert "is overdue" in reminders(fake, LEAD)[0]["text"]
    assert (await work(planned, fake, clock)).sent == 0


async def test_a_reported_period_is_not_reminded(planned, fake):
    clock = FakeClock(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    await work(planned, fake, clock)
    async with transaction(planned) as db:
        project = await db.get(Project, 1)
        await record_update(db, project, measure_key="m1", author=PRIYA, today=clock.now().date(), value="200", period="2026-12-01")
    clock.at("2026-12-01T09:30:00")
    result = await work(planned, fake, clock)
    assert result.sent == 0 and result.dropped == 1
    async with transaction(planned) as db:
        assert {j.status for j in await list_jobs(db) if "2026-12-01" in j.dedupe_key} == {
            JobStatus.SENT,
            JobStatus.DROPPED,
            JobStatus.PENDING,
        }


async def test_a_429_puts_the_reminder_back_until_retry_after_then_it_is_sent(planned, fake):
    clock = FakeClock(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    fake.rate_limit["chat.postMessage"] = [2]
    result = await work(planned, fake, clock)
    assert (result.sent, result.retried) == (0, 1)
    clock.current += timedelta(seconds=1)
    assert (await work(planned, fake, clock)).sent == 0  # Retry-After not over
    clock.current += timedelta(seconds=1)
    assert (await work(planned, fake, clock)).sent == 1
    assert [c.answer.get("ok") for c in fake.calls if c.method == "chat.postMessage"] == [False, True]
    assert clock.slept == []  # nothing slept: the job waited in the table


async def test_a_worker_killed_after_claiming_leaves_the_job_to_its_lease(planned, fake):
    clock = FakeClock(datetime(2026, 11, 24, 9, 29, tzinfo=UTC))
    await work(planned, fake, clock)  # plans; nothing due yet
    clock.at("2026-11-24T09:30:00")
    async with transaction(planned) as db:
        [orphan] = await claim_due_jobs(db, now=clock.now(), limit=10, lease=LEASE)  # then the worker dies
    assert (await work(planned, fake, clock)).sent == 0
    clock.current += LEASE
    assert (await work(planned, fake, clock)).sent == 1
    assert len(reminders(fake)) == 1


async def test_one_persons_reminders_are_one_dm_and_posts_to_one_channel_are_a_second_apart(planned, fake):
    clock = FakeClock(datetime(2026, 12, 2, 9, 30, tzinfo=UTC))
    async with transaction(planned) as db:
        m2 = await db.get(Measure, 2)
        m2.owner, m2.cadence = PRIYA, "monthly"  # both measures Priya's, both overdue today
        db.add(m2)
        for n in (1, 2):
            await queue(
                db,
                Message(key=f"note:{n}", channel=PRIYA, text=f"Note {n}", groups=[[{"type": "divider"}]]),
                workspace_id=None,
                due_at=clock.now(),
            )
    await work(planned, fake, clock)
    [one] = [m for m in reminders(fake, PRIYA) if "Note" not in m["text"]]
    assert "2 measures need a progress update" in one["text"] and len(reminders(fake, PRIYA)) == 3
    assert len([b for b in one["blocks"] if b["type"] == "actions"]) == 2  # each measure's buttons
    assert len(clock.slept) == 2 and all(s >= 0.99 for s in clock.slept)


async def test_a_second_worker_on_sqlite_refuses_to_start(planned, fake, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("several workers may run on PostgreSQL")
    clock = FakeClock(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    async with transaction(planned) as db:
        assert await take_worker_lease(db, holder="the other worker", now=clock.now(), ttl=timedelta(minutes=10))
    with pytest.raises(WorkerRefused, match="Another worker is running"):
        await work(planned, fake, clock)
    assert reminders(fake) == []


async def test_two_workers_at_once_send_each_reminder_once(planned, fake, database_url):
    import asyncio

    async with transaction(planned) as db:
        m2 = await db.get(Measure, 2)
        m2.cadence = "FREQ=MONTHLY;BYMONTHDAY=1"  # an RRULE: due on the 1st, like m1
        db.add(m2)
    clock = FakeClock(datetime(2026, 12, 2, 9, 30, tzinfo=UTC))
    outcomes = await asyncio.gather(work(planned, fake, clock), work(planned, fake, clock), return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, WorkerRefused)]
    if database_url.startswith("sqlite"):
        assert len(refused) <= 1  # at most one of two simultaneous workers runs
    else:
        assert refused == []
    # m1 and m2 overdue: each to its owner, and both to the lead in one DM; each sent once
    assert sorted(m["channel"] for m in reminders(fake)) == sorted([PRIYA, TOM, LEAD])
    [to_lead] = reminders(fake, LEAD)
    assert "2 measures need a progress update" in to_lead["text"]
    assert "Apprenticeships on the contract" in str(to_lead["blocks"]) and "Local labour" in str(to_lead["blocks"])


async def test_a_year_of_overdue_weekly_measures_is_one_dm_a_day_at_most(planned, fake):
    """Ten weekly measures of Priya's, never reported for a year: each day's reminders are one
    DM listing each measure once (its latest period), never one DM per missed period."""
    async with transaction(planned) as db:
        for n in range(10):
            db.add(
                Measure(
                    project_id=1,
                    key=f"w{n}",
                    name=f"Weekly measure {n}",
                    unit="hours",
                    owner=PRIYA,
                    cadence="weekly",
                    baseline_value=0,
                    baseline_date=date(2025, 11, 3),
                    target_value=100,
                    target_date=date(2028, 3, 31),
                )
            )
    clock = FakeClock(datetime(2026, 11, 30, 9, 30, tzinfo=UTC))  # a Monday, a year on
    per_day = []
    for _ in range(14):
        before = {person: len(reminders(fake, person)) for person in (PRIYA, LEAD)}
        await work(planned, fake, clock)
        per_day.append(max(len(reminders(fake, person)) - before[person] for person in (PRIYA, LEAD)))
        clock.current += timedelta(days=1)
    assert max(per_day) == 1, per_day  # the owner, and the lead for what is overdue: one DM a day at most
    first = next(m for m in reminders(fake, PRIYA))
    listed = [f"Weekly measure {n}" for n in range(10) if f"*Weekly measure {n}*" in str(first["blocks"])]
    assert len(listed) == 10 and str(first["blocks"]).count("*Weekly measure 0*") == 1


async def test_a_full_batch_does_not_split_a_persons_reminders(planned, fake):
    """99 posts fall due first, then Priya's reminders: the batch of 100 holds only one of hers;
    the rest come along, and she gets one DM."""
    async with transaction(planned) as db:
        project = (await db.exec(select(Project))).one()
        for n in range(6):
            db.add(
                Measure(
                    project_id=project.id,
                    key=f"p{n}",
                    name=f"Priya's measure {n}",
                    unit="people",
                    owner=PRIYA,
                    cadence="weekly",
                    baseline_value=0,
                    baseline_date=date(2025, 11, 3),
                    target_value=100,
                    target_date=date(2028, 3, 31),
                )
            )
        for n in range(BATCH - 1):
            message = Message(key=f"busy:{n}", channel=f"C{n:04d}", text="Busy", groups=[[{"type": "divider"}]])
            await queue(db, message, workspace_id=None, due_at=datetime(2026, 11, 30, 8, tzinfo=UTC))
    clock = FakeClock(datetime(2026, 11, 30, 9, 30, tzinfo=UTC))
    await work(planned, fake, clock)
    [dm] = reminders(fake, PRIYA)
    assert all(f"*Priya's measure {n}*" in str(dm["blocks"]) for n in range(6))

"""The web process killed (SIGKILL) in the middle of a burst of answers, as a crash or an
out-of-memory kill would: every answer Slack was told was received is stored, once (the worker
handles what the killed process left in the inbox); what was not acknowledged Slack resends to
the next process, and it is stored once; the database stays whole and every plan's place
agrees with its answers."""

import asyncio
import os
import signal
import socket
import subprocess
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy import text
from sqlmodel import select

from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.inbox import replayer
from bot.worker.loop import run_worker
from storage.engine import transaction
from storage.models import Answer, FlowSession, InboxEntry, InboxState, Project
from tests.clock import FakeClock
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, command_body, dm_event, event_body, signed_headers
from tests.reliability.conftest import worker_client
from tests.terminal import SOCIALVALUE

USERS = 24
ROUNDS = max(1, int(os.environ.get("SOCIALVALUE_SOAK_ROUNDS", "20")) // 20)  # make soak: 50


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Web:
    """`socialvalue serve` on a port, against the fake Slack."""

    def __init__(self, database_url: str, fake, **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/slack/events"
        self.env = env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": f"{fake.url}/api/",
            "LOG_LEVEL": "ERROR",
            **settings,
        }
        command = [SOCIALVALUE, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def up(self, http: aiohttp.ClientSession) -> None:
        for _ in range(300):
            try:
                async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
        raise AssertionError("socialvalue serve did not start")

    def stop(self, signum: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        self.process.wait(timeout=30)


async def post(http: aiohttp.ClientSession, url: str, body: str, content_type: str, headers: dict | None = None) -> int | None:
    """The HTTP status Slack would get, or None if the connection died first."""
    try:
        sent = {"Content-Type": content_type, **signed_headers(body), **(headers or {})}
        async with http.post(url, data=body.encode(), headers=sent) as response:
            await response.read()
            return response.status
    except aiohttp.ClientError:
        return None


async def check_the_database(engine, round_: int) -> dict[str, list]:
    """Whole, with foreign keys holding, and each user's answers and place in their plan."""
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert (await connection.exec_driver_sql("PRAGMA integrity_check")).scalar() == "ok"
            assert (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all() == []
        else:
            orphans = "SELECT count(*) FROM answer a LEFT JOIN project p ON p.id = a.project_id WHERE p.id IS NULL"
            assert (await connection.execute(text(orphans))).scalar() == 0
    async with transaction(engine) as db:
        projects = {p.id: p.name for p in (await db.exec(select(Project).where(Project.name.startswith(f"Kill {round_} ")))).all()}
        answers: dict[str, list] = {name: [] for name in projects.values()}
        for answer in (await db.exec(select(Answer).where(Answer.project_id.in_(projects)).order_by(Answer.id))).all():
            answers[projects[answer.project_id]].append((answer.field, answer.value))
        places = {
            projects[s.project_id]: s.position for s in (await db.exec(select(FlowSession).where(FlowSession.project_id.in_(projects))))
        }
        pending = (await db.exec(select(InboxEntry).where(InboxEntry.state == InboxState.PENDING))).all()
    assert pending == []
    return {name: [answers[name], places.get(name)] for name in answers}


async def one_round(round_: int, engine, database_url: str, fake, http: aiohttp.ClientSession) -> dict[str, int]:
    web = Web(database_url, fake)
    await web.up(http)
    response_url = f"{fake.url}/response/kill"
    users = [f"UK{round_:02d}{u:03d}" for u in range(USERS)]
    for u, user in enumerate(users):  # a project and an open plan for each user, each command answered before the next
        for command in (f"new Kill {round_} {u}", "plan"):
            body = command_body(command, user=user, channel=f"CK{round_:02d}{u:03d}", response_url=response_url)
            answered = len(fake.of("response_url"))
            assert await post(http, web.url, body, "application/x-www-form-urlencoded") == 200
            await fake.wait_for("response_url", answered + 1)
    answers = {user: event_body(dm_event(f"Answer {user}", user=user, channel="D" + user[1:])) for user in users}
    statuses: dict[str, int | None] = {}

    async def answer(user: str) -> None:
        statuses[user] = await post(http, web.url, answers[user], "application/json")

    burst = [asyncio.create_task(answer(user)) for user in users]
    while len(statuses) < USERS // 3:
        await asyncio.sleep(0.001)
    web.stop(signal.SIGKILL)  # mid-burst
    await asyncio.gather(*burst)
    acknowledged = sorted(user for user, status in statuses.items() if status == 200)

    web = Web(database_url, fake)  # the supervisor starts another; Slack resends what got no 200
    await web.up(http)
    # Slack resends what got no 200, up to three times; a 503 (the request could not be stored
    # in time on a loaded machine) is one more resend, never a loss.
    resent = [user for user in users if statuses[user] != 200]
    for retry in range(1, 4):
        again = await asyncio.gather(
            *(post(http, web.url, answers[u], "application/json", {"X-Slack-Retry-Num": str(retry)}) for u in resent)
        )
        resent = [user for user, status in zip(resent, again, strict=True) if status != 200]
        if not resent:
            break
        await asyncio.sleep(0.5)
    assert resent == []
    await fake.settle(0.5)
    web.stop()

    # A minute later the worker handles what the killed process had acknowledged but not handled.
    clock = FakeClock(datetime.now(UTC) + timedelta(minutes=2))
    settings = Settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=f"{fake.url}/api/")
    replay = replayer(build_app(settings, engine, clock, replaying=True), engine)
    await run_worker(engine, worker_client(f"{fake.url}/api/"), once=True, clock=clock, replay=replay)

    async with transaction(engine) as db:
        replayed = len(
            (
                await db.exec(
                    select(InboxEntry).where(InboxEntry.attempts > 1, InboxEntry.user_id.in_(users), InboxEntry.key.startswith("event:"))
                )
            ).all()
        )
    found = await check_the_database(engine, round_)
    stored_once = [name for name, (answers_of, _) in found.items() if len(answers_of) == 1]
    not_once = {name: answers_of for name, (answers_of, _) in found.items() if len(answers_of) != 1}
    assert len(found) == USERS and not_once == {}
    assert all(answers_of[0][1] == f"Answer UK{round_:02d}{int(name.split()[-1]):03d}" for name, (answers_of, _) in found.items())
    assert len({place for _, place in found.values()}) == 1  # every plan at the same next question
    return {"acknowledged": len(acknowledged), "resent": len(resent), "replayed": replayed, "stored once": len(stored_once)}


async def test_killing_the_web_process_mid_burst_loses_no_acknowledged_answer(engine, database_url, fake):
    async with aiohttp.ClientSession() as http:
        figures = [await one_round(n, engine, database_url, fake, http) for n in range(ROUNDS)]
    print(f"\n{ROUNDS} rounds of {USERS} answers, the web process SIGKILLed a third of the way in:")
    for n, figure in enumerate(figures):
        print(
            f"  round {n}: {figure['acknowledged']} acknowledged before the kill, {figure['resent']} resent by Slack,"
            f" {figure['replayed']} left in the inbox and handled by the worker, {figure['stored once']} of {USERS} stored once"
        )

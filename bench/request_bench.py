"""Benchmark: SQL statements and transactions per Slack request, counted by SQLAlchemy event
listeners on the real app over HTTP (signed requests, the fake Slack Web API on loopback).

Measures three requests a user makes every day: one DM answer in the middle of the plan, one
button click on a question, one `/socialvalue status`. Each is repeated (N times, fresh
answers each time) and the counts averaged; prints a table, and with --baseline FILE the
ratios against figures saved by an earlier run (--save FILE).

    make bench-requests
    .venv/bin/python bench/request_bench.py --repeat 20 --save before.json
    BENCH_DATABASE_URL=postgresql+asyncpg://... .venv/bin/python bench/request_bench.py
"""

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

import aiohttp
import uvicorn
from cryptography.fernet import Fernet
from pydantic import SecretStr
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))

from seed import empty_database

from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.oauth import installations
from bot.slack.server import asgi_app
from storage.engine import create_engine
from tests.fake_slack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM,
    block_actions,
    command_body,
    dm_event,
    event_body,
    interaction_body,
    signed_headers,
    start_fake_slack,
)

LEAD, CHANNEL = "ULEAD", "C0001"
# The plan's "why" question answered up to the drivers (a menu and Save), then its client.
PURPOSE = "Jobs and skills for Derby"


class Counter:
    def __init__(self, engine) -> None:
        self.statements = self.transactions = 0
        self.seen: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._statement)
        event.listen(engine.sync_engine, "begin", self._begin)

    def _statement(self, _connection, _cursor, statement: str, *_args) -> None:
        self.statements += 1
        self.seen.append(" ".join(statement.split())[:110])

    def _begin(self, *_args) -> None:
        self.transactions += 1

    def reset(self) -> tuple[int, int]:
        taken = (self.statements, self.transactions)
        self.statements = self.transactions = 0
        self.last, self.seen = self.seen, []
        return taken


async def settle(fake, quiet: float = 0.15) -> None:
    await fake.settle(quiet)


async def post(http, url: str, body: str, content_type: str) -> None:
    headers = {"Content-Type": content_type, **signed_headers(body)}
    async with http.post(f"{url}/slack/events", data=body.encode(), headers=headers) as response:
        await response.read()
        assert response.status == 200, response.status


async def run(args) -> dict[str, tuple[float, float]]:
    url = await empty_database(args.url)
    engine = create_engine(url)
    fake, fake_runner = await start_fake_slack()
    settings = Settings(database_url=url, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=f"{fake.url}/api/")
    if args.distributed:  # the workspace installed from "Add to Slack": each request authorised from the database
        key = Fernet.generate_key().decode()
        settings = settings.model_copy(
            update={
                "slack_bot_token": SecretStr(""),
                "slack_client_id": "1.2",
                "slack_client_secret": SecretStr("s"),
                "socialvalue_encryption_key": SecretStr(key),
            }
        )
        await installations(settings, engine).async_save(
            Installation(app_id="A0001", team_id=TEAM, bot_token=BOT_TOKEN, bot_user_id="UBOT", user_id=LEAD)
        )
    server = uvicorn.Server(
        uvicorn.Config(
            asgi_app(build_app(settings, engine), engine, SIGNING_SECRET), host="127.0.0.1", port=0, lifespan="off", log_level="warning"
        )
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    app_url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    counter = Counter(engine)
    totals: dict[str, list[tuple[int, int]]] = {"DM answer mid-plan": [], "button click": [], "slash status": []}
    dm = "D" + LEAD[1:]
    shown: dict[str, list[str]] = {}
    try:
        async with aiohttp.ClientSession() as http:

            async def command(text_: str) -> None:
                body = command_body(text_, user=LEAD, channel=CHANNEL, response_url=f"{fake.url}/response/{LEAD}")
                await post(http, app_url, body, "application/x-www-form-urlencoded")
                await settle(fake)

            def questions() -> list[dict]:
                return [m for m in fake.of("chat.postMessage") if m.get("channel") == dm and m.get("blocks")]

            async def say(text_: str, n: int) -> None:
                body = event_body(dm_event(text_, user=LEAD, channel=dm), event_id=f"Ev{n:08d}")
                await post(http, app_url, body, "application/json")
                await settle(fake)

            for n in range(args.repeat):
                await command(f"new Scheme {n}")
                await command(f"plan Scheme {n}")
                asked = len(questions())
                counter.reset()
                await say(PURPOSE, 2 * n)  # purpose -> drivers: a DM answer in the middle of the plan
                while len(questions()) == asked:
                    await asyncio.sleep(0.05)
                await settle(fake)
                totals["DM answer mid-plan"].append(counter.reset())
                shown["DM answer mid-plan"] = counter.last
                question = questions()[-1]
                save = next(
                    (b, e)
                    for b in question["blocks"]
                    if b["type"] == "actions"
                    for e in b["elements"]
                    if e["action_id"] == "plan_multi_save"
                )
                state = {save[0]["block_id"]: {"plan_multi": {"type": "multi_static_select", "selected_options": [{"value": "client"}]}}}
                action = {"action_id": "plan_multi_save", "block_id": save[0]["block_id"], "type": "button", "value": "save"}
                counter.reset()
                body = interaction_body(
                    block_actions(action, user=LEAD, channel=dm, message={"ts": question["ts"], "blocks": question["blocks"]}, state=state)
                )
                await post(http, app_url, body, "application/x-www-form-urlencoded")
                await settle(fake)
                totals["button click"].append(counter.reset())
                shown["button click"] = counter.last
                await say("National Highways", 2 * n + 1)
                await say("pause", 10_000 + n)  # the next project's plan is opened by its own command
                counter.reset()
                await command(f"status Scheme {n}")
                totals["slash status"].append(counter.reset())
                shown["slash status"] = counter.last
    finally:
        server.should_exit = True
        await serving
        await fake_runner.cleanup()
        await engine.dispose()
    if args.statements:
        for name, statements in shown.items():
            print(f"\n{name}:", *statements, sep="\n  ")
    return {name: (sum(s for s, _ in rows) / len(rows), sum(t for _, t in rows) / len(rows)) for name, rows in totals.items()}


def summary(figures: dict[str, tuple[float, float]], baseline: dict[str, list[float]]) -> list[tuple[str, str, str, str]]:
    """Statements per request against the saved baseline, as rows of the one table `make bench` prints."""
    rows = []
    for name, (statements, transactions) in figures.items():
        was = baseline.get(name)
        against = f"{was[0]:.1f} (saved baseline)" if was else "-"
        ratio = f"{statements / was[0]:.2f}x" if was else "-"
        rows.append((f"request: {name}, statements / transactions", f"{statements:.1f} / {transactions:.1f}", against, ratio))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--statements", action="store_true", help="print the SQL of the last request of each kind")
    parser.add_argument("--save", type=Path, help="write the figures here (by backend), to compare a later run against")
    parser.add_argument("--baseline", type=Path, help="figures saved by an earlier run (e.g. before a change)")
    parser.add_argument("--distributed", action="store_true", help="the workspace installed from Add to Slack (distributed mode)")
    args = parser.parse_args()
    backend = ("postgresql" if args.url else "sqlite") + (" distributed" if args.distributed else "")
    started = time.perf_counter()
    figures = asyncio.run(run(args))
    baseline = json.loads(args.baseline.read_text()).get(backend, {}) if args.baseline else {}
    print(f"\n{backend}: {args.repeat} of each, {time.perf_counter() - started:.1f} s in all")
    print(f"{'request':<22} {'statements':>11} {'transactions':>13}" + (f"   {'baseline':>17}  {'ratio':>5}" if baseline else ""))
    for name, (statements, transactions) in figures.items():
        line = f"{name:<22} {statements:>11.1f} {transactions:>13.1f}"
        if name in baseline:
            was_s, was_t = baseline[name]
            line += f"   {was_s:>8.1f} {was_t:>8.1f}  {statements / was_s:>5.2f}x"
        print(line)
    if args.save:
        saved = json.loads(args.save.read_text()) if args.save.exists() else {}
        args.save.write_text(json.dumps({**saved, backend: figures}, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""The real app over HTTP, as Slack drives it: signed Slack-shaped requests to the Bolt app
served by uvicorn on loopback, which talks to the fake Slack Web API (tests/fake_slack.py)."""

import asyncio
import json
from dataclasses import dataclass

import aiohttp
from sqlmodel import select

from bot.settings import Settings
from bot.slack.app import build_app, slack_client
from bot.slack.inbox import replayer
from bot.worker.loop import run_worker
from storage.answers import answer_history
from storage.engine import transaction
from storage.models import FlowSession, Project
from tests.clock import FakeClock
from tests.fake_slack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    block_actions,
    command_body,
    dm_event,
    event_body,
    interaction_body,
    signed_headers,
    view_submission,
)

LEAD, MEMBER, CHANNEL = "ULEAD", "UMEMBER", "C0001"


@dataclass
class Slack:
    fake: FakeSlack
    app_url: str
    http: aiohttp.ClientSession
    engine: object
    clock: FakeClock

    async def run_worker(self):
        """One pass of the worker, as `socialvalue worker --once` runs it."""
        settings = Settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=f"{self.fake.url}/api/")
        replay = replayer(build_app(settings, self.engine, self.clock, replaying=True), self.engine)
        client = slack_client(settings, wait_out_rate_limits=False)
        return await run_worker(self.engine, client, once=True, clock=self.clock, replay=replay)

    async def post(self, body: str, content_type: str, headers: dict | None = None, signed: bool = True) -> aiohttp.ClientResponse:
        sent = {"Content-Type": content_type, **(signed_headers(body) if signed else {}), **(headers or {})}
        async with self.http.post(f"{self.app_url}/slack/events", data=body.encode(), headers=sent) as response:
            await response.read()
            return response

    async def command(
        self,
        text: str,
        *,
        user: str = LEAD,
        channel: str = CHANNEL,
        team: str | None = None,
        wait: bool = True,
        escaped: bool = True,
    ) -> aiohttp.ClientResponse:
        """Send /socialvalue; like a person, wait for its answer (every subcommand answers)."""
        body = command_body(
            text,
            user=user,
            channel=channel,
            response_url=f"{self.fake.url}/response/{user}",
            escaped=escaped,
            **({"team": team} if team else {}),
        )
        answered = len(self.fake.of("response_url"))
        response = await self.post(body, "application/x-www-form-urlencoded")
        if wait and response.status == 200:
            await self.fake.wait_for("response_url", answered + 1)
        return response

    async def add_editor(self, user: str, *, by: str = LEAD) -> str:
        """The lead lets `user` change the plan, as they would: by naming them with @; returns the answer."""
        await self.command(f"project editors add <@{user}|{user.lower()}>", user=by, escaped=False)
        return self.fake.of("response_url")[-1]["text"]

    async def event(self, event: dict, *, event_id: str | None = None, retry: int | None = None) -> aiohttp.ClientResponse:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return await self.post(event_body(event, event_id=event_id), "application/json", headers)

    async def dm(self, text: str, *, user: str = LEAD, thread_ts: str | None = None, event_id: str | None = None) -> aiohttp.ClientResponse:
        return await self.event(dm_event(text, user=user, channel=dm_channel(user), thread_ts=thread_ts), event_id=event_id)

    async def interact(self, payload: dict) -> aiohttp.ClientResponse:
        return await self.post(interaction_body(payload), "application/x-www-form-urlencoded")

    async def submit(self, view: dict, values: dict, *, user: str = LEAD) -> tuple[int, dict | None]:
        body = interaction_body(view_submission(view, values, user=user))
        sent = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
        async with self.http.post(f"{self.app_url}/slack/events", data=body.encode(), headers=sent) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text.strip() else None)

    def questions(self, user: str = LEAD) -> list[dict]:
        """Messages with blocks posted to the user's DM, oldest first."""
        return [m for m in self.fake.of("chat.postMessage") if m.get("channel") == dm_channel(user) and m.get("blocks")]

    async def next_question(self, count: int, user: str = LEAD) -> dict:
        """Wait for the `count`th question message in the user's DM."""
        for _ in range(300):
            if len(self.questions(user)) >= count:
                return self.questions(user)[count - 1]
            await asyncio.sleep(0.02)
        raise AssertionError(f"only {len(self.questions(user))} questions posted, expected {count}")

    async def question_recorded(self, question: dict) -> None:
        """Wait until the app has recorded which message asks its open question (just after
        posting it): only then is a typed reply taken as that question's answer."""
        for _ in range(300):
            async with transaction(self.engine) as db:
                if (await db.exec(select(FlowSession).where(FlowSession.question_ts == question["ts"]))).first() is not None:
                    return
            await asyncio.sleep(0.02)
        raise AssertionError(f"the question {question['ts']} was never recorded")

    async def click_in(
        self,
        message: dict,
        value: str | None = None,
        *,
        action_id: str | None = None,
        user: str = LEAD,
        selected: list[str] | None = None,
        date: str | None = None,
        channel: str | None = None,
        person: str | None = None,
    ) -> aiohttp.ClientResponse:
        """Click in a posted question: a button by value or action id, a menu, a date, a channel or a person."""
        ts = message["ts"]
        for block in message["blocks"]:
            for element in block.get("elements", []) if block["type"] == "actions" else []:
                action = {"action_id": element["action_id"], "block_id": block["block_id"], "type": element["type"]}
                if element["type"] == "button" and (
                    element.get("value") == value and value is not None or element["action_id"] == action_id
                ):
                    if element["action_id"] == "plan_multi_save":
                        state = {
                            block["block_id"]: {
                                "plan_multi": {"type": "multi_static_select", "selected_options": [{"value": v} for v in selected or []]}
                            }
                        }
                        return await self.interact(
                            block_actions(
                                {**action, "value": "save"},
                                user=user,
                                channel=dm_channel(user),
                                message={"ts": ts, "blocks": message["blocks"]},
                                state=state,
                            )
                        )
                    return await self.interact(
                        block_actions(
                            {**action, "value": element["value"]},
                            user=user,
                            channel=dm_channel(user),
                            message={"ts": ts, "blocks": message["blocks"]},
                        )
                    )
                if element["type"] == "static_select" and value is not None and any(o["value"] == value for o in element["options"]):
                    return await self.interact(
                        block_actions(
                            {**action, "selected_option": {"value": value}}, user=user, channel=dm_channel(user), message={"ts": ts}
                        )
                    )
                if element["type"] == "conversations_select" and channel:
                    return await self.interact(
                        block_actions({**action, "selected_conversation": channel}, user=user, channel=dm_channel(user), message={"ts": ts})
                    )
                if element["type"] == "users_select" and person is not None:
                    return await self.interact(
                        block_actions({**action, "selected_user": person}, user=user, channel=dm_channel(user), message={"ts": ts})
                    )
                if element["type"] == "datepicker" and date:
                    return await self.interact(
                        block_actions({**action, "selected_date": date}, user=user, channel=dm_channel(user), message={"ts": ts})
                    )
        raise AssertionError(
            f"nothing to click for {value or action_id or date or channel or person} in {json.dumps(message['blocks'])[:2000]}"
        )


def dm_channel(user: str) -> str:
    return "D" + user.lstrip("U")


NAME = "A38 Derby Junctions"


async def stored_answers(engine):
    async with transaction(engine) as db:
        project = (await db.exec(select(Project).where(Project.name == NAME))).one()
        return project, await answer_history(db, project_id=project.id)


async def start(slack: Slack, name: str = NAME) -> dict:
    """A project created in the channel, and the first question of its plan in the lead's DM."""
    await slack.command(f"new {name}")
    await slack.command("plan")
    return await slack.next_question(1)

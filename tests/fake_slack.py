"""A fake Slack Web API on loopback, and Slack-shaped signed requests to send the app.

The fake answers the methods the app calls, records every call, and refuses what Slack
would refuse (too many blocks, too long a section), so a test fails where Slack would.
"""

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

TEAM = "T0001"
BOT_USER = "UBOT"
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    answer: dict[str, Any] = field(default_factory=dict)  # what the fake answered
    at: float = field(default_factory=time.monotonic, compare=False)  # when it was received
    to: str = field(default="", compare=False)  # the response_url's id, for a call to one
    token: str = field(default="", compare=False)  # the token it was made with


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    url: str = ""
    refuse: dict[str, list[dict]] = field(default_factory=dict)  # method -> queued error answers
    rate_limit: dict[str, list[int]] = field(default_factory=dict)  # method -> Retry-After of queued 429s
    workspace_admins: set[str] = field(default_factory=set)  # users.info says is_admin for these
    people: dict[str, dict] = field(default_factory=dict)  # user -> what users.info says besides the defaults
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id -> bytes uploaded
    # channel -> what conversations.info says of it besides the defaults (the app is a member);
    # None: channel_not_found (a private channel the app is not in)
    channels: dict[str, dict | None] = field(default_factory=dict)
    refuse_in: dict[str, str] = field(default_factory=dict)  # channel -> the error every post there gets
    limit_call: dict[tuple[str, int], int] = field(default_factory=dict)  # (method, nth call from 1) -> Retry-After of a 429
    delay: dict[str, float] = field(default_factory=dict)  # method -> seconds it takes to answer
    # (method, nth call from 1): done as asked, then the connection is dropped before the answer
    drop_answer: set[tuple[str, int]] = field(default_factory=set)
    # (method, nth call from 1): done as asked, and the answer never comes (the caller dies waiting)
    hang: set[tuple[str, int]] = field(default_factory=set)
    received: Counter[str] = field(default_factory=Counter)  # calls so far, by method
    arrived: Counter[str] = field(default_factory=Counter)  # calls so far, by method, counted before any delay
    # Distributed mode: code -> what oauth.v2.access answers for it (once); refresh token -> the
    # same for a token rotation; token -> the workspace auth.test says it is of.
    codes: dict[str, dict] = field(default_factory=dict)
    refreshes: dict[str, dict] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def of(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every call of `method`, with the ts the fake gave, if any."""
        return [{**c.args, **({"ts": c.answer["ts"]} if "ts" in c.answer else {})} for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 15) -> list[dict[str, Any]]:
        """Wait until `method` has been called at least `count` times in all."""
        deadline = time.monotonic() + timeout
        while len(self.of(method)) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{method} called {len(self.of(method))} times, expected {count}: {[c.method for c in self.calls]}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return self.of(method)

    async def settle(self, quiet: float = 0.6) -> None:
        """Wait until no call has arrived for `quiet` seconds (long enough for a loaded machine
        running the suite on every core; a test that expects a call waits for it first)."""
        while True:
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), quiet)
            except TimeoutError:
                return

    def mrkdwn_texts(self) -> list[str]:
        """Every text Slack would parse for mentions and links: messages' `text` and every
        mrkdwn text object, in messages, responses and views."""
        found: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, dict):
                if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
                    found.append(value["text"])
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)

        for call in self.calls:
            if isinstance(call.args.get("text"), str):
                found.append(call.args["text"])
            walk(call.args)
        return found

    # -- the server ---------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.text()
        if request.content_type == "application/json":
            args = json.loads(raw or "{}")
        else:
            args = dict(parse_qsl(raw))
        args = {**dict(request.query), **args}  # slack_sdk sends some arguments as query parameters
        for key in ("blocks", "view", "metadata"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        self.arrived[method] += 1
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or str(args.get("token", ""))
        if self.delay.get(method):
            await asyncio.sleep(self.delay[method])
        self.received[method] += 1
        nth = self.received[method]
        if self.rate_limit.get(method) or (method, nth) in self.limit_call:
            retry_after = self.rate_limit[method].pop(0) if self.rate_limit.get(method) else self.limit_call.pop((method, nth))
            answer = {"ok": False, "error": "ratelimited"}
            self.calls.append(Call(method, args, answer, token=token))
            self._changed.set()
            return web.json_response(answer, status=429, headers={"Retry-After": str(retry_after)})
        if self.refuse.get(method):
            answer = self.refuse[method].pop(0)
        elif (
            method in ("chat.postMessage", "files.completeUploadExternal")
            and (args.get("channel") or args.get("channel_id")) in self.refuse_in
        ):
            answer = {"ok": False, "error": self.refuse_in[args.get("channel") or args["channel_id"]]}
        elif problem := check_limits(method, args):
            answer = {"ok": False, "error": problem}
        else:
            answer = self.answer(method, args, token)
        self.calls.append(Call(method, args, answer, token=token))
        self._changed.set()
        if (method, nth) in self.drop_answer:
            assert request.transport is not None
            request.transport.close()  # Slack did it; its answer is lost on the way
        while (method, nth) in self.hang and request.transport is not None and not request.transport.is_closing():
            await asyncio.sleep(0.05)  # until the caller is gone
        return web.json_response(answer)

    def answer(self, method: str, args: dict[str, Any], token: str = "") -> dict[str, Any]:
        if method == "auth.test":
            team = self.teams.get(token, TEAM)
            return {"ok": True, "user_id": BOT_USER, "bot_id": "BBOT", "team_id": team, "team": "Test", "url": "https://test.slack.com/"}
        if method == "oauth.v2.access":
            if args.get("grant_type") == "refresh_token":
                granted = self.refreshes.pop(args.get("refresh_token", ""), None)
                return {"ok": True, **granted} if granted else {"ok": False, "error": "invalid_refresh_token"}
            granted = self.codes.pop(args.get("code", ""), None)
            return {"ok": True, **granted} if granted else {"ok": False, "error": "invalid_code"}
        if method in ("chat.postMessage", "chat.update"):
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts") or f"{1700000000 + next(self._ts)}.000100"}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{1700000000 + next(self._ts)}.000200"}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", "")).lstrip("U")}}
        if method.startswith("views."):
            return {"ok": True, "view": {"id": f"V{next(self._ts)}", **(args.get("view") or {})}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):06d}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = json.loads(args["files"]) if isinstance(args.get("files"), str) else args.get("files")
            return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in files]}
        if method == "conversations.history":  # a DM's messages, newest first, with their metadata
            channel = str(args.get("channel", ""))
            places = {channel, "U" + channel[1:]} if channel.startswith("D") else {channel}
            posted = [c for c in self.calls if c.method == "chat.postMessage" and c.args.get("channel") in places and c.answer.get("ok")]
            messages = [{"ts": c.answer["ts"], "text": c.args.get("text", ""), "metadata": c.args.get("metadata")} for c in posted]
            return {"ok": True, "messages": messages[::-1]}
        if method == "conversations.info":
            channel = args.get("channel", "")
            if channel in self.channels and self.channels[channel] is None:
                return {"ok": False, "error": "channel_not_found"}
            found = {"id": channel, "is_member": True, "is_archived": False, "is_im": channel.startswith("D"), "is_mpim": False}
            return {"ok": True, "channel": {**found, **(self.channels.get(channel) or {})}}
        if method == "chat.getPermalink":
            channel, ts = str(args.get("channel", "")), str(args.get("message_ts", ""))
            return {"ok": True, "channel": channel, "permalink": f"https://test.slack.com/archives/{channel}/p{ts.replace('.', '')}"}
        if method == "users.info":
            user = str(args.get("user"))
            found = {
                "id": user,
                "tz": "Europe/London",
                "real_name": "Test User",
                "deleted": False,
                "is_admin": user in self.workspace_admins,
            }
            return {"ok": True, "user": {**found, **self.people.get(user, {})}}
        return {"ok": True}

    async def handle_upload(self, request: web.Request) -> web.Response:
        """The upload URL files.getUploadURLExternal gave out."""
        self.uploads[request.match_info["file_id"]] = await request.read()
        self.calls.append(Call("upload", {"file_id": request.match_info["file_id"]}))
        self._changed.set()
        return web.Response(text=f"OK - {len(self.uploads[request.match_info['file_id']])}")

    async def handle_response_url(self, request: web.Request) -> web.Response:
        self.calls.append(Call("response_url", json.loads(await request.text()), to=request.match_info["id"]))
        self._changed.set()
        return web.Response(text="ok")


def check_limits(method: str, args: dict[str, Any]) -> str | None:
    blocks = args.get("blocks") or (args.get("view") or {}).get("blocks") or []
    limit = 100 if method.startswith("views.") else 50
    if len(blocks) > limit:
        return "invalid_blocks"
    for block in blocks:
        text = (block.get("text") or {}).get("text", "") if isinstance(block.get("text"), dict) else ""
        if block.get("type") == "section" and len(text) > 3000:
            return "invalid_blocks"
        if block.get("type") == "header" and len(text) > 150:
            return "invalid_blocks"
    if len(json.dumps(blocks)) > 16_000 and not method.startswith("views."):
        return "msg_blocks_too_long"
    return None


async def start_fake_slack() -> tuple[FakeSlack, web.AppRunner]:
    fake = FakeSlack()
    app = web.Application()
    app.router.add_post("/api/{method}", fake.handle)
    app.router.add_get("/api/{method}", fake.handle)
    app.router.add_post("/response/{id}", fake.handle_response_url)
    app.router.add_post("/upload/{file_id}", fake.handle_upload)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    fake.url = f"http://127.0.0.1:{port}"
    return fake, runner


# -- signed requests, as Slack sends them -------------------------------------------------------


def signed_headers(body: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def slack_escape(text: str) -> str:
    """How Slack encodes what a user typed in a message or command."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ids = itertools.count(1)


def command_body(
    text: str, *, user: str, channel: str, response_url: str, team: str = TEAM, escaped: bool = True, enterprise: str | None = None
) -> str:
    """A slash command as Slack posts it. `escaped=False` sends `text` as it is, for the live
    tokens Slack makes of picked #channels and @people."""
    return urlencode(
        {
            "token": "legacy",
            "team_id": team,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "a38",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/socialvalue",
            "text": slack_escape(text) if escaped else text,
            "api_app_id": "A0001",
            "is_enterprise_install": "true" if enterprise else "false",
            **({"enterprise_id": enterprise, "enterprise_name": "Grid"} if enterprise else {}),
            "response_url": response_url,
            "trigger_id": f"trigger-{next(_ids)}",
        }
    )


def event_body(event: dict[str, Any], *, event_id: str | None = None, team: str = TEAM) -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": team,
            "api_app_id": "A0001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team, "user_id": BOT_USER, "is_bot": True}],
        }
    )


def dm_event(text: str, *, user: str, channel: str, thread_ts: str | None = None) -> dict[str, Any]:
    ts = f"{int(time.time())}.{next(_ids):06d}"
    event = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": slack_escape(text),
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def interaction_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def block_actions(
    action: dict[str, Any],
    *,
    user: str,
    channel: str,
    message: dict[str, Any] | None = None,
    state: dict | None = None,
    view: dict | None = None,
    team: str = TEAM,
) -> dict[str, Any]:
    payload = {
        "type": "block_actions",
        "team": {"id": team, "domain": "test"},
        "user": {"id": user, "team_id": team},
        "api_app_id": "A0001",
        "token": "legacy",
        "trigger_id": f"trigger-{next(_ids)}",
        "actions": [{**action, "action_ts": f"{int(time.time())}.1"}],
        "state": {"values": state or {}},
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "V1")}
        payload["view"] = view
    else:
        payload["container"] = {"type": "message", "message_ts": (message or {}).get("ts", "1.1"), "channel_id": channel}
        payload["channel"] = {"id": channel}
        payload["message"] = message or {"ts": "1.1", "blocks": []}
    return payload


def message_action(
    callback_id: str, *, user: str, channel: str, message: dict[str, Any], team: str = TEAM, response_url: str = ""
) -> dict[str, Any]:
    """A message shortcut, as Slack sends it when someone picks it from a message's ⋯ menu."""
    return {
        "type": "message_action",
        "callback_id": callback_id,
        "trigger_id": f"trigger-{next(_ids)}",
        "response_url": response_url,
        "team": {"id": team, "domain": "test"},
        "channel": {"id": channel, "name": "a38-derby"},
        "user": {"id": user, "name": user.lower(), "team_id": team},
        "message": {"type": "message", **message},
        "message_ts": message.get("ts", ""),
        "action_ts": f"{int(time.time())}.2",
        "token": "legacy",
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_submission(view: dict[str, Any], values: dict[str, Any], *, user: str, team: str = TEAM) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": team, "domain": "test"},
        "user": {"id": user, "team_id": team},
        "api_app_id": "A0001",
        "token": "legacy",
        "trigger_id": f"trigger-{next(_ids)}",
        "view": {**view, "id": view.get("id", "V1"), "team_id": team, "app_id": "A0001", "state": {"values": values}},
    }

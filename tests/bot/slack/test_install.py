"""Distributed mode: workspaces installed from "Add to Slack", each served with its own token.

Two web processes (each its own Bolt app and database engine, as two `socialvalue serve`) share
one database: an install completed on one is served by the other. The install states are
checked the way Slack's redirect brings them back: missing, unknown, expired, used, or brought
back twice at once."""

import asyncio
import html
import logging
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from sqlalchemy import select, update

from bot.settings import Settings
from bot.slack.app import slack_client
from bot.slack.oauth import BOT_SCOPES, installations
from bot.worker.kinds import queue_dm
from bot.worker.loop import run_worker
from bot.worker.tokens import Installs
from storage.engine import create_engine, transaction
from storage.models import SLACK_BOTS, SLACK_INSTALLATIONS, Job, JobStatus, OAuthState, Project, Workspace
from storage.projects import get_or_create_workspace
from tests.bot.conftest import web_process
from tests.fake_slack import SIGNING_SECRET, command_body, event_body, signed_headers, start_fake_slack

CLIENT_ID, CLIENT_SECRET = "1111.2222", "client-secret-for-tests"
KEY = Fernet.generate_key().decode()
TWO, THREE = "T0002", "T0003"
TOKEN_TWO = "xoxb-2-two-highways"


def grant(team: str | None, token: str, name: str = "Two Highways") -> dict:
    """What oauth.v2.access answers for an install in `team`."""
    return {
        "access_token": token,
        "token_type": "bot",
        "scope": ",".join(BOT_SCOPES),
        "bot_user_id": "UBOT",
        "app_id": "A0001",
        "team": {"id": team, "name": name},
        "enterprise": None,
        "authed_user": {"id": "UADMIN"},
        "is_enterprise_install": False,
    }


class Web:
    """Two web processes on one database, and a browser with its cookies."""

    def __init__(self, fake, urls: list[str], http: aiohttp.ClientSession) -> None:
        self.fake, self.urls, self.http = fake, urls, http
        self.cookies: dict[str, str] = {}  # the browser's (Bolt's state cookie is Secure: kept here, as over HTTPS)

    async def get(self, path: str, *, on: int = 0, **query: str) -> tuple[int, str]:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        async with self.http.get(
            f"{self.urls[on]}{path}", params=query, allow_redirects=False, headers={"Cookie": cookie} if cookie else {}
        ) as response:
            self.cookies.update({name: morsel.value for name, morsel in response.cookies.items()})
            return response.status, await response.text()

    async def install_link(self, *, on: int = 0) -> str:
        status, page = await self.get("/slack/install", on=on)
        assert status == 200 and "Add to Slack" in page
        return html.unescape(re.search(r'<a href="([^"]+)"', page).group(1))

    async def state(self, *, on: int = 0) -> str:
        return parse_qs(urlparse(await self.install_link(on=on)).query)["state"][0]

    async def command(self, text: str, *, team: str, on: int = 1, enterprise: str | None = None) -> int:
        body = command_body(
            text, user="ULEAD", channel="C0001", response_url=f"{self.fake.url}/response/ULEAD", team=team, enterprise=enterprise
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
        async with self.http.post(f"{self.urls[on]}/slack/events", data=body.encode(), headers=headers) as response:
            return response.status


def distributed(database_url: str, fake, *, key: str = KEY, **more) -> Settings:
    return Settings(
        database_url=database_url,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=f"{fake.url}/api/",
        socialvalue_encryption_key=key,
        **more,
    )


@pytest.fixture
async def web(database_url, clock):
    fake, runner = await start_fake_slack()
    settings = distributed(database_url, fake)
    engines = [create_engine(database_url), create_engine(database_url)]  # a process each
    try:
        async with (
            web_process(settings, engines[0], clock) as first,
            web_process(settings, engines[1], clock) as second,
            aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
        ):
            yield Web(fake, [first, second], http)
            await fake.settle(0.2)
    finally:
        for engine in engines:
            await engine.dispose()
        await runner.cleanup()


async def stored(engine, table) -> list[dict]:
    async with engine.connect() as connection:
        return [dict(row) for row in (await connection.execute(select(table))).mappings()]


async def test_the_install_page_links_to_slack_with_the_apps_scopes_and_a_fresh_state(web, engine):
    link = await web.install_link()
    asked = parse_qs(urlparse(link).query)
    assert link.startswith("https://slack.com/oauth/v2/authorize?")
    assert asked["client_id"] == [CLIENT_ID] and asked["scope"] == [",".join(BOT_SCOPES)]
    assert asked["state"][0] != await web.state()  # each visit its own
    assert len(await stored(engine, OAuthState.__table__)) == 2


async def test_an_install_on_one_web_process_is_served_by_the_other_from_the_shared_database(web, engine):
    web.fake.codes["code-2"] = grant(TWO, TOKEN_TWO)
    web.fake.teams[TOKEN_TWO] = TWO
    state = await web.state(on=0)
    status, page = await web.get("/slack/oauth_redirect", on=0, code="code-2", state=state)
    assert status == 200 and "Installed in Two Highways" in page

    [bot] = await stored(engine, SLACK_BOTS)
    assert (bot["team_id"], bot["enterprise_id"], bot["client_id"]) == (TWO, None, CLIENT_ID)
    assert bot["bot_token"].startswith("fernet:") and "xox" not in bot["bot_token"]  # sealed at rest
    [installation] = await stored(engine, SLACK_INSTALLATIONS)
    assert "xox" not in installation["bot_token"]
    assert [w["team_id"] for w in await stored(engine, Workspace.__table__)] == [TWO]
    assert await stored(engine, OAuthState.__table__) == []  # used up

    before = len(web.fake.calls)
    assert await web.command("new Two Roads", team=TWO, on=1) == 200
    [answer] = await web.fake.wait_for("response_url")
    assert "Created *Two Roads*" in answer["text"]
    made = web.fake.calls[before:]
    assert made and {call.token for call in made if call.method != "response_url"} == {TOKEN_TWO}


async def test_an_org_wide_install_serves_each_workspace_of_the_organisation_apart(web, engine):
    web.fake.codes["code-org"] = {
        **grant(None, "xoxb-org-grid"),
        "team": None,
        "enterprise": {"id": "E0001", "name": "Grid"},
        "is_enterprise_install": True,
    }
    status, page = await web.get("/slack/oauth_redirect", code="code-org", state=await web.state())
    assert status == 200 and "Installed in Grid" in page
    [bot] = await stored(engine, SLACK_BOTS)
    assert (bot["enterprise_id"], bot["team_id"], bot["is_enterprise_install"]) == ("E0001", None, True)

    for n, team in enumerate(("T0005", "T0006")):
        assert await web.command("new Grid Roads", team=team, enterprise="E0001", on=n % 2) == 200
        answers = await web.fake.wait_for("response_url", n + 1)
        assert "Created *Grid Roads*" in answers[n]["text"]
    workspaces = await stored(engine, Workspace.__table__)
    assert sorted((w["enterprise_id"], w["team_id"]) for w in workspaces) == [("E0001", "T0005"), ("E0001", "T0006")]
    async with engine.connect() as connection:
        projects = [(row.workspace_id, row.name) for row in await connection.execute(select(Project.__table__))]
    assert sorted(projects) == sorted((w["id"], "Grid Roads") for w in workspaces)  # one each, apart
    assert {call.token for call in web.fake.calls if call.method not in ("response_url", "oauth.v2.access", "auth.test")} == {
        "xoxb-org-grid"
    }


async def test_a_workspace_without_an_installation_is_told_so_and_nothing_is_stored(web, engine):
    assert await web.command("new Three Roads", team=THREE, on=1) == 200
    [answer] = await web.fake.wait_for("response_url")
    assert "not installed in this workspace" in answer["text"]
    assert await stored(engine, Workspace.__table__) == []


@pytest.mark.parametrize("case", ["missing", "unknown", "expired", "used", "other browser"])
async def test_an_install_whose_state_is_not_good_installs_nothing(web, engine, case):
    web.fake.codes["code-2"] = grant(TWO, TOKEN_TWO)
    state = await web.state()
    if case == "used":
        status, _ = await web.get("/slack/oauth_redirect", code="code-2", state=state)
        assert status == 200
        web.fake.codes["code-2b"] = grant(TWO, "xoxb-2-again")
        state_again, code = state, "code-2b"
    else:
        state_again, code = {"missing": "", "unknown": "not-a-state-we-issued"}.get(case, state), "code-2"
    if case == "expired":
        async with transaction(engine) as db:
            await db.exec(update(OAuthState).values(expire_at=datetime.now(UTC) - timedelta(seconds=1)))
    if case == "other browser":
        web.cookies.clear()
    installed = len(await stored(engine, SLACK_BOTS))
    exchanged = len(web.fake.of("oauth.v2.access"))

    status, page = await web.get("/slack/oauth_redirect", code=code, **({"state": state_again} if state_again else {}))

    assert status in (400, 401) and "Not installed" in page and "expired or was already used" in page
    assert len(await stored(engine, SLACK_BOTS)) == installed  # nothing more
    assert len(web.fake.of("oauth.v2.access")) == exchanged  # the code was never exchanged


async def test_one_state_brought_back_twice_at_once_installs_once(web, engine):
    web.fake.codes["code-2"] = grant(TWO, TOKEN_TWO)
    web.fake.codes["code-2b"] = grant(TWO, "xoxb-2-again")
    state = await web.state()
    answers = await asyncio.gather(
        web.get("/slack/oauth_redirect", on=0, code="code-2", state=state),
        web.get("/slack/oauth_redirect", on=1, code="code-2b", state=state),
    )
    assert sorted(status for status, _ in answers) == [200, 401]
    assert len(web.fake.of("oauth.v2.access")) == 1
    assert len(await stored(engine, SLACK_BOTS)) == 1


async def test_slack_refusing_the_code_installs_nothing_and_says_so(web, engine):
    status, page = await web.get("/slack/oauth_redirect", code="a-code-slack-does-not-know", state=await web.state())
    assert status == 401 and "Slack did not complete the install (invalid_code)" in page
    assert await stored(engine, SLACK_BOTS) == [] and await stored(engine, Workspace.__table__) == []


async def test_cancelled_in_slack_installs_nothing(web, engine):
    status, page = await web.get("/slack/oauth_redirect", error="access_denied", state=await web.state())
    assert status == 200 and "The install was cancelled in Slack" in page
    written = "Call 0800 000 000 to finish <b>your install</b>"  # a link anyone can write
    status, page = await web.get("/slack/oauth_redirect", error=written, state=await web.state())
    assert "Slack did not complete the install (unknown_error)" in page and "0800" not in page and "<b>" not in page
    assert await stored(engine, SLACK_BOTS) == []


async def test_an_uninstall_removes_the_installation_and_keeps_the_data(web, engine):
    web.fake.codes["code-2"] = grant(TWO, TOKEN_TWO)
    assert (await web.get("/slack/oauth_redirect", code="code-2", state=await web.state()))[0] == 200
    assert await web.command("new Two Roads", team=TWO) == 200
    await web.fake.wait_for("response_url")
    body = event_body({"type": "app_uninstalled", "event_ts": "1.1"}, team=TWO)
    async with web.http.post(
        f"{web.urls[1]}/slack/events", data=body.encode(), headers={"Content-Type": "application/json", **signed_headers(body)}
    ) as response:
        assert response.status == 200
    for _ in range(500):  # handled after the ack: the installation deleted first, then the workspace marked
        if (await stored(engine, Workspace.__table__))[0]["uninstalled_at"] is not None:
            break
        await asyncio.sleep(0.02)
    [workspace] = await stored(engine, Workspace.__table__)
    assert workspace["uninstalled_at"] is not None  # quiet, and its project kept
    assert await stored(engine, SLACK_BOTS) == [] and await stored(engine, SLACK_INSTALLATIONS) == []

    web.fake.codes["code-2b"] = grant(TWO, "xoxb-2-again")  # installed again
    assert (await web.get("/slack/oauth_redirect", code="code-2b", state=await web.state()))[0] == 200
    [workspace] = await stored(engine, Workspace.__table__)
    assert workspace["uninstalled_at"] is None


async def _installed(engine, settings: Settings, team: str, token: str, **more) -> int:
    store = installations(settings, engine)
    await store.async_save(
        Installation(
            app_id="A0001", team_id=team, team_name=team, bot_token=token, bot_id="BBOT", bot_user_id="UBOT", user_id="UADMIN", **more
        )
    )
    async with transaction(engine) as db:
        return (await get_or_create_workspace(db, team_id=team)).id


async def _worker(engine, settings: Settings, clock) -> None:
    client = slack_client(settings, wait_out_rate_limits=False)
    rotator = AsyncTokenRotator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, client=client)
    await run_worker(engine, client, once=True, clock=clock, installs=Installs(engine, installations(settings, engine), rotator))


async def test_the_worker_sends_each_workspaces_messages_with_its_own_token(database_url, engine, clock):
    fake, runner = await start_fake_slack()
    settings = distributed(database_url, fake)
    try:
        two = await _installed(engine, settings, TWO, TOKEN_TWO)
        three = await _installed(engine, settings, THREE, "xoxb-3-three-rivers")
        four = await _installed(engine, settings, "T0004", "xoxb-4-gone")
        async with transaction(engine) as db:
            for workspace, to in ((two, "UTWO"), (three, "UTHREE"), (four, "UFOUR")):
                await queue_dm(db, key=f"hello-{to}", to=to, text=f"Hello {to}", now=clock.now(), workspace_id=workspace)
        await installations(settings, engine).async_delete_all(enterprise_id=None, team_id="T0004")  # its installation is gone

        await _worker(engine, settings, clock)

        posted = {call.args["channel"]: call.token for call in fake.calls if call.method == "chat.postMessage"}
        assert posted == {"UTWO": TOKEN_TWO, "UTHREE": "xoxb-3-three-rivers"}
        async with transaction(engine) as db:
            jobs = {job.payload["channel"]: (job.status, job.last_error) for job in (await db.exec(select(Job))).scalars()}
            gone = await db.get(Workspace, four)
        assert jobs["UFOUR"] == (JobStatus.DROPPED, "the app is no longer installed in the workspace: no installation")
        assert gone.uninstalled_at is not None  # quiet from now on
    finally:
        await runner.cleanup()


async def test_a_token_sealed_with_a_key_no_longer_given_holds_its_workspaces_messages_only(database_url, engine, clock):
    """A key removed too soon: that workspace's messages wait (and say why); nothing is dropped
    and the workspace is not taken as uninstalled; the other workspaces' are sent."""
    fake, runner = await start_fake_slack()
    try:
        two = await _installed(engine, distributed(database_url, fake), TWO, TOKEN_TWO)  # sealed with KEY
        settings = distributed(database_url, fake, key=Fernet.generate_key().decode())  # KEY is gone
        three = await _installed(engine, settings, THREE, "xoxb-3-three-rivers")
        async with transaction(engine) as db:
            for workspace, to in ((two, "UTWO"), (three, "UTHREE")):
                await queue_dm(db, key=f"hello-{to}", to=to, text=f"Hello {to}", now=clock.now(), workspace_id=workspace)

        await _worker(engine, settings, clock)

        assert [call.args["channel"] for call in fake.calls if call.method == "chat.postMessage"] == ["UTHREE"]
        async with transaction(engine) as db:
            jobs = {job.payload["channel"]: job for job in (await db.exec(select(Job))).scalars()}
            workspace = await db.get(Workspace, two)
        assert jobs["UTWO"].status == JobStatus.PENDING and "SOCIALVALUE_ENCRYPTION_KEY does not hold" in jobs["UTWO"].last_error
        assert workspace.uninstalled_at is None
    finally:
        await runner.cleanup()


async def test_a_rotation_slack_refuses_holds_that_workspaces_messages_and_the_pass_goes_on(database_url, engine, clock):
    fake, runner = await start_fake_slack()
    settings = distributed(database_url, fake)
    try:
        two = await _installed(engine, settings, TWO, "xoxe.xoxb-old", bot_refresh_token="xoxe-1-revoked", bot_token_expires_in=600)
        async with transaction(engine) as db:
            await queue_dm(db, key="hello", to="UTWO", text="Hello", now=clock.now(), workspace_id=two)
            db.add(Project(workspace_id=two, name="Two Roads", lead="UTWO"))  # a lead to look up: Slack is asked with the token

        await _worker(engine, settings, clock)  # the pass ends: no exception out of it

        assert [c.answer.get("error") for c in fake.calls if c.method == "oauth.v2.access"] == ["invalid_refresh_token"] * 2
        assert fake.of("chat.postMessage") == [] and fake.of("users.info") == []
        async with transaction(engine) as db:
            [job] = (await db.exec(select(Job))).scalars().all()
            workspace = await db.get(Workspace, two)
        assert job.status == JobStatus.PENDING and "invalid_refresh_token" in job.last_error
        assert workspace.uninstalled_at is None  # not taken as uninstalled: the token may come back
    finally:
        await runner.cleanup()


async def test_the_worker_rotates_a_token_near_its_expiry_and_keeps_the_new_one_sealed(database_url, engine, clock):
    fake, runner = await start_fake_slack()
    settings = distributed(database_url, fake)
    try:
        two = await _installed(engine, settings, TWO, "xoxe.xoxb-old", bot_refresh_token="xoxe-1-first", bot_token_expires_in=600)
        fake.refreshes["xoxe-1-first"] = {
            "access_token": "xoxe.xoxb-new",
            "refresh_token": "xoxe-1-second",
            "expires_in": 43200,
            "token_type": "bot",
        }
        async with transaction(engine) as db:
            await queue_dm(db, key="hello", to="UTWO", text="Hello", now=clock.now(), workspace_id=two)

        await _worker(engine, settings, clock)

        [rotation] = fake.of("oauth.v2.access")
        assert (rotation["grant_type"], rotation["refresh_token"]) == ("refresh_token", "xoxe-1-first")
        assert [call.token for call in fake.calls if call.method == "chat.postMessage"] == ["xoxe.xoxb-new"]
        bot = await installations(settings, engine).bot_of(enterprise_id="", team_id=TWO)
        assert (bot.bot_token, bot.bot_refresh_token) == ("xoxe.xoxb-new", "xoxe-1-second")
        assert all("xox" not in (row["bot_token"] or "") for row in await stored(engine, SLACK_BOTS))
    finally:
        await runner.cleanup()


async def test_no_log_record_of_an_install_holds_a_token_or_the_client_secret(web, caplog, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("what is logged does not depend on the database")
    caplog.set_level(logging.DEBUG)
    web.fake.codes["code-2"] = grant(TWO, TOKEN_TWO)
    assert (await web.get("/slack/oauth_redirect", code="code-2", state=await web.state()))[0] == 200
    assert await web.command("new Two Roads", team=TWO) == 200
    await web.fake.wait_for("response_url")

    assert any("oauth.v2.access" in record.getMessage() for record in caplog.records)  # slack_sdk's DEBUG records were captured
    logged = "\n".join(logging.Formatter("%(name)s %(message)s").format(record) for record in caplog.records)
    assert "xox" not in logged and CLIENT_SECRET not in logged and KEY not in logged

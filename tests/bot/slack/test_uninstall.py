"""The app uninstalled from a workspace, or its token revoked: the workspace goes quiet (its
unsent jobs dropped, nothing more planned or sent, the worker quiet), its data kept until it
is exported and deleted on request, and it comes back with the next request Slack sends.
Two workspaces share channel ids, user ids and project names: nothing of the other changes."""

import json
from datetime import UTC, datetime

from sqlmodel import select

from bot.worker.kinds import Message
from flows.outbox import queue
from storage.engine import transaction
from storage.models import Answer, DigestConfig, Job, JobStatus, Workspace
from tests.factories import WHOLE_PLAN, plan_in_slack
from tests.fake_slack import TEAM, event_body
from tests.slack_app import CHANNEL, LEAD

OTHER = "T0002"
STEERING = "C0STEER"


async def rows(engine, model) -> list:
    async with transaction(engine) as db:
        return list((await db.exec(select(model).order_by(model.id))).all())


async def two_workspaces(slack) -> dict[str, int]:
    """The same project in two workspaces, each with a weekly digest and a message waiting."""
    ids = {}
    for team in (TEAM, OTHER):
        project = await plan_in_slack(slack.engine, WHOLE_PLAN, team=team, channel=CHANNEL, lead=LEAD)
        ids[team] = project.workspace_id
        async with transaction(slack.engine) as db:
            db.add(DigestConfig(workspace_id=project.workspace_id, channel_id=STEERING, updated_by=LEAD))
            message = Message(key=f"waiting:{team}", channel=LEAD, text=f"For {team}", groups=[[{"type": "divider"}]])
            await queue(db, message, due_at=datetime(2026, 11, 30, 12, tzinfo=UTC), workspace_id=project.workspace_id)
    return ids


async def uninstall_event(slack, event: dict, *, team: str = TEAM, org: str | None = None) -> None:
    body = json.loads(event_body(event, team=team))
    if org:
        body |= {"enterprise_id": org, "is_enterprise_install": True}
        body["authorizations"][0] |= {"enterprise_id": org, "is_enterprise_install": True}
    from tests.fake_slack import signed_headers

    text = json.dumps(body)
    response = await slack.post(text, "application/json", headers=signed_headers(text), signed=False)
    assert response.status == 200
    await slack.fake.settle()


async def test_an_uninstalled_workspace_goes_quiet_keeps_its_data_and_returns_with_its_next_request(slack, clock):
    ids = await two_workspaces(slack)
    answers = len(await rows(slack.engine, Answer))
    await uninstall_event(slack, {"type": "app_uninstalled", "event_ts": "1.1"})
    await uninstall_event(slack, {"type": "app_uninstalled", "event_ts": "1.1"})  # Slack's retry: the same

    gone, other = await rows(slack.engine, Workspace)
    assert gone.uninstalled_at is not None and other.uninstalled_at is None
    jobs = {job.workspace_id: job for job in await rows(slack.engine, Job)}
    assert jobs[ids[TEAM]].status == JobStatus.DROPPED and "uninstalled" in jobs[ids[TEAM]].last_error
    assert jobs[ids[OTHER]].status == JobStatus.PENDING

    clock.at("2026-11-30T12:00:00")  # Monday: both digests and the waiting messages are due
    before = len(slack.fake.calls)
    await slack.run_worker()
    sent = [c for c in slack.fake.calls[before:] if c.method == "chat.postMessage"]
    assert sorted(c.args["text"][:20] for c in sent if c.args["channel"] == LEAD) == ["For T0002"]
    assert len([c for c in sent if c.args["channel"] == STEERING]) == 1  # the other workspace's digest only
    assert {j.workspace_id for j in await rows(slack.engine, Job) if j.kind == "digest"} == {ids[OTHER]}
    assert len(await rows(slack.engine, Answer)) == answers  # the plan is theirs: kept

    await slack.command("status", team=TEAM)  # installed again: Slack sends its requests
    assert "A38 Derby Junctions" in json.dumps(slack.fake.of("response_url")[-1])
    assert all(w.uninstalled_at is None for w in await rows(slack.engine, Workspace))


async def test_a_revoked_bot_token_is_an_uninstall_and_a_person_s_token_is_not(slack):
    ids = await two_workspaces(slack)
    await uninstall_event(slack, {"type": "tokens_revoked", "tokens": {"oauth": ["UPRIYA"]}, "event_ts": "1.1"})
    assert all(w.uninstalled_at is None for w in await rows(slack.engine, Workspace))
    await uninstall_event(slack, {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}, "event_ts": "1.2"}, team=OTHER)
    quiet = [w.team_id for w in await rows(slack.engine, Workspace) if w.uninstalled_at]
    assert quiet == [OTHER]
    assert {j.workspace_id: j.status for j in await rows(slack.engine, Job)} == {
        ids[TEAM]: JobStatus.PENDING,
        ids[OTHER]: JobStatus.DROPPED,
    }


async def test_an_org_wide_uninstall_quiets_every_workspace_of_the_organisation(slack):
    async with transaction(slack.engine) as db:
        for enterprise, team in (("E0ORG", "T0001"), ("E0ORG", "T0002"), ("", "T0001")):
            db.add(Workspace(enterprise_id=enterprise, team_id=team))
    await uninstall_event(slack, {"type": "app_uninstalled", "event_ts": "1.1"}, org="E0ORG")
    quiet = {(w.enterprise_id, w.team_id): w.uninstalled_at is not None for w in await rows(slack.engine, Workspace)}
    assert quiet == {("E0ORG", "T0001"): True, ("E0ORG", "T0002"): True, ("", "T0001"): False}


async def test_the_worker_takes_a_revoked_token_for_the_workspace_gone_not_for_a_failed_message(slack, clock):
    ids = await two_workspaces(slack)
    async with transaction(slack.engine) as db:
        for n in range(3):  # more of the first workspace's, due before the other's
            message = Message(key=f"more:{n}", channel=f"U{n}", text=f"More {n}", groups=[[{"type": "divider"}]])
            await queue(db, message, due_at=datetime(2026, 11, 29, 11, tzinfo=UTC), workspace_id=ids[TEAM])
    slack.fake.refuse["chat.postMessage"] = [{"ok": False, "error": "token_revoked"}]
    clock.at("2026-11-29T11:30:00")  # Sunday
    result = await slack.run_worker()
    # Due then: the three, and last week's digest of each workspace (caught up once).
    assert (result.failed, result.dropped, result.sent) == (0, 4, 1)
    posts = [c for c in slack.fake.calls if c.method == "chat.postMessage"]
    assert [p.answer.get("error") for p in posts] == ["token_revoked", None]  # the other workspace's digest
    # the first refusal was the last try: the other jobs of the workspace were never tried
    statuses = {(j.workspace_id, j.status) for j in await rows(slack.engine, Job) if j.kind == "message"}
    assert statuses == {(ids[TEAM], JobStatus.DROPPED), (ids[OTHER], JobStatus.PENDING)}
    assert [w.team_id for w in await rows(slack.engine, Workspace) if w.uninstalled_at] == [TEAM]
    assert not [j for j in await rows(slack.engine, Job) if j.status == JobStatus.FAILED]  # nobody is told of a failure

    clock.at("2026-11-30T12:00:00")
    await slack.run_worker()  # the other workspace carries on; the first stays quiet
    later = [c.args["channel"] for c in slack.fake.calls if c.method == "chat.postMessage"][2:]
    assert sorted(later) == sorted([LEAD, STEERING])

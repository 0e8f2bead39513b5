"""Four workspaces with the same channel id, user ids and project name: two on their own, two
in one organisation under an org-wide install. Whatever one asks (status, the project list,
App Home, case studies, the digest preview), it is shown its own rows only, by their ids and
by what they say."""

import json
from urllib.parse import parse_qsl, urlencode

from bot.slack.ids import EditRef, ProjectRef
from storage.engine import transaction
from tests.factories import WHOLE_PLAN, plan_in_slack, shared_case_study
from tests.fake_slack import command_body, event_body, signed_headers
from tests.slack_app import CHANNEL, LEAD, NAME

# (enterprise, team): an org-wide install serves every team of E0ORG from one installation.
WORKSPACES = [("", "T0001"), ("", "T0002"), ("E0ORG", "T0003"), ("E0ORG", "T0004")]


def label(team: str) -> str:
    return f"Purpose of {team}"


async def seeded(slack) -> dict[str, int]:
    ids = {}
    for enterprise, team in WORKSPACES:
        project = await plan_in_slack(slack.engine, [label(team), *WHOLE_PLAN[1:]], team=team, channel=CHANNEL, lead=LEAD)
        async with transaction(slack.engine) as db:
            if enterprise:
                from storage.models import Workspace

                workspace = await db.get_one(Workspace, project.workspace_id)
                workspace.enterprise_id = enterprise
                db.add(workspace)
            await shared_case_study(db, project, title=f"Study of {team}", author=LEAD, now=slack.clock.now())
        ids[team] = project.id
    return ids


def as_org_wide(body: str, enterprise: str) -> str:
    fields = dict(parse_qsl(body)) | {"enterprise_id": enterprise, "is_enterprise_install": "true"}
    return urlencode(fields)


async def ask(slack, text: str, enterprise: str, team: str) -> dict:
    body = command_body(text, user=LEAD, channel=CHANNEL, response_url=f"{slack.fake.url}/response/{LEAD}", team=team)
    body = as_org_wide(body, enterprise) if enterprise else body
    before = len(slack.fake.of("response_url"))
    response = await slack.post(body, "application/x-www-form-urlencoded", headers=signed_headers(body), signed=False)
    assert response.status == 200
    return (await slack.fake.wait_for("response_url", before + 1))[-1]


def project_ids_in(shown: dict) -> set[int]:
    """The project ids the buttons of an answer or a view carry."""
    ids = set()
    for block in shown.get("blocks", []):
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            value = element.get("value") or ""
            for ref in (EditRef, ProjectRef):
                try:
                    ids.add(ref.decode(value).project)
                    break
                except Exception:
                    continue
    return ids


async def test_each_workspace_sees_only_its_own_rows(slack, clock):
    clock.at("2026-11-30T08:00:00")  # Monday: this week's case studies are in the digest at 09:00
    ids = await seeded(slack)
    for enterprise, team in WORKSPACES:
        others = [label(t) for _, t in WORKSPACES if t != team] + [f"Study of {t}" for _, t in WORKSPACES if t != team]

        status = await ask(slack, "status", enterprise, team)
        assert label(team) in json.dumps(status)
        assert project_ids_in(status) == {ids[team]}, team

        listed = await ask(slack, "projects", enterprise, team)
        assert json.dumps(listed).count(NAME) == 1

        studies = await ask(slack, "casestudies all", enterprise, team)
        assert f"Study of {team}" in json.dumps(studies)

        preview = await ask(slack, "digest preview", enterprise, team)
        assert f"Study of {team}" in json.dumps(preview)

        home_event = {"type": "app_home_opened", "user": LEAD, "channel": "DLEAD", "tab": "home", "event_ts": "1.2"}
        home = json.loads(event_body(home_event, team=team))
        if enterprise:  # as Slack sends an org-wide install's events
            home |= {"enterprise_id": enterprise, "is_enterprise_install": True}
            home["authorizations"][0] |= {"enterprise_id": enterprise, "is_enterprise_install": True}
        before = len(slack.fake.of("views.publish"))
        text = json.dumps(home)
        await slack.post(text, "application/json", headers=signed_headers(text), signed=False)
        [*_, view] = await slack.fake.wait_for("views.publish", before + 1)
        assert project_ids_in(view["view"]) == {ids[team]} and f"Study of {team}" in json.dumps(view)

        for shown in (status, listed, studies, preview, view):
            assert not [other for other in others if other in json.dumps(shown)], (team, shown)

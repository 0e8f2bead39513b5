"""Menus of more than Slack's 100 options: searched as the user types (external_select), in
a question and in an edit form, with every choice reachable and nothing silently cut."""

import json

from sqlmodel import select

from storage.engine import transaction
from storage.models import Measure, Project
from storage.projects import add_measure, add_need, list_communities
from tests.factories import WHOLE_PLAN, plan_in_slack
from tests.fake_slack import TEAM, block_actions, interaction_body, signed_headers
from tests.slack_app import CHANNEL, LEAD, start

TO_THE_NEEDS_QUESTION = ["Jobs for Derby", "1, 2", "National Highways", "Chaddesden | Derby DE21", "done"]
TO_THE_MEASURES_NEEDS = ["done", "2", "1", "Local labour | FTE", "done"]


async def search(slack, block_id: str, action_id: str, typed: str, view: dict | None = None) -> list[dict]:
    payload = {
        "type": "block_suggestion",
        "team": {"id": TEAM, "domain": "test"},
        "user": {"id": LEAD, "team_id": TEAM},
        "api_app_id": "A0001",
        "token": "legacy",
        "action_id": action_id,
        "block_id": block_id,
        "value": typed,
        "container": {"type": "view" if view else "message"},
    }
    if view is not None:
        payload["view"] = view
    body = interaction_body(payload)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
    async with slack.http.post(f"{slack.app_url}/slack/events", data=body.encode(), headers=headers) as response:
        assert response.status == 200
        return json.loads(await response.text())["options"]


async def test_a_question_of_150_needs_is_searched_and_any_one_can_be_picked(slack):
    """A plan holds 100 needs now; one stored before that limit still gets a menu that reaches
    every one of them, and the picks are saved."""
    await start(slack)
    for n, answer in enumerate(TO_THE_NEEDS_QUESTION, 2):
        await slack.dm(answer)
        await slack.next_question(n)
    async with transaction(slack.engine) as db:
        project = (await db.exec(select(Project))).one()
        [community] = await list_communities(db, project_id=project.id)
        for more in range(150):
            await add_need(db, project_id=project.id, community_id=community.id, name=f"Need {more}")
    for n, answer in enumerate(TO_THE_MEASURES_NEEDS, len(slack.questions()) + 1):
        await slack.dm(answer)
        await slack.next_question(n)
    question = slack.questions()[-1]
    [answer_block] = [b for b in question["blocks"] if b["type"] == "actions" and b["block_id"].startswith("plan:")]
    menu, save = answer_block["elements"]
    assert menu["type"] == "multi_external_select" and "options" not in menu and save["action_id"] == "plan_multi_save"

    found = await search(slack, answer_block["block_id"], menu["action_id"], "need 14")
    assert [o["text"]["text"] for o in found] == ["Chaddesden: Need 14"] + [f"Chaddesden: Need {n}" for n in range(140, 150)]
    assert len(await search(slack, answer_block["block_id"], menu["action_id"], "")) == 100  # Slack's most
    whole = await search(slack, answer_block["block_id"], menu["action_id"], "whole")
    picks = [next(o for o in found if o["text"]["text"] == "Chaddesden: Need 147"), *whole]
    await slack.click_in(question, action_id="plan_multi_save", selected=[p["value"] for p in picks])
    await slack.next_question(len(slack.questions()) + 1)
    async with transaction(slack.engine) as db:
        measure = (await db.exec(select(Measure).where(Measure.key == "m1"))).one()
    assert measure.needs == ["n148", "project"]


async def test_an_altered_menu_search_offers_nothing(slack):
    assert await search(slack, "plan:999:what.needs:m1", "plan_multi", "") == []
    assert await search(slack, "plan:1:<script>", "plan_select", "") == []


async def test_a_form_of_more_fields_than_a_modal_holds_is_edited_in_pages(slack):
    """120 measures: the monitoring form (a cadence per measure, and five more) is two forms."""
    project = await plan_in_slack(slack.engine, WHOLE_PLAN, team=TEAM, channel=CHANNEL, lead=LEAD)
    async with transaction(slack.engine) as db:
        for n in range(118):
            await add_measure(db, project_id=project.id, name=f"Measure {n}", unit="people")
    await slack.command("status")  # a long answer: it comes in the DM
    await slack.fake.settle()
    messages = slack.fake.of("response_url") + slack.fake.of("chat.postMessage")
    buttons = [e for m in messages for b in m.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]
    monitoring = [b for b in buttons if b["text"]["text"].startswith("Edit monitoring")]
    assert [b["text"]["text"] for b in monitoring] == ["Edit monitoring (1 of 2)", "Edit monitoring (2 of 2)"]
    seen: list[str] = []
    for button in monitoring:
        action = {"action_id": button["action_id"], "block_id": "e", "type": "button", "value": button["value"]}
        before = len(slack.fake.of("views.open"))
        await slack.interact(block_actions(action, user=LEAD, channel=CHANNEL))
        form = (await slack.fake.wait_for("views.open", before + 1))[-1]["view"]
        assert len(form["blocks"]) <= 100
        seen += [b["block_id"] for b in form["blocks"] if b["type"] == "input"]
    assert len(seen) == len(set(seen)) == 120 + 5  # every field once: a cadence per measure, and five more
    assert "monitoring.cadence:m120" in seen
    status, answer = await slack.submit(
        form, {"monitoring.cadence:m120": {"value": {"type": "static_select", "selected_option": {"value": "quarterly"}}}}
    )
    assert status == 200 and answer is None
    async with transaction(slack.engine) as db:
        measure = (await db.exec(select(Measure).where(Measure.key == "m120"))).one()
    assert measure.cadence == "quarterly"

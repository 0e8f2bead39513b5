"""`/socialvalue community` through Slack: the list with each community's needs and gaps, its
Edit form holding the needs as rows, and refusals shown in the form with nothing stored."""

from flows.conversation.engine import load_state
from storage.engine import transaction
from tests.factories import WHAT, WHY, plan_in_slack
from tests.fake_slack import block_actions
from tests.slack_app import CHANNEL, LEAD


def typed(**fields: str | None) -> dict:
    return {block: {"value": {"type": "plain_text_input", "value": value}} for block, value in fields.items()}


def element(view: dict, block_id: str) -> dict:
    return next(b["element"] for b in view["blocks"] if b.get("block_id") == block_id)


async def test_a_community_is_listed_with_its_gaps_and_its_needs_edited_as_rows(slack):
    project = await plan_in_slack(slack.engine, [*WHY, *WHAT])
    await slack.command("community list")
    listed = slack.fake.of("response_url")[-1]
    text = str(listed["blocks"])
    assert "Chaddesden residents" in text and "safe crossings: answered by Apprenticeships on the contract" in text
    edit = next(b["accessory"] for b in listed["blocks"] if "Chaddesden" in b.get("text", {}).get("text", "") and "accessory" in b)
    click = {"action_id": edit["action_id"], "block_id": "x", "type": "button", "value": edit["value"]}
    await slack.interact({**block_actions(click, user=LEAD, channel=CHANNEL), "response_url": f"{slack.fake.url}/response/{LEAD}"})
    [opened] = await slack.fake.wait_for("views.open")
    view = opened["view"]
    assert element(view, "name")["initial_value"] == "Chaddesden residents"
    assert (
        element(view, "needs")["initial_value"] == "safe crossings | Ward profile 2024 | Derby City Council road safety team\nquiet nights"
    )

    status, answer = await slack.submit(view, typed(name="Chaddesden residents", needs="safe crossings\nquiet nights\nx | y | z | w"))
    assert "more than 3 parts" in answer["errors"]["needs"]
    needs = (
        "safe crossings | Ward profile 2024 | Derby City Council road safety team\nquiet nights\nsafe walking routes | ward consultation"
    )
    status, answer = await slack.submit(view, typed(name="Chaddesden residents", place="Derby DE21", who="12,000 households", needs=needs))
    assert (status, answer) == (200, None)
    async with transaction(slack.engine) as db:
        state = await load_state(db, project)
    assert [n.name for n in state.needs_of(state.communities[0])] == ["safe crossings", "quiet nights", "safe walking routes"]
    await slack.fake.wait_for("chat.postMessage")
    await slack.fake.settle(0.3)
    told = [str(m["blocks"]) for m in slack.fake.of("chat.postMessage") if m["channel"] == LEAD]
    assert any("community *Chaddesden residents*" in t and "Need added: safe walking routes" in t for t in told), told

    # The same form, opened before that change, cannot overwrite it.
    status, answer = await slack.submit(view, typed(name="Chaddesden residents", needs="safe crossings"))
    assert "changed this answer after you opened the form" in answer["errors"]["name"]
    async with transaction(slack.engine) as db:
        state = await load_state(db, project)
    assert len(state.needs_of(state.communities[0])) == 3


async def test_a_new_community_from_the_form_and_one_too_long_for_a_form_keeps_its_needs(slack):
    project = await plan_in_slack(slack.engine, WHY)
    await slack.command("community add", wait=False)
    [opened] = await slack.fake.wait_for("views.open")
    status, answer = await slack.submit(opened["view"], typed(name="spondon", needs=""))
    assert "already in the plan" in answer["errors"]["name"]
    status, answer = await slack.submit(opened["view"], typed(name="Alvaston allotment holders", needs="access during the works"))
    assert answer is None
    long_needs = "\n".join(f"need {i} | " + "e" * 60 for i in range(50))
    await slack.command("community edit alvaston allotment holders", wait=False)
    [_, edit] = await slack.fake.wait_for("views.open", 2)
    async with transaction(slack.engine) as db:
        state = await load_state(db, project)
    assert [c.name for c in state.communities][-1] == "Alvaston allotment holders"
    status, answer = await slack.submit(edit["view"], typed(name="Alvaston allotment holders", needs=long_needs))
    assert answer is None
    await slack.command("community edit c3", wait=False)
    [*_, long_form] = await slack.fake.wait_for("views.open", 3)
    blocks = {b.get("block_id") for b in long_form["view"]["blocks"]}
    assert "needs" not in blocks and "longer than a Slack form holds" in str(long_form["view"]["blocks"])
    status, answer = await slack.submit(long_form["view"], typed(name="Alvaston allotments"))  # renamed; needs untouched
    async with transaction(slack.engine) as db:
        state = await load_state(db, project)
    assert state.communities[-1].name == "Alvaston allotments" and len(state.needs_of(state.communities[-1])) == 50

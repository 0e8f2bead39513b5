"""Monitoring in Slack, end to end: a reminder's buttons, the update form and its errors,
/socialvalue update and status, and the update posted to the channel by the worker."""

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.slack.ids import EditRef
from storage.engine import transaction
from storage.jobs import list_jobs
from storage.models import ProgressUpdate
from tests.factories import WHOLE_PLAN, plan_in_slack
from tests.fake_slack import TEAM, block_actions
from tests.slack_app import CHANNEL, LEAD, NAME, dm_channel, stored_answers

# The A38 plan with the lead owning both measures: m1 apprenticeships 0 -> 520 weeks (monthly)
LEAD_PLAN = [{"Priya Shah": LEAD, "Tom Evans": LEAD}.get(answer, answer) for answer in WHOLE_PLAN]


@pytest.fixture
async def planned(slack, clock):
    await plan_in_slack(slack.engine, LEAD_PLAN, team=TEAM, channel=CHANNEL, lead=LEAD)
    clock.at("2026-11-24T09:30:00")
    await work(slack, clock)
    return slack


async def work(slack, clock):
    return await slack.run_worker()


def reminder(slack) -> dict:
    return next(m for m in slack.fake.of("chat.postMessage") if m["channel"] == LEAD and "metadata" in m)


async def click_reminder(slack, label: str) -> None:
    message = reminder(slack)
    button = next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e["text"]["text"] == label)
    action = {"action_id": button["action_id"], "block_id": "r", "type": "button", "value": button["value"]}
    await slack.interact(block_actions(action, user=LEAD, channel=LEAD, message={"ts": message["ts"], "blocks": message["blocks"]}))


def form_values(**fields: str) -> dict:
    return {block: {"value": {"type": "plain_text_input", "value": value}} for block, value in fields.items()}


async def updates(engine) -> list[ProgressUpdate]:
    async with transaction(engine) as db:
        return list((await db.exec(select(ProgressUpdate))).all())


async def open_form(slack) -> dict:
    before = len(slack.fake.of("views.open"))
    await click_reminder(slack, "Add update")
    return (await slack.fake.wait_for("views.open", before + 1))[-1]["view"]


async def test_an_update_from_a_reminder_is_validated_in_the_form_then_stored_and_posted(planned, clock):
    slack = planned
    form = await open_form(slack)
    assert form["callback_id"] == "progress_update"
    assert "Apprenticeships on the contract" in json.dumps(form) and "1 Dec 2026" in json.dumps(form)

    status, answer = await slack.submit(form, form_values(value="ten", evidence="ftp://files.example.org"))
    assert answer["response_action"] == "errors"
    assert "Please give a number in apprenticeship weeks" in answer["errors"]["value"]
    assert "http:// or https://" in answer["errors"]["evidence"]
    status, answer = await slack.submit(form, form_values(value="-3"))
    assert "at least 0" in answer["errors"]["value"]
    status, answer = await slack.submit(form, form_values(value="100"))
    assert "please say what will be done to recover" in answer["errors"]["recovery_action"]
    assert await updates(slack.engine) == []

    before = len(slack.fake.of("chat.postMessage"))
    status, answer = await slack.submit(form, form_values(value="180", note="Six <@UEVIL> apprentices", evidence="https://example.org/r"))
    assert status == 200 and answer is None
    [stored] = await updates(slack.engine)
    assert (stored.value, stored.period_end.isoformat(), stored.author, stored.note) == (
        180,
        "2026-12-01",
        LEAD,
        "Six <@UEVIL> apprentices",
    )
    await slack.fake.wait_for("chat.postMessage", before + 2)  # the confirmation and the post, sent right after the ack
    assert any("Saved your update on *Apprenticeships on the contract*" in m.get("text", "") for m in slack.fake.of("chat.postMessage"))

    await work(slack, clock)
    [posted] = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == CHANNEL]
    text = json.dumps(posted["blocks"])
    assert "reported *Apprenticeships on the contract*" in text and "Six &lt;@UEVIL&gt; apprentices" in text
    assert "<@UEVIL>" not in text


async def test_a_value_a_thousand_times_the_target_is_confirmed_first(planned):
    slack = planned
    form = await open_form(slack)
    status, answer = await slack.submit(form, form_values(value="600000"))
    assert answer["response_action"] == "update"
    again = answer["view"]
    assert "Please confirm" in json.dumps(again)
    assert await updates(slack.engine) == []
    status, answer = await slack.submit(again, form_values(value="600000"))
    assert answer is None
    assert [u.value for u in await updates(slack.engine)] == [600000]


async def test_snooze_and_nothing_to_report(planned, clock):
    slack = planned
    await click_reminder(slack, "Snooze 1 day")
    await slack.fake.settle()
    async with transaction(slack.engine) as db:
        snoozed = [j for j in await list_jobs(db) if j.payload.get("kind") == "snoozed"]
    assert len(snoozed) == 1 and snoozed[0].due_at == clock.now() + timedelta(days=1)
    assert any("again tomorrow" in m.get("text", "") for m in slack.fake.of("chat.postMessage"))

    await click_reminder(slack, "Nothing to report")
    await slack.fake.settle()
    [nothing] = await updates(slack.engine)
    assert nothing.value is None and nothing.period_end.isoformat() == "2026-12-01"
    clock.current += timedelta(days=1)
    result = await work(slack, clock)
    assert result.sent == 0  # the snoozed reminder is dropped: the period is reported


async def test_update_command_offers_the_callers_measures_and_status_shows_ratings(planned, clock):
    slack = planned
    await slack.command("update", wait=False)
    [opened] = await slack.fake.wait_for("views.open")
    form = opened["view"]
    options = [o["value"] for b in form["blocks"] if b["block_id"] == "measure" for o in b["element"]["options"]]
    assert options == ["m1", "m2"]
    values = {**form_values(value="200"), "measure": {"value": {"type": "static_select", "selected_option": {"value": "m1"}}}}
    status, answer = await slack.submit(form, values)
    assert answer is None
    [stored] = await updates(slack.engine)
    assert stored.value == 200

    await slack.command("status")
    shown = json.dumps(slack.fake.of("response_url")[-1])
    assert "*Apprenticeships on the contract*: Good" in shown  # 200 weeks reported for the period due 1 Dec
    assert "*Local labour*: Overdue" in shown  # its October period was never reported


async def posted_update(slack, clock) -> dict:
    form = await open_form(slack)
    before = len(slack.fake.of("chat.postMessage"))
    await slack.submit(form, form_values(value="180"))
    await slack.fake.wait_for("chat.postMessage", before + 2)  # confirmation and post, sent right after the ack
    await work(slack, clock)
    return next(m for m in slack.fake.of("chat.postMessage") if m["channel"] == CHANNEL)


async def click_posted(slack, message: dict, label: str, user: str = LEAD):
    button = next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e["text"]["text"] == label)
    action = {"action_id": button["action_id"], "block_id": "u", "type": "button", "value": button["value"]}
    payload = block_actions(action, user=user, channel=CHANNEL, message={"ts": message["ts"], "blocks": message["blocks"]})
    payload["response_url"] = f"{slack.fake.url}/response/{user}"
    await slack.interact(payload)


async def test_the_lead_approves_an_update_and_others_cannot(planned, clock):
    slack = planned
    message = await posted_update(slack, clock)
    await click_posted(slack, message, "Approve", user="UMEMBER")
    [refused] = await slack.fake.wait_for("response_url")
    assert "Only the project's lead" in refused["text"]
    [stored] = await updates(slack.engine)
    assert stored.review == "submitted"

    before = len(slack.fake.of("chat.postMessage"))
    await click_posted(slack, message, "Approve")
    await slack.fake.wait_for("chat.postMessage", before + 1)
    [stored] = await updates(slack.engine)
    assert (stored.review, stored.reviewed_by, stored.reviewed_at) == ("approved", LEAD, clock.now())
    [note] = [m for m in slack.fake.of("chat.postMessage") if m.get("thread_ts") == message["ts"]]
    assert note["text"] == f":white_check_mark: Approved by <@{LEAD}>."


async def test_the_lead_returns_an_update_with_a_comment(planned, clock):
    slack = planned
    message = await posted_update(slack, clock)
    await click_posted(slack, message, "Return")
    [opened] = (await slack.fake.wait_for("views.open", 2))[-1:]
    form = opened["view"]
    status, answer = await slack.submit(form, {"comment": {"value": {"type": "plain_text_input", "value": " "}}})
    assert answer["response_action"] == "errors" and "what should be changed" in answer["errors"]["comment"]
    before = len(slack.fake.of("chat.postMessage"))
    status, answer = await slack.submit(form, {"comment": {"value": {"type": "plain_text_input", "value": "Add the register <!here>"}}})
    assert answer is None
    await slack.fake.wait_for("chat.postMessage", before + 2)  # the note in the thread, and the DM to the author
    [stored] = await updates(slack.engine)
    assert (stored.review, stored.review_comment) == ("returned", "Add the register <!here>")
    to_author = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == LEAD and "returned your update" in m.get("text", "")]
    assert to_author and "Add the register &lt;!here&gt;" in to_author[0]["text"]


async def test_a_slow_confirmation_never_delays_the_ack_and_a_resubmitted_form_stores_once(planned, clock):
    slack = planned
    form = await open_form(slack)
    slack.fake.delay["chat.postMessage"] = 5  # Slack answering slowly (Bolt answers 404 after 3 s)
    posted_before = len(slack.fake.of("chat.postMessage"))
    status, answer = await slack.submit(form, form_values(value="180"))
    assert (status, answer) == (200, None)
    assert len(slack.fake.of("chat.postMessage")) == posted_before  # acked before any post was answered
    status, answer = await slack.submit(form, form_values(value="180"))  # the same form sent again
    assert (status, answer) == (200, None)
    slack.fake.delay.clear()
    await slack.fake.settle(6)
    await work(slack, clock)
    [stored] = await updates(slack.engine)
    assert stored.value == 180
    saved = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == LEAD and "Saved" in m.get("text", "")]
    assert len(saved) == 1
    assert len([m for m in slack.fake.of("chat.postMessage") if m["channel"] == CHANNEL]) == 1


async def test_updates_are_posted_in_the_channel_the_plan_picked(slack, clock):
    plan = [answer if answer != "#a38-social-value" else "<#C0STEER|steering>" for answer in LEAD_PLAN]
    await plan_in_slack(slack.engine, plan, team=TEAM, channel=CHANNEL, lead=LEAD)
    clock.at("2026-11-24T09:30:00")
    await work(slack, clock)
    form = await open_form(slack)
    before = len(slack.fake.of("chat.postMessage"))
    await slack.submit(form, form_values(value="180"))
    await slack.fake.wait_for("chat.postMessage", before + 2)
    posted = [m for m in slack.fake.of("chat.postMessage") if "reported *Apprenticeships" in json.dumps(m.get("blocks"))]
    assert [m["channel"] for m in posted] == ["C0STEER"]  # not the project's channel
    assert "Approve" in json.dumps(posted[0]["blocks"])
    await slack.command(f"status {NAME}")
    assert "Where updates are posted: <#C0STEER>" in str(slack.fake.of("response_url")[-1])


async def test_the_channel_question_offers_the_projects_channel_and_refuses_one_the_app_is_not_in(slack):
    await plan_in_slack(slack.engine, WHOLE_PLAN[: WHOLE_PLAN.index("#a38-social-value")], team=TEAM, channel=CHANNEL, lead=LEAD)
    await slack.command("plan")
    question = await slack.next_question(1)
    assert "Where should progress updates be posted?" in json.dumps(question["blocks"])
    menu = next(e for b in question["blocks"] if b["type"] == "actions" for e in b["elements"] if e["type"] == "conversations_select")
    assert menu["filter"]["include"] == ["public", "private"]  # never a DM
    slack.fake.channels["C0NOTIN"] = {"is_member": False}
    before = len(slack.fake.of("chat.postMessage"))
    await slack.click_in(question, channel="C0NOTIN")
    told = (await slack.fake.wait_for("chat.postMessage", before + 1))[-1]
    assert "/invite @Social Value Planner" in told["text"] and told["channel"] == dm_channel(LEAD)
    _, answers = await stored_answers(slack.engine)
    assert "updates_posted" not in {a.field for a in answers}
    await slack.click_in(question, CHANNEL)  # the project's channel, as a button
    await slack.next_question(2)
    _, answers = await stored_answers(slack.engine)
    assert [a.value for a in answers if a.field == "updates_posted"] == [CHANNEL]


async def test_the_edit_form_changes_where_updates_are_posted_with_a_channel_menu(slack):
    project = await plan_in_slack(slack.engine, LEAD_PLAN, team=TEAM, channel=CHANNEL, lead=LEAD)
    await slack.interact(
        block_actions(
            {
                "action_id": "edit_open:monitoring",
                "block_id": "e",
                "type": "button",
                "value": EditRef(project=project.id, question="monitoring").encode(),
            },
            user=LEAD,
            channel=CHANNEL,
        )
    )
    form = (await slack.fake.wait_for("views.open"))[-1]["view"]
    [block] = [b for b in form["blocks"] if b.get("block_id") == "monitoring.updates_posted"]
    assert block["element"]["type"] == "conversations_select" and "initial_conversation" not in block["element"]  # typed before
    status, answer = await slack.submit(
        form, {"monitoring.updates_posted": {"value": {"type": "conversations_select", "selected_conversation": "C0STEER"}}}
    )
    assert status == 200 and answer is None
    _, answers = await stored_answers(slack.engine)
    assert [a.value for a in answers if a.field == "updates_posted"] == ["#a38-social-value", "C0STEER"]


async def test_an_altered_channel_pick_is_refused_and_nothing_is_stored(slack):
    """A DM, or an id that is no channel, sent in place of the menu's pick."""
    await plan_in_slack(slack.engine, WHOLE_PLAN[: WHOLE_PLAN.index("#a38-social-value")], team=TEAM, channel=CHANNEL, lead=LEAD)
    await slack.command("plan")
    question = await slack.next_question(1)
    slack.fake.channels["CNOSUCH1"] = None  # Slack: channel_not_found
    for picked, told in (("DLEAD", "not to a direct message"), ("CNOSUCH1", "/invite @Social Value Planner")):
        before = len(slack.fake.of("chat.postMessage"))
        await slack.click_in(question, channel=picked)
        answer = (await slack.fake.wait_for("chat.postMessage", before + 1))[-1]
        assert told in answer["text"]
    _, answers = await stored_answers(slack.engine)
    assert "updates_posted" not in {a.field for a in answers}


async def test_an_update_rated_other_gives_its_reason_and_is_posted_with_it(planned, clock):
    slack = planned
    form = await open_form(slack)
    assert "The running total so far" in json.dumps(form)  # the value's hint follows the measure's kind
    status, answer = await slack.submit(form, form_values(value="100", other_reason="x" * 5001))
    assert answer["response_action"] == "errors" and "5001 characters long" in answer["errors"]["other_reason"]
    assert await updates(slack.engine) == []

    reason = "The client paused the works for a public inquiry"
    status, answer = await slack.submit(form, form_values(value="100", other_reason=reason))
    assert answer is None  # far below the line, and no recovery action asked: it is rated Other
    [stored] = await updates(slack.engine)
    assert (stored.value, stored.other_reason, stored.recovery_action) == (100, reason, None)
    await slack.fake.wait_for("chat.postMessage", 3)
    assert any("It is now rated *Other*" in m.get("text", "") for m in slack.fake.of("chat.postMessage"))
    await work(slack, clock)
    [posted] = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == CHANNEL]
    assert f"Rated Other because: {reason}" in json.dumps(posted["blocks"])


def period_pick(day: str) -> dict:
    return {"period": {"value": {"type": "static_select", "selected_option": {"value": day}}}}


async def test_a_missed_period_is_reported_by_picking_it_and_an_altered_pick_is_refused(planned):
    slack = planned
    form = await open_form(slack)
    [picker] = [b for b in form["blocks"] if b.get("block_id") == "period"]
    options = [o["value"] for o in picker["element"]["options"]]
    assert options[:3] == ["2026-12-01", "2026-11-01", "2026-10-01"] and options[-1] == "2026-05-01"  # newest first
    assert picker["element"]["initial_option"]["value"] == "2026-12-01"  # the reminder's period
    assert "Due 1 Oct 2026 (not reported)" in json.dumps(picker)

    status, answer = await slack.submit(form, {**form_values(value="150"), **period_pick("<!channel>")})
    assert answer["response_action"] == "errors" and "period" in answer["errors"]
    assert await updates(slack.engine) == []

    status, answer = await slack.submit(form, {**form_values(value="150"), **period_pick("2026-10-01")})
    assert answer is None
    [stored] = await updates(slack.engine)
    assert (stored.period_end.isoformat(), stored.value) == ("2026-10-01", 150)
    await slack.fake.wait_for("chat.postMessage", 3)
    assert any("for the period due 1 Oct 2026" in m.get("text", "") for m in slack.fake.of("chat.postMessage"))

"""Correcting a finished plan in Slack: the summary's forms for each community and own measure
(change it, remove it) and for new ones, end to end over signed HTTP."""

import json
from datetime import date

from flows.outbox import PlanSummary, queue
from flows.projects import workspace_of
from storage.answers import answer_history
from storage.engine import transaction
from storage.progress import append_update
from storage.projects import get_project, list_communities, list_measures
from tests.factories import WHOLE_PLAN, plan_in_slack
from tests.fake_slack import block_actions
from tests.slack_app import CHANNEL, LEAD, MEMBER, NAME, dm_channel


async def summary_buttons(slack, user: str = LEAD) -> dict[str, dict]:
    before = len(slack.fake.of("response_url"))
    await slack.command("status", user=user)
    answer = (await slack.fake.wait_for("response_url", before + 1))[-1]
    return {e["text"]["text"]: e for b in answer.get("blocks", []) if b["type"] == "actions" for e in b["elements"]}


async def open_form(slack, label: str, user: str = LEAD) -> dict:
    button = (await summary_buttons(slack, user))[label]
    before = len(slack.fake.of("views.open"))
    action = {"action_id": button["action_id"], "block_id": "b", "type": "button", "value": button["value"]}
    await slack.interact(block_actions(action, user=user, channel=dm_channel(user), message={"ts": "1.1"}))
    return (await slack.fake.wait_for("views.open", before + 1))[-1]["view"]


def typed(text: str | None) -> dict:
    return {"value": {"type": "plain_text_input", "value": text}}


REMOVE = {"remove": {"value": {"type": "radio_buttons", "selected_option": {"value": "yes"}}}}


async def rows(slack, *, retired: bool = False):
    async with transaction(slack.engine) as db:
        workspace = await workspace_of(db, team_id="T0001")
        project = await get_project(db, workspace_id=workspace.id, name=NAME)
        return (
            await list_communities(db, project_id=project.id, retired=retired),
            await list_measures(db, project_id=project.id, retired=retired),
            await answer_history(db, project_id=project.id),
        )


async def test_a_community_is_changed_then_removed_from_its_own_form_and_the_summary_follows(slack):
    await plan_in_slack(slack.engine, WHOLE_PLAN, channel=CHANNEL, lead=LEAD)
    buttons = await summary_buttons(slack)
    assert {"Edit or remove: Chaddesden residents", "Edit or remove: Spondon", "Add: Communities served", "Add: Own measures"} <= set(
        buttons
    )
    assert "Edit or remove: Local labour" in buttons and "Edit or remove: Apprenticeships on the contract" not in buttons  # catalogue

    form = await open_form(slack, "Edit or remove: Spondon")
    inputs = {b["block_id"]: b for b in form["blocks"] if b["type"] == "input"}
    assert inputs["name"]["element"]["initial_value"] == "Spondon" and inputs["place"]["element"]["initial_value"] == "Derby"
    assert "Remove it from the plan?" in inputs["remove"]["label"]["text"]
    status, answer = await slack.submit(form, {"name": typed("Spondon"), "place": typed("Derby DE21"), "who": typed("commuters")})
    assert status == 200 and answer is None
    communities, _, history = await rows(slack)
    assert communities[1].place == "Derby DE21"
    assert [a.value["place"] for a in history if a.subject == "c2"] == ["Derby", "Derby DE21"]  # a new version, the old kept

    form = await open_form(slack, "Edit or remove: Spondon")
    status, answer = await slack.submit(form, REMOVE)
    assert status == 200 and answer is None
    communities, measures, _ = await rows(slack)
    assert [c.name for c in communities] == ["Chaddesden residents"] and measures[1].needs == ["n3"]  # Spondon's need, retired with it
    buttons = await summary_buttons(slack)
    assert "Edit or remove: Spondon" not in buttons
    summary = json.dumps((slack.fake.of("response_url"))[-1]["blocks"])
    assert "Spondon" not in summary and "Still unanswered (1)" in summary  # whom local labour serves is asked again
    everything, _, _ = await rows(slack, retired=True)
    assert [(c.name, c.retired_by) for c in everything if c.retired_at] == [("Spondon", LEAD)]


async def test_new_communities_from_the_add_form_and_a_duplicate_refused_with_nothing_stored(slack):
    await plan_in_slack(slack.engine, WHOLE_PLAN, channel=CHANNEL, lead=LEAD)
    form = await open_form(slack, "Add: Communities served")
    status, answer = await slack.submit(form, {"items": typed("Oakwood | Derby DE21\nchaddesden  RESIDENTS")})
    assert status == 200 and answer["response_action"] == "errors"
    assert "Chaddesden residents" in answer["errors"]["items"]
    communities, _, _ = await rows(slack)
    assert [c.name for c in communities] == ["Chaddesden residents", "Spondon"]

    status, answer = await slack.submit(form, {"items": typed("Oakwood | Derby DE21\nAlvaston | Derby DE24")})
    assert status == 200 and answer is None
    communities, _, _ = await rows(slack)
    assert [c.name for c in communities] == ["Chaddesden residents", "Spondon", "Oakwood", "Alvaston"]


async def test_a_measure_with_updates_says_so_in_its_form_and_a_form_stale_since_its_removal_is_refused(slack):
    await plan_in_slack(slack.engine, WHOLE_PLAN, channel=CHANNEL, lead=LEAD)
    _, measures, _ = await rows(slack)
    async with transaction(slack.engine) as db:
        await append_update(
            db, measure_id=measures[1].id, period_start=date(2026, 4, 1), period_end=date(2026, 7, 1), value=14, author=LEAD
        )
    mine = await open_form(slack, "Edit or remove: Local labour")
    remove = next(b for b in mine["blocks"] if b.get("block_id") == "remove")
    assert "It has 1 progress update" in remove["label"]["text"]
    theirs = await open_form(slack, "Edit or remove: Local labour")
    await slack.add_editor(MEMBER)
    status, answer = await slack.submit(theirs, REMOVE, user=MEMBER)
    assert status == 200 and answer is None

    status, answer = await slack.submit(mine, {"name": typed("Local labour (FTE)"), "unit": typed("FTE")})
    assert status == 200 and answer["response_action"] == "errors"
    assert f"{MEMBER} removed Local labour from the plan after you opened the form" in answer["errors"]["name"]
    _, measures, history = await rows(slack)
    assert [m.name for m in measures] == ["Apprenticeships on the contract"]
    assert [a.value["name"] for a in history if (a.field, a.subject) == ("own_measures", "m2")] == ["Local labour"]
    _, everything, _ = await rows(slack, retired=True)
    assert [(m.name, m.retired_by) for m in everything if m.retired_at] == [("Local labour", MEMBER)]


async def test_a_part_holding_a_bar_or_a_name_emptied_is_refused_and_nothing_is_stored(slack):
    await plan_in_slack(slack.engine, WHOLE_PLAN, channel=CHANNEL, lead=LEAD)
    form = await open_form(slack, "Edit or remove: Local labour")
    status, answer = await slack.submit(form, {"name": typed("Local | labour"), "unit": typed("FTE")})
    assert answer["response_action"] == "errors" and "separates the parts" in answer["errors"]["name"]
    status, answer = await slack.submit(form, {"name": typed(None), "unit": typed("FTE")})
    assert answer["response_action"] == "errors" and "lacks a required part" in answer["errors"]["name"]
    _, measures, history = await rows(slack)
    assert measures[1].name == "Local labour" and len([a for a in history if a.subject == "m2" and a.field == "own_measures"]) == 1


async def summary_in_channel(slack) -> str:
    """The plan summary as the worker posts it when the plan is completed in the DM."""
    async with transaction(slack.engine) as db:
        workspace = await workspace_of(db, team_id="T0001")
        project = await get_project(db, workspace_id=workspace.id, name=NAME)
        await queue(
            db,
            PlanSummary(project_id=project.id, completed_by=LEAD, completed_at="2026-11-30T09:00:00+00:00"),
            workspace_id=None,
            due_at=slack.clock.now(),
        )
    assert (await slack.run_worker()).sent == 1
    [posted] = [c for c in slack.fake.calls if c.method == "chat.postMessage" and c.args.get("channel") == CHANNEL]
    return posted.answer["ts"]


def channel_posts(slack) -> list[dict]:
    return [m for m in slack.fake.of("chat.postMessage") if m["channel"] == CHANNEL]


async def test_a_change_after_the_summary_was_posted_updates_it_in_place_with_a_note_in_its_thread(slack):
    await plan_in_slack(slack.engine, WHOLE_PLAN, channel=CHANNEL, lead=LEAD)
    ts = await summary_in_channel(slack)
    await slack.add_editor(MEMBER)
    form = await open_form(slack, "Edit monitoring", user=MEMBER)
    cadence = {"monitoring.cadence:m1": {"value": {"type": "static_select", "selected_option": {"value": "quarterly"}}}}
    status, answer = await slack.submit(form, cadence, user=MEMBER)
    assert status == 200 and answer is None
    await slack.fake.settle()
    await slack.run_worker()

    [updated] = slack.fake.of("chat.update")
    assert (updated["channel"], updated["ts"]) == (CHANNEL, ts)
    assert "Reporting cadence (Apprenticeships on the contract): Quarterly" in json.dumps(updated["blocks"])
    top_level = [m for m in channel_posts(slack) if not m.get("thread_ts")]
    assert len(top_level) == 1  # the summary was not posted again
    [note] = [m for m in channel_posts(slack) if m.get("thread_ts") == ts]
    text = json.dumps(note["blocks"])
    assert f"<@{MEMBER}> changed the plan" in text and "Reporting cadence (Apprenticeships on the contract): Quarterly" in text


async def test_a_summary_slack_will_not_let_the_app_edit_is_posted_afresh_with_the_note(slack):
    await plan_in_slack(slack.engine, WHOLE_PLAN, channel=CHANNEL, lead=LEAD)
    await summary_in_channel(slack)
    slack.fake.refuse["chat.update"] = [{"ok": False, "error": "message_not_found"}]
    form = await open_form(slack, "Edit or remove: Spondon")
    status, _ = await slack.submit(form, REMOVE)
    assert status == 200
    await slack.fake.settle()
    await slack.run_worker()
    top_level = [m for m in channel_posts(slack) if not m.get("thread_ts")]
    assert len(top_level) == 2 and "Spondon" not in json.dumps(top_level[-1]["blocks"])
    assert "Communities served: removed Spondon" in json.dumps(channel_posts(slack)[-1]["blocks"])


async def test_a_plan_completed_again_after_a_correction_brings_the_posted_summary_up_to_date(slack):
    await plan_in_slack(slack.engine, WHOLE_PLAN, channel=CHANNEL, lead=LEAD)
    ts = await summary_in_channel(slack)
    form = await open_form(slack, "Edit or remove: Spondon")
    await slack.submit(form, REMOVE)
    await slack.fake.settle()
    await slack.run_worker()
    asked = len(slack.questions())
    await slack.command("plan")  # the plan asks again which needs local labour answers
    question = await slack.next_question(asked + 1)
    assert "Which needs does *Local labour* answer?" in json.dumps(question["blocks"])
    await slack.question_recorded(question)
    await slack.dm("quiet nights")
    await slack.fake.settle()
    await slack.run_worker()
    assert len([m for m in channel_posts(slack) if not m.get("thread_ts")]) == 1  # never a second summary
    notes = [json.dumps(m["blocks"]) for m in channel_posts(slack) if m.get("thread_ts") == ts]
    assert len(notes) == 2 and "every question is answered again" in notes[-1]
    assert all(u["ts"] == ts for u in slack.fake.of("chat.update") if u["channel"] == CHANNEL)
    assert "Needs answered (Local labour): Chaddesden residents: quiet nights" in json.dumps(slack.fake.of("chat.update")[-1]["blocks"])


async def test_status_says_which_measures_nobody_is_reminded_of_and_why(slack):
    from storage.people import save_person

    project = await plan_in_slack(slack.engine, WHOLE_PLAN, channel=CHANNEL, lead=LEAD)
    await summary_buttons(slack)
    text = json.dumps(slack.fake.of("response_url")[-1]["blocks"])
    assert text.count("its owner is a name, not a Slack user picked with @, so nobody is reminded") == 2  # typed names

    _, measures, _ = await rows(slack)
    async with transaction(slack.engine) as db:
        measures[0].owner, measures[1].owner = "<@UPRIYA>", "<@UGONE>"
        db.add_all(measures)
        await save_person(db, workspace_id=project.workspace_id, user_id="UGONE", fetched_at=slack.clock.now(), gone=True)
    await summary_buttons(slack)
    text = json.dumps(slack.fake.of("response_url")[-1]["blocks"])
    assert "not a Slack user" not in text
    assert text.count("its owner is no longer in this Slack workspace, so nobody is reminded") == 1


async def test_a_revision_slack_refuses_for_good_tells_the_person_who_changed_the_plan(slack):
    await plan_in_slack(slack.engine, WHOLE_PLAN, channel=CHANNEL, lead=LEAD)
    await summary_in_channel(slack)
    slack.fake.refuse["chat.update"] = [{"ok": False, "error": "not_in_channel"}]  # the app was removed from the channel
    await slack.add_editor(MEMBER)
    form = await open_form(slack, "Edit or remove: Spondon", user=MEMBER)
    await slack.submit(form, REMOVE, user=MEMBER)
    await slack.fake.settle()
    done = await slack.run_worker()
    assert done.failed == 1
    told = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == MEMBER and "could not post" in m.get("text", "")]
    assert len(told) == 1 and "the update of the plan summary of A38 Derby Junctions" in str(told[0]) and "not_in_channel" in str(told[0])
    assert len([m for m in channel_posts(slack) if not m.get("thread_ts")]) == 1  # nothing posted in its place

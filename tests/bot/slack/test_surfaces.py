"""The other surfaces: slash subcommands, App Home, the summary and edit modals, assistant
threads, the health check, and workspaces kept apart."""

import json

from sqlmodel import select

from storage.engine import transaction
from storage.models import Answer, Project
from tests.factories import HOW, WHAT, WHY
from tests.slack_app import CHANNEL, LEAD, MEMBER, NAME, dm_channel, start, stored_answers


async def responses(slack, count: int) -> list[dict]:
    return await slack.fake.wait_for("response_url", count)


async def test_help_and_unknown_subcommands_list_the_subcommands(slack):
    await slack.command("help")
    await slack.command("frobnicate")
    for answer in await responses(slack, 2):
        assert answer["response_type"] == "ephemeral"
        for verb in ("new NAME", "plan [NAME]", "status [NAME]", "update [NAME]", "handover [NAME]", "projects", "digest"):
            assert f"/socialvalue {verb}" in answer["text"]


async def test_a_duplicate_project_name_is_refused_and_nothing_is_stored(slack):
    await slack.command(f"new {NAME}")
    await responses(slack, 1)
    await slack.command(f"new {NAME}", channel="C0002", user=MEMBER)
    refused = (await responses(slack, 2))[1]
    assert refused["response_type"] == "ephemeral"
    assert f"There is already a project called *{NAME}*" in refused["text"]
    async with transaction(slack.engine) as db:
        projects = (await db.exec(select(Project))).all()
    assert [(p.name, p.channel_id, p.lead) for p in projects] == [(NAME, CHANNEL, LEAD)]


async def test_a_project_without_a_name_is_refused(slack):
    await slack.command("new")
    [refused] = await responses(slack, 1)
    assert "Please give the project a name" in refused["text"]


async def test_plan_in_a_channel_without_a_project_says_how_to_make_one(slack):
    await slack.command("plan", channel="C0009")
    [answer] = await responses(slack, 1)
    assert "/socialvalue new NAME" in answer["text"]
    await slack.command("status Nowhere Bypass")
    assert "no project called *Nowhere Bypass*" in (await responses(slack, 2))[1]["text"]


async def test_a_project_name_typed_with_a_typo_is_answered_with_the_one_it_is_close_to(slack):
    await slack.command(f"new {NAME}")
    await slack.command("status A38 Derby Junctons")
    refused = (await responses(slack, 2))[1]["text"]
    assert "no project called *A38 Derby Junctons*" in refused and f"Did you mean *{NAME}*?" in refused


async def test_status_shows_the_summary_to_the_caller_only_and_projects_lists_completion(slack):
    await start(slack)
    await slack.dm("Jobs for Derby")
    await slack.next_question(2)
    await slack.command("status")
    await slack.command("projects")
    status, listing = (await responses(slack, 4))[2:]
    assert status["response_type"] == "ephemeral"
    text = json.dumps(status["blocks"])
    assert "Purpose: Jobs for Derby" in text and "Still unanswered (16)" in text
    assert "Edit why" in text
    assert f"*{NAME}* in <#{CHANNEL}>: 1 of 17 questions answered" in json.dumps(listing["blocks"])


async def test_app_home_shows_each_project_and_its_completion(slack):
    await start(slack)
    await slack.dm("Jobs for Derby")
    await slack.next_question(2)
    await slack.event({"type": "app_home_opened", "user": LEAD, "channel": dm_channel(LEAD), "tab": "home", "event_ts": "1.2"})
    [published] = await slack.fake.wait_for("views.publish")
    assert published["user_id"] == LEAD and published["view"]["type"] == "home"
    text = json.dumps(published["view"])
    assert NAME in text and "1 of 17 questions answered" in text
    continue_button = next(
        e for b in published["view"]["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "home_continue"
    )
    await slack.interact(_action(continue_button, view=published["view"]))
    resumed = await slack.next_question(3)
    assert "What drives this?" in resumed["blocks"][0]["text"]["text"]


async def test_app_home_of_someone_without_projects_says_how_to_start(slack):
    await slack.event({"type": "app_home_opened", "user": MEMBER, "channel": "D9", "tab": "home", "event_ts": "1.2"})
    [published] = await slack.fake.wait_for("views.publish")
    assert "/socialvalue new NAME" in json.dumps(published["view"])


def _action(element: dict, *, view: dict | None = None, message: dict | None = None, user: str = LEAD) -> dict:
    from tests.fake_slack import block_actions

    action = {"action_id": element["action_id"], "block_id": "b", "type": "button", "value": element["value"]}
    return block_actions(action, user=user, channel=dm_channel(user), view=view, message=message)


async def open_edit_form(slack, label: str) -> dict:
    await slack.command("status")
    status = (await slack.fake.wait_for("response_url", 3))[-1]
    button = next(e for b in status["blocks"] if b["type"] == "actions" for e in b["elements"] if e["text"]["text"] == label)
    before = len(slack.fake.of("views.open"))
    await slack.interact(_action(button, message={"ts": "1.1"}))
    return (await slack.fake.wait_for("views.open", before + 1))[-1]["view"]


async def test_an_edit_in_a_modal_is_validated_inline_then_stored_as_a_new_version(slack):
    await start(slack)
    for n, answer in enumerate(WHY + WHAT + HOW[:10], 2):
        await slack.dm(answer)
        await slack.next_question(n)
    form = await open_edit_form(slack, "Edit how: Apprenticeships on the contract")
    assert form["callback_id"] == "plan_edit"
    blocks = {b["block_id"]: b for b in form["blocks"] if b["type"] == "input"}
    assert blocks["how.target_value:m1"]["element"]["initial_value"] == "520 apprenticeship weeks"
    assert blocks["how.target_date:m1"]["element"]["initial_date"] == "2028-03-31"

    status, answer = await slack.submit(
        form,
        {
            "how.target_date:m1": {"value": {"type": "datepicker", "selected_date": "2020-01-01"}},
            "how.target_value:m1": {"value": {"type": "plain_text_input", "value": "ten"}},
        },
    )
    assert status == 200 and answer["response_action"] == "errors"
    assert "before 1 Apr 2026" in answer["errors"]["how.target_date:m1"]
    assert "Please give a number" in answer["errors"]["how.target_value:m1"]
    _, answers = await stored_answers(slack.engine)
    assert [a.value for a in answers if a.field == "target_value"] == [520]

    before = len(slack.fake.of("chat.postMessage"))
    status, answer = await slack.submit(form, {"how.target_value:m1": {"value": {"type": "plain_text_input", "value": "600"}}})
    assert status == 200 and answer is None
    _, answers = await stored_answers(slack.engine)
    assert [(a.version, a.value) for a in answers if a.field == "target_value"] == [(1, 520), (2, 600)]
    await slack.fake.wait_for("chat.postMessage", before + 1)  # the confirmation, sent right after the ack
    assert any("Saved 1 change" in m.get("text", "") for m in slack.fake.of("chat.postMessage"))


async def test_an_edit_from_a_stale_form_is_refused_visibly(slack):
    await start(slack)
    await slack.dm("First purpose")
    await slack.next_question(2)
    mine = await open_edit_form(slack, "Edit why")
    theirs = dict(mine)
    await slack.add_editor(MEMBER)
    status, _ = await slack.submit(theirs, {"why.purpose": {"value": {"type": "plain_text_input", "value": "Their purpose"}}}, user=MEMBER)
    assert status == 200
    status, answer = await slack.submit(mine, {"why.purpose": {"value": {"type": "plain_text_input", "value": "My purpose"}}})
    assert answer["response_action"] == "errors"
    assert "changed this answer after you opened the form" in answer["errors"]["why.purpose"]
    _, answers = await stored_answers(slack.engine)
    assert [a.value for a in answers if a.field == "purpose"] == ["First purpose", "Their purpose"]


async def test_the_summary_modal_from_app_home(slack):
    await start(slack)
    await slack.event({"type": "app_home_opened", "user": LEAD, "channel": "D1", "tab": "home", "event_ts": "1.2"})
    [published] = await slack.fake.wait_for("views.publish")
    summary = next(
        e for b in published["view"]["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "home_summary"
    )
    await slack.interact(_action(summary, view=published["view"]))
    [opened] = await slack.fake.wait_for("views.open")
    assert opened["view"]["type"] == "modal" and "Social value plan: A38 Derby Junctions" in json.dumps(opened["view"])


async def test_the_plan_runs_in_an_assistant_thread(slack):
    await slack.command(f"new {NAME}")
    thread = {
        "user_id": LEAD,
        "context": {"channel_id": CHANNEL, "team_id": "T0001"},
        "channel_id": dm_channel(LEAD),
        "thread_ts": "1729999327.187299",
    }
    await slack.event({"type": "assistant_thread_started", "assistant_thread": thread, "event_ts": "1729999327.187300"})
    [prompts] = await slack.fake.wait_for("assistant.threads.setSuggestedPrompts")
    assert [p["message"] for p in prompts["prompts"]] == ["plan", "status", "help"]
    await slack.dm("plan", thread_ts=thread["thread_ts"])
    first = await slack.next_question(1)
    assert first["thread_ts"] == thread["thread_ts"]
    await slack.dm("Jobs for Derby", thread_ts=thread["thread_ts"])
    second = await slack.next_question(2)
    assert second["thread_ts"] == thread["thread_ts"]
    _, answers = await stored_answers(slack.engine)
    assert [a.value for a in answers] == ["Jobs for Derby"]


async def test_an_assistant_thread_and_the_dm_keep_their_own_conversations(slack):
    await slack.command(f"new {NAME}")
    await slack.command("plan")  # the questions come to the DM
    await slack.next_question(1)
    thread = "1729999327.187299"
    before = len(slack.fake.of("chat.postMessage"))
    await slack.dm("Jobs for Derby", thread_ts=thread)  # typed in an assistant thread with no questions in it
    told = (await slack.fake.wait_for("chat.postMessage", before + 1))[-1]
    assert "Your open questions are in another conversation" in told["text"] and told["thread_ts"] == thread
    _, answers = await stored_answers(slack.engine)
    assert answers == []  # not taken as the DM question's answer
    await slack.dm("Jobs for Derby")  # in the DM: the answer
    second = await slack.next_question(2)
    assert "thread_ts" not in second
    await slack.dm("plan", thread_ts=thread)  # asked for here: the conversation moves into the thread
    third = await slack.next_question(3)
    assert third["thread_ts"] == thread
    before = len(slack.fake.of("chat.postMessage"))
    await slack.dm("1")  # the DM no longer holds it
    told = (await slack.fake.wait_for("chat.postMessage", before + 1))[-1]
    assert "Your open questions are in another conversation" in told["text"]
    _, answers = await stored_answers(slack.engine)
    assert [a.value for a in answers] == ["Jobs for Derby"]


async def test_a_reply_in_the_questions_thread_answers_it_and_the_next_question_stays_in_the_dm(slack):
    await slack.command(f"new {NAME}")
    await slack.command("plan")
    first = await slack.next_question(1)
    await slack.dm("Jobs for Derby", thread_ts=first["ts"])
    second = await slack.next_question(2)
    assert "thread_ts" not in second
    _, answers = await stored_answers(slack.engine)
    assert [a.value for a in answers] == ["Jobs for Derby"]
    before = len(slack.fake.of("chat.postMessage"))
    await slack.dm("1", thread_ts=first["ts"])  # under a question already answered: not an answer to the next one
    told = (await slack.fake.wait_for("chat.postMessage", before + 1))[-1]
    assert "Your open questions are in another conversation" in told["text"]
    _, answers = await stored_answers(slack.engine)
    assert len(answers) == 1


async def test_workspaces_never_see_each_other(slack):
    await slack.command(f"new {NAME}")
    await slack.command(f"new {NAME}", team="T0002")  # same name, same channel id, other workspace: allowed
    await slack.command("projects", team="T0002")
    answers = await responses(slack, 3)
    assert answers[1]["response_type"] == "in_channel"
    async with transaction(slack.engine) as db:
        projects = (await db.exec(select(Project))).all()
        answers_stored = (await db.exec(select(Answer))).all()
    assert len({p.workspace_id for p in projects}) == 2 and answers_stored == []


async def test_health_check(slack):
    async with slack.http.get(f"{slack.app_url}/healthz") as response:
        assert response.status == 200 and (await response.text()).strip() == "ok"

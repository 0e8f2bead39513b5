"""The plan in Slack, end to end: slash commands, DM answers, clicks, the summary in the channel."""

import json

from tests.factories import WHOLE_PLAN
from tests.slack_app import CHANNEL, LEAD, NAME, dm_channel, start, stored_answers


async def test_new_then_plan_then_typed_answers_walk_the_five_questions(slack):
    created = await slack.command(f"new {NAME}")
    assert created.status == 200
    [confirmation] = await slack.fake.wait_for("response_url")
    assert confirmation["response_type"] == "in_channel"
    assert f"Created *{NAME}* for this channel, led by <@{LEAD}>" in confirmation["text"]

    await slack.command("plan")
    await slack.fake.wait_for("response_url", 2)
    assert "direct message" in slack.fake.of("response_url")[1]["text"]
    first = await slack.next_question(1)
    assert "Why are we measuring social value on A38 Derby Junctions?" in first["blocks"][0]["text"]["text"]

    for n, answer in enumerate(WHOLE_PLAN, 1):
        await slack.dm(answer)
        if n < len(WHOLE_PLAN):
            await slack.next_question(n + 1)  # every message is answered by the next question
    await slack.fake.settle()
    assert not [m for m in slack.fake.of("chat.postMessage") if m["channel"] == CHANNEL]  # queued, not yet sent
    assert (await slack.run_worker()).sent == 1
    in_channel = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == CHANNEL]
    assert in_channel, "the summary was not posted to the project channel"
    channel_text = "\n".join(b["text"]["text"] for m in in_channel for b in m["blocks"] if b["type"] == "section")
    assert "Social value plan: A38 Derby Junctions" in channel_text
    assert "To leave lasting jobs &amp; skills in Derby" in channel_text
    assert "Every question is answered." in channel_text

    await slack.command("plan")  # a complete plan, opened again: the summary to the caller only
    await slack.fake.settle()
    await slack.run_worker()
    assert [m for m in slack.fake.of("chat.postMessage") if m["channel"] == CHANNEL] == in_channel
    assert "Every question is answered." in json.dumps(slack.fake.of("chat.postMessage")[-1])

    project, answers = await stored_answers(slack.engine)
    assert project.channel_id == CHANNEL and project.lead == LEAD
    purpose = next(a for a in answers if a.field == "purpose")
    assert (purpose.value, purpose.author) == ("To leave lasting jobs & skills in Derby", LEAD)
    assert len({(a.question, a.field, a.subject) for a in answers}) == len(answers)


async def test_the_whole_plan_by_clicks_where_a_question_offers_them(slack):
    question = await start(slack)
    steps = [
        ("type", "Jobs and skills for Derby"),
        ("multi", ["statutory", "client"]),
        ("type", "National Highways"),
        ("type", "Chaddesden residents | Derby DE21\nSpondon | Derby"),
        ("type", "done"),
        ("type", "safe crossings | Ward profile 2024\nquiet nights"),
        ("type", "done"),
        ("type", "local jobs"),
        ("type", "done"),
        ("multi", ["2"]),
        ("multi", ["2.1"]),
        ("type", "Local labour | FTE | NH-SV-03"),
        ("type", "done"),
        ("multi", ["n1", "project"]),
        ("multi", ["n3"]),
        *[
            ("type", "Register"),
            ("type", "HR system"),
            ("click", "total"),
            ("type", "0"),
            ("date", "2026-04-01"),
            ("type", "520"),
            ("date", "2028-03-31"),
            ("type", "none"),
            ("type", "Agreements"),
            ("person", "UPRIYA"),
        ],
        *[
            ("type", "Payroll"),
            ("type", "Payroll system"),
            ("click", "level"),
            ("type", "12"),
            ("date", "2026-04-01"),
            ("type", "40"),
            ("date", "2027-03-31"),
            ("type", "30/09/2026 30\n31/12/2026 45"),
            ("type", "Extracts"),
            ("type", "Tom Evans"),
        ],
        ("multi", ["design", "construction", "operation", "after_handover"]),
        ("click", "construction"),
        ("date", "2027-09-30"),
        ("date", "2027-10-31"),
        ("type", "3"),
        ("type", "National Highways operations"),
        ("type", "The local labour target"),
        ("click", "monthly"),
        ("click", "quarterly"),
        ("multi", ["owner", "lead"]),
        ("channel", "C0STEER"),
        ("click", "no"),
        ("type", "100, 85, 60"),
        ("type", "Quarterly"),
    ]
    for n, (how, answer) in enumerate(steps, 1):
        if how == "type":
            await slack.dm(answer)
        elif how == "multi":
            await slack.click_in(question, action_id="plan_multi_save", selected=answer)
        elif how == "date":
            await slack.click_in(question, date=answer)
        elif how == "channel":
            await slack.click_in(question, channel=answer)
        elif how == "person":
            await slack.click_in(question, person=answer)
        else:
            await slack.click_in(question, answer)
        if n < len(steps):
            question = await slack.next_question(n + 1)
    await slack.fake.settle()
    await slack.run_worker()

    project, answers = await stored_answers(slack.engine)
    current = {(a.question, a.field, a.subject): a.value for a in answers}
    assert current[("why", "drivers", "")] == ["statutory", "client"]
    assert current[("what", "needs", "m1")] == ["n1", "project"] and current[("what", "needs", "m2")] == ["n3"]
    assert current[("how", "target_date", "m1")] == "2028-03-31"
    assert current[("monitoring", "cadence", "m2")] == "quarterly"
    assert current[("how", "kind", "m2")] == "level"
    assert (current[("how", "owner", "m1")], current[("how", "owner", "m2")]) == ("<@UPRIYA>", "Tom Evans")
    assert current[("how", "profile", "m2")] == [["2026-09-30", 30], ["2026-12-31", 45]]
    assert current[("monitoring", "default_thresholds", "")] is False
    assert current[("monitoring", "updates_posted", "")] == "C0STEER"  # picked from the channel menu
    assert project.phase == "construction"
    [posted] = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == CHANNEL]
    summary = json.dumps(posted["blocks"])
    assert "<@UPRIYA>" in summary and "Tom Evans (not reminded: typed as a name, not picked as someone in Slack)" in summary


async def test_a_click_on_an_answered_question_stores_nothing(slack):
    await start(slack)
    await slack.dm("Jobs for Derby")
    second = await slack.next_question(2)
    await slack.click_in(second, action_id="plan_multi_save", selected=["funder"])
    await slack.next_question(3)
    await slack.click_in(second, action_id="plan_multi_save", selected=["other"])  # the old message again
    await slack.fake.settle()
    _, answers = await stored_answers(slack.engine)
    assert [a.value for a in answers if a.field == "drivers"] == [["funder"]]
    told = [m for m in slack.fake.of("chat.postMessage") if "already answered" in m.get("text", "")]
    assert told and told[0]["thread_ts"]
    assert len(slack.questions()) == 3


async def test_a_paused_plan_resumes_where_it_stopped(slack):
    await start(slack)
    await slack.dm("Jobs for Derby")
    second = await slack.next_question(2)
    await slack.click_in(second, action_id="plan_pause")
    await slack.fake.settle()
    assert any("Paused." in m.get("text", "") for m in slack.fake.of("chat.postMessage"))

    await slack.dm("hello?")  # no plan open: the user is told what they can say
    await slack.fake.settle()
    assert any("no plan open" in m.get("text", "") for m in slack.fake.of("chat.postMessage"))

    await slack.command("plan")
    resumed = await slack.next_question(3)
    assert "What drives this?" in resumed["blocks"][0]["text"]["text"]
    assert any("Question 2 of 17" in e["text"] for b in resumed["blocks"] if b["type"] == "context" for e in b["elements"])


async def test_a_bad_typed_answer_is_explained_in_the_thread_of_the_question(slack):
    await start(slack)
    await slack.dm("Jobs")
    second = await slack.next_question(2)
    await slack.question_recorded(second)
    posted = len(slack.fake.of("chat.postMessage"))
    await slack.dm("99")
    await slack.fake.wait_for("chat.postMessage", posted + 1)  # the refusal, however loaded the machine
    await slack.fake.settle()
    refusal = [m for m in slack.fake.of("chat.postMessage") if '"99" is not one of the choices' in m.get("text", "")]
    assert len(refusal) == 1 and refusal[0]["thread_ts"] == second["ts"]
    assert len(slack.questions()) == 2  # the question stays open: not asked again
    _, answers = await stored_answers(slack.engine)
    assert [a.field for a in answers] == ["purpose"]


async def test_an_answered_question_loses_its_buttons_and_shows_what_was_stored(slack):
    first = await start(slack)
    await slack.dm("Jobs for Derby")
    await slack.next_question(2)
    await slack.fake.settle()
    [updated] = slack.fake.of("chat.update")
    assert (updated["channel"], updated["ts"]) == (dm_channel(LEAD), first["ts"])
    assert [b["type"] for b in updated["blocks"]] == ["section", "context"]  # no buttons left
    assert "Why are we measuring social value" in str(updated["blocks"]) and "Saved: Jobs for Derby" in str(updated["blocks"])


async def test_an_altered_person_pick_is_refused_and_nothing_is_stored(slack):
    question = await start(slack)
    for n, answer in enumerate(WHOLE_PLAN[: WHOLE_PLAN.index("Priya Shah")], 2):
        await slack.dm(answer)
        question = await slack.next_question(n)
    assert any(e["type"] == "users_select" for b in question["blocks"] if b["type"] == "actions" for e in b["elements"])
    before = len(slack.fake.of("chat.postMessage"))
    await slack.click_in(question, person="<!channel>")
    refusal = (await slack.fake.wait_for("chat.postMessage", before + 1))[-1]
    assert "empty" in json.dumps(refusal).casefold()
    _, answers = await stored_answers(slack.engine)
    assert [a for a in answers if a.field == "owner"] == []

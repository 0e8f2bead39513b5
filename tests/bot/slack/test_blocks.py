"""The Block Kit builders, as pure functions: data in, blocks out, checked against Slack's
limits by slack_sdk's models and read back through the same refs the listeners use."""

from datetime import date

from bot.slack.blocks.home import HomeProject, home_view
from bot.slack.blocks.progress import posted_update_blocks, reminder_blocks, update_view
from bot.slack.blocks.questions import question_blocks
from bot.slack.blocks.summaries import edit_buttons, summary_view
from bot.slack.blocks.text import MESSAGE_BLOCK_LIMIT, SECTION_TEXT_LIMIT, chunks, summary_messages
from bot.slack.ids import EditRef, MeasureRef, ProjectRef, StepRef, UpdateForm, UpdateRef
from flows.conversation.inputs import Choice, InputKind
from flows.conversation.presenting import EditTarget
from flows.conversation.runner import Progress, Reply, ReplyStatus


def actions(blocks) -> list[dict]:
    return [e for b in blocks for e in (b.to_dict().get("elements", []) if b.type == "actions" else [])]


def test_a_yes_no_question_has_two_buttons_and_its_controls_name_the_step():
    reply = Reply(
        status=ReplyStatus.ASKING,
        text="Use the default thresholds?",
        kind=InputKind.YES_NO,
        progress=Progress(3, 30),
        step="monitoring.default_thresholds",
    )
    blocks = question_blocks(reply, 7)
    answer, controls = [b.to_dict() for b in blocks if b.type == "actions"]
    assert [e["value"] for e in answer["elements"]] == ["yes", "no"]
    assert StepRef.decode(answer["block_id"]) == StepRef(project=7, step="monitoring.default_thresholds")
    assert StepRef.decode(controls["block_id"]) == StepRef(project=7, step="monitoring.default_thresholds")
    assert "Question 3 of 30" in str([b.to_dict() for b in blocks])


def test_a_per_measure_question_after_the_first_offers_same_as_above_first_among_its_controls():
    asked = Reply(status=ReplyStatus.ASKING, text="Method?", kind=InputKind.TEXT, step="how.method:m2", same_as_above=True)
    first = Reply(status=ReplyStatus.ASKING, text="Method?", kind=InputKind.TEXT, step="how.method:m1")
    assert [(e["action_id"], e["text"]["text"]) for e in actions(question_blocks(asked, 7))][0] == ("plan_same", "Same as above")
    assert "plan_same" not in [e["action_id"] for e in actions(question_blocks(first, 7))]


def test_up_to_100_choices_are_a_menu_and_more_are_searched():
    def menu(count: int) -> dict:
        choices = tuple(Choice(str(n), f"Choice {n} " + "x" * 100) for n in range(count))
        reply = Reply(
            status=ReplyStatus.ASKING,
            text="Pick",
            kind=InputKind.SINGLE_CHOICE,
            choices=choices,
            progress=Progress(1, 1),
            step="what.community:m1",
        )
        [found] = [e for e in actions(question_blocks(reply, 1)) if e["type"] in ("static_select", "external_select")]
        return found

    small = menu(100)
    assert small["type"] == "static_select" and len(small["options"]) == 100 and all(len(o["text"]["text"]) <= 75 for o in small["options"])
    large = menu(150)
    assert large["type"] == "external_select" and large["min_query_length"] == 0 and "options" not in large


def test_edit_buttons_carry_edit_refs_and_wrap_at_25_per_row():
    targets = [EditTarget("how", f"m{n}", f"Measure {n}") for n in range(30)]
    rows = edit_buttons(9, targets)
    assert [len(r.to_dict()["elements"]) for r in rows] == [25, 5]
    assert EditRef.decode(rows[1].to_dict()["elements"][0]["value"]) == EditRef(project=9, question="how", subject="m25")


def test_a_long_summary_is_split_under_slacks_limits():
    text = "\n".join(f"• line {n} " + "y" * 200 for n in range(400))
    groups = summary_messages(text)
    assert len(groups) > 1 and all(len(g) <= MESSAGE_BLOCK_LIMIT for g in groups)
    assert all(len(piece) <= SECTION_TEXT_LIMIT for piece in chunks(text))
    view = summary_view(text, "A38", edit_buttons(9, [EditTarget("why")]))
    assert len(view.to_dict()["blocks"]) <= 100


def test_home_buttons_carry_project_refs():
    view = home_view([HomeProject(4, "A38", "C1", 3, 30)]).to_dict()
    values = [e["value"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [ProjectRef.decode(v) for v in values] == [ProjectRef(project=4)] * 2


def test_reminder_and_posted_update_buttons_carry_their_refs():
    ref = MeasureRef(project=4, measure="m2", period=date(2026, 12, 1).isoformat())
    assert {MeasureRef.decode(e["value"]) for e in actions(reminder_blocks("Due", ref))} == {ref}
    posted = UpdateRef(project=4, update=11)
    assert {UpdateRef.decode(e["value"]) for e in actions(posted_update_blocks("Posted", posted))} == {posted}


def test_the_update_form_keeps_its_metadata_typed():
    form = update_view(
        metadata=UpdateForm(project=4, measure="m2", period="2026-12-01"), measure_name="Local labour", unit="FTE", due="2026-12-01"
    )
    assert UpdateForm.decode(form.to_dict()["private_metadata"]).measure == "m2"

"""When something breaks on our side, the person who acted is told plainly, the traceback is
logged, and nothing half-done is stored: a slash command, a DM answer, a click and a form.
The fault is real: a table the request needs is gone from the database."""

import logging

from sqlalchemy import func, text
from sqlmodel import select

from storage.engine import transaction
from storage.models import Answer
from tests.factories import WHOLE_PLAN, plan_in_slack
from tests.fake_slack import TEAM, block_actions
from tests.slack_app import CHANNEL, LEAD, dm_channel, start

APOLOGY = "Sorry, something went wrong on our side"


async def drop(engine, table: str) -> None:
    cascade = " CASCADE" if engine.dialect.name == "postgresql" else ""
    async with engine.begin() as connection:
        await connection.execute(text(f"DROP TABLE {table}{cascade}"))


def failures(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]


async def test_a_slash_command_that_fails_answers_with_an_apology_and_logs_the_traceback(slack, caplog):
    await plan_in_slack(slack.engine, WHOLE_PLAN, team=TEAM, channel=CHANNEL, lead=LEAD)
    await drop(slack.engine, "progressupdate")
    await slack.command("status")
    [answer] = slack.fake.of("response_url")
    assert APOLOGY in answer["text"] and answer["response_type"] == "ephemeral"
    [failure] = failures(caplog)
    assert failure.getMessage() == "slash command failed" and "progressupdate" in str(failure.exc_info[1])


async def test_a_dm_answer_that_fails_is_apologised_for_in_the_dm_and_nothing_is_stored(slack, caplog):
    await start(slack)
    await drop(slack.engine, "community")  # the plan's state cannot be read
    await slack.dm("Jobs for Derby")
    await slack.fake.settle()
    told = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == dm_channel(LEAD) and APOLOGY in m.get("text", "")]
    assert len(told) == 1
    assert len(slack.questions()) == 1  # no next question
    async with transaction(slack.engine) as db:
        assert await db.scalar(select(func.count()).select_from(Answer)) == 0
    assert [r.getMessage() for r in failures(caplog)] == ["direct message failed"]


async def test_a_click_that_fails_is_apologised_for(slack, caplog):
    first = await start(slack)
    await slack.dm("Jobs for Derby")
    second = await slack.next_question(2)
    await drop(slack.engine, "community")
    await slack.click_in(second, action_id="plan_multi_save", selected=["client"])
    await slack.fake.settle()
    assert any(APOLOGY in m.get("text", "") for m in slack.fake.of("chat.postMessage"))
    assert [r.getMessage() for r in failures(caplog)] == ["answer by click failed"]
    assert first["ts"] != second["ts"]


async def test_a_form_that_fails_stays_open_with_an_apology_and_stores_nothing(slack, caplog):
    plan = [{"Priya Shah": LEAD, "Tom Evans": LEAD}.get(answer, answer) for answer in WHOLE_PLAN]
    await plan_in_slack(slack.engine, plan, team=TEAM, channel=CHANNEL, lead=LEAD)
    await slack.command("update", wait=False)
    [opened] = await slack.fake.wait_for("views.open")
    await drop(slack.engine, "progressupdate")
    values = {
        "measure": {"value": {"type": "static_select", "selected_option": {"value": "m1"}}},
        "value": {"value": {"type": "plain_text_input", "value": "200"}},
    }
    status, answer = await slack.submit(opened["view"], values)
    assert status == 200
    assert answer["response_action"] == "errors"  # the form stays open: it did not save
    assert "something went wrong" in answer["errors"]["measure"]
    await slack.fake.settle()
    assert not [m for m in slack.fake.of("chat.postMessage") if "Saved" in m.get("text", "")]
    assert [r.getMessage() for r in failures(caplog)] == ["update form failed"]


async def test_an_altered_button_value_changes_nothing_and_says_so(slack, caplog):
    await plan_in_slack(slack.engine, WHOLE_PLAN, team=TEAM, channel=CHANNEL, lead=LEAD)
    for value in ('{"project": "1; DROP TABLE project", "measure": "m1"}', "not json", '{"project": 1, "measure": "m1", "extra": 1}'):
        action = {"action_id": "reminder_snooze", "block_id": "r", "type": "button", "value": value}
        await slack.interact(block_actions(action, user=LEAD, channel=LEAD, message={"ts": "1.1", "blocks": []}))
    await slack.fake.settle()
    told = [m["text"] for m in slack.fake.of("chat.postMessage") if "out of date" in m.get("text", "")]
    assert len(told) == 3
    assert not failures(caplog)  # refused, not crashed
    assert not [m for m in slack.fake.of("chat.postMessage") if "snooze" in m.get("text", "").casefold()]

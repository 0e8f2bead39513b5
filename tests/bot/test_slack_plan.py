"""The plan in Slack, end to end: slash commands, DM answers, clicks, the summary in the channel."""

from storage.answers import answer_history
from storage.engine import transaction
from storage.models import Project
from sqlmodel import select
from tests.bot.conftest import CHANNEL, LEAD, dm_channel
from tests.flows.test_plan import WHOLE_PLAN

NAME = "A38 Derby Junctions"


async def stored_answers(engine):
    async with transaction(engine) as db:
        project = (await db.exec(select(Project).where(Project.name == NAME))).one()
        return project, await answer_history(db, project_id=project.id)


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
    in_channel = [m for m in slack.fake.of("chat.postMessage") if m["channel"] == CHANNEL]
    assert in_channel, "the summary was not posted to the project channel"
    channel_text = "\n".join(b["text"]["text"] for m in in_channel for b in m["blocks"] if b["type"] == "section")
    assert "Social value plan: A38 Derby Junctions" in channel_text
    assert "To leave lasting jobs &amp; skills in Derby" in channel_text
    assert "Every question is answered." in channel_text

    project, answers = await stored_answers(slack.engine)
    assert project.channel_id == CHANNEL and project.lead == LEAD
    purpose = next(a for a in answers if a.field == "purpose")
    assert (purpose.value, purpose.author) == ("To leave lasting jobs & skills in Derby", LEAD)
    assert len({(a.question, a.field, a.subject) for a in answers}) == len(answers)

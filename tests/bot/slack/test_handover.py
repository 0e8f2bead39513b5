"""The handover pack in Slack: asked by the lead, the handover conversation in the DM the
first time, then the pack uploaded to the channel by the worker with Slack's external upload."""

import json

from sqlmodel import select

from storage.engine import transaction
from storage.jobs import list_jobs
from storage.models import Answer
from tests.factories import WHOLE_PLAN, plan_in_slack
from tests.fake_slack import TEAM
from tests.slack_app import CHANNEL, LEAD, MEMBER

HANDOVER_ANSWERS = [
    *("31/10/2027", "National Highways East Midlands", "Jo Bloggs", "Start baselines early", "yes", "skip", "USAM", "no"),
    "Apprentice numbers fall once the works end | USAM | a quarterly check with the college",
]


async def planned(slack) -> None:
    await plan_in_slack(slack.engine, WHOLE_PLAN, team=TEAM, channel=CHANNEL, lead=LEAD)


async def answer_handover(slack) -> None:
    """Answer the handover questions in the DM, each after its question arrived."""
    for n, answer in enumerate(HANDOVER_ANSWERS, 2):
        await slack.dm(answer)
        if n <= len(HANDOVER_ANSWERS):
            await slack.next_question(n)
    await slack.fake.settle()


async def test_the_lead_answers_the_handover_questions_then_the_pack_is_uploaded(slack):
    await planned(slack)
    await slack.command("handover")
    assert "a few questions for the next custodians" in slack.fake.of("response_url")[-1]["text"]
    first = await slack.next_question(1)
    assert "On what date is the asset handed over" in json.dumps(first["blocks"])
    await answer_handover(slack)
    assert any("preparing the handover pack" in m.get("text", "") for m in slack.fake.of("chat.postMessage"))
    assert slack.fake.of("files.completeUploadExternal") == []  # acked and queued: the worker uploads

    assert (await slack.run_worker()).sent == 1
    assert len(slack.fake.of("files.getUploadURLExternal")) == 3 and len(slack.fake.uploads) == 3
    [complete] = slack.fake.of("files.completeUploadExternal")
    assert complete["channel_id"] == CHANNEL
    assert "*Handover pack: A38 Derby Junctions*" in complete["initial_comment"]
    assert "1 continues after handover, with National Highways East Midlands" in complete["initial_comment"]
    titles = [f["title"] for f in json.loads(complete["files"])]
    assert titles == [f"A38 Derby Junctions: handover pack ({fmt})" for fmt in ("md", "html", "json")]
    markdown, html, export = (content.decode() for content in slack.fake.uploads.values())
    assert markdown.startswith("# Handover pack: A38 Derby Junctions") and "Start baselines early" in markdown
    assert "| Apprentice numbers fall once the works end | @USAM | a quarterly check with the college |" in markdown
    assert json.loads(export)["project"]["handover_date"] == "2027-10-31"
    async with transaction(slack.engine) as db:
        owner = (await db.exec(select(Answer).where(Answer.field == "aftercare_owner"))).one()
    assert (owner.subject, owner.value, owner.author) == ("m1", "USAM", LEAD)

    await slack.command("handover")  # later packs reuse the answers: no questions
    assert "preparing the handover pack" in slack.fake.of("response_url")[-1]["text"]
    await slack.run_worker()
    assert len(slack.fake.of("files.completeUploadExternal")) == 2


async def test_someone_else_is_told_who_can_ask_for_the_pack(slack):
    await planned(slack)
    await slack.command("handover", user=MEMBER)
    answer = slack.fake.of("response_url")[-1]
    assert f"Only the lead of *A38 Derby Junctions* (<@{LEAD}>)" in answer["text"]
    async with transaction(slack.engine) as db:
        assert await list_jobs(db) == []
    assert slack.fake.of("chat.postMessage") == []


async def test_a_failed_upload_posts_nothing_tells_the_requester_and_is_retried(slack, clock):
    from datetime import timedelta

    await planned(slack)
    await slack.command("handover")
    await answer_handover(slack)
    slack.fake.refuse["files.completeUploadExternal"] = [{"ok": False, "error": "internal_error"}]
    result = await slack.run_worker()
    assert (result.sent, result.retried) == (0, 1)
    assert [c.answer.get("ok") for c in slack.fake.calls if c.method == "files.completeUploadExternal"] == [False]
    told = [m for m in slack.fake.of("chat.postMessage") if "failed" in m.get("text", "") and m["channel"] == LEAD]
    assert len(told) == 1 and "internal_error" in told[0]["text"]  # Slack's error, in its own words
    uploaded = [c.answer["file_id"] for c in slack.fake.calls if c.method == "files.getUploadURLExternal"]
    assert len(uploaded) == 3 and [c.args["file"] for c in slack.fake.calls if c.method == "files.delete"] == uploaded  # no orphans
    clock.current += timedelta(minutes=1)
    assert (await slack.run_worker()).sent == 1
    assert [c.answer.get("ok") for c in slack.fake.calls if c.method == "files.completeUploadExternal"] == [False, True]


async def test_the_handover_answers_can_be_edited_in_a_form(slack):
    await planned(slack)
    await slack.command("handover")
    await answer_handover(slack)
    summary = next(m for m in slack.fake.of("chat.postMessage") if "Handover of" in json.dumps(m.get("blocks", [])))
    button = next(e for b in summary["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert button["text"]["text"] == "Edit handover answers"
    from tests.fake_slack import block_actions

    await slack.interact(
        block_actions(
            {"action_id": button["action_id"], "block_id": "b", "type": "button", "value": button["value"]},
            user=LEAD,
            channel="DLEAD",
            message={"ts": summary["ts"]},
        )
    )
    [opened] = await slack.fake.wait_for("views.open")
    form = opened["view"]
    blocks = {b["block_id"]: b for b in form["blocks"] if b["type"] == "input"}
    assert blocks["handover.lessons"]["element"]["initial_value"] == "Start baselines early"
    status, answer = await slack.submit(
        form, {"handover.lessons": {"value": {"type": "plain_text_input", "value": "Start baselines on day one"}}}
    )
    assert answer is None
    async with transaction(slack.engine) as db:
        lessons = (await db.exec(select(Answer).where(Answer.field == "lessons").order_by(Answer.version))).all()
    assert [(a.version, a.value) for a in lessons] == [(1, "Start baselines early"), (2, "Start baselines on day one")]


async def test_the_lead_gets_the_years_assessment_draft_as_a_document_and_a_spreadsheet(slack):
    await planned(slack)
    await slack.command("assessment 26")
    refused = slack.fake.of("response_url")[-1]["text"]
    assert "Give the year to assess as four digits, for example `/socialvalue assessment 2026`" in refused
    await slack.command("assessment 2026", user=MEMBER)
    assert "Only the lead of *A38 Derby Junctions*" in slack.fake.of("response_url")[-1]["text"]
    async with transaction(slack.engine) as db:
        assert await list_jobs(db) == []  # neither refusal queued anything

    await slack.command("assessment 2026")
    assert "drafting the 2026 performance assessment of *A38 Derby Junctions*" in slack.fake.of("response_url")[-1]["text"]
    assert (await slack.run_worker()).sent == 1
    [complete] = slack.fake.of("files.completeUploadExternal")
    assert complete["channel_id"] == LEAD  # to the lead who asked, not the channel
    assert "*Performance assessment 2026 (draft): A38 Derby Junctions*" in complete["initial_comment"]
    titles = [f["title"] for f in json.loads(complete["files"])]
    assert titles == [
        "A38 Derby Junctions: performance assessment 2026 (draft)",
        "A38 Derby Junctions: performance assessment 2026 (spreadsheet)",
    ]
    markdown, spreadsheet = (content.decode() for content in slack.fake.uploads.values())
    assert markdown.startswith("# Contract performance assessment 2026: A38 Derby Junctions (draft)")
    assert spreadsheet.splitlines()[0].startswith("KPI,Outcome (PPN 002),Unit,Target")


async def test_the_returns_come_to_the_dm_of_the_lead_or_an_admin_as_a_spreadsheet(slack):
    import io

    from openpyxl import load_workbook

    await planned(slack)
    await slack.command("export", user=MEMBER)
    assert "Only the lead of *A38 Derby Junctions*" in slack.fake.of("response_url")[-1]["text"]
    await slack.command("export all", user=LEAD)  # every project: admins only
    assert "Only workspace admins" in slack.fake.of("response_url")[-1]["text"]
    async with transaction(slack.engine) as db:
        assert await list_jobs(db) == []

    await slack.command("export")
    assert "returns of *A38 Derby Junctions* (xlsx" in slack.fake.of("response_url")[-1]["text"]
    await slack.command("export all csv", user="ULISTED")  # in SOCIALVALUE_ADMINS
    assert (await slack.run_worker()).sent == 2
    lead, admin = slack.fake.of("files.completeUploadExternal")
    assert (lead["channel_id"], admin["channel_id"]) == (LEAD, "ULISTED")
    assert "*Returns: A38 Derby Junctions*" in lead["initial_comment"]
    workbook, table = slack.fake.uploads.values()
    rows = list(load_workbook(io.BytesIO(workbook)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("Project", "Community", "Need", "Measure") and {r[0] for r in rows[1:]} == {"A38 Derby Junctions"}
    assert table.decode().splitlines()[0].startswith("Project,Community,Need,Measure")

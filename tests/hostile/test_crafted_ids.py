"""A member alters what the app wrote into a button's value, a block id or a form's hidden
data (the request is still genuinely signed by Slack): every altered reference is checked
against the member's rights, refused in words, and nothing is stored or posted."""

import json

import pytest
from sqlmodel import select

from bot.slack.ids import CaseStudyForm, CommunityRef, EditForm, EditRef, MeasureRef, ReturnForm, UpdateForm
from flows.progress.updates import record_update
from storage.engine import transaction
from storage.models import Answer, CaseStudy, FlowSession, Job, ProgressUpdate, Project
from tests.factories import WHOLE_PLAN, plan_in_slack
from tests.fake_slack import TEAM, block_actions
from tests.slack_app import CHANNEL, LEAD, MEMBER, dm_channel

LEAD_PLAN = [{"Priya Shah": LEAD, "Tom Evans": LEAD}.get(answer, answer) for answer in WHOLE_PLAN]  # the lead owns both measures


@pytest.fixture
async def planned(slack, clock):
    project = await plan_in_slack(slack.engine, LEAD_PLAN, team=TEAM, channel=CHANNEL, lead=LEAD)
    clock.at("2026-11-24T09:30:00")
    slack.project_id = project.id
    return slack


async def rows(engine, table) -> list:
    async with transaction(engine) as db:
        return list((await db.exec(select(table))).all())


def told(slack, user: str) -> str:
    """Everything shown to `user` where they clicked (their DM, or the response_url)."""
    shown = [m for m in slack.fake.of("chat.postMessage") if m["channel"] in (user, dm_channel(user))]
    return json.dumps(shown + slack.fake.of("response_url"))


def modal(callback_id: str, metadata: str) -> dict:
    """A form as the app opened it, with whatever hidden data the member put in its place."""
    return {"type": "modal", "callback_id": callback_id, "private_metadata": metadata, "blocks": []}


async def click(slack, action_id: str, value: str, *, user: str = MEMBER, block_id: str = "r", **more) -> None:
    action = {"action_id": action_id, "block_id": block_id, "type": "button", "value": value, **more}
    response = await slack.interact(block_actions(action, user=user, channel=dm_channel(user), message={"ts": "1.1", "blocks": []}))
    assert response.status == 200
    await slack.fake.settle()


async def test_a_member_cannot_report_on_snooze_or_close_a_measure_they_do_not_own(planned):
    slack = planned
    ref = MeasureRef(project=slack.project_id, measure="m1", period="2026-12-01").encode()
    jobs_before = len(await rows(slack.engine, Job))

    await click(slack, "reminder_add_update", ref)
    assert not slack.fake.of("views.open")
    await click(slack, "reminder_nothing", ref)
    await click(slack, "reminder_snooze", ref)
    assert told(slack, MEMBER).count("Only the measure's owner") == 3

    form = modal("progress_update", UpdateForm(project=slack.project_id, measure="m1").encode())
    status, answer = await slack.submit(form, {"value": {"value": {"type": "plain_text_input", "value": "200"}}}, user=MEMBER)
    assert status == 200 and "Only the measure's owner" in json.dumps(answer["errors"])
    picked = modal("progress_update", UpdateForm(project=slack.project_id).encode())
    values = {
        "value": {"value": {"type": "plain_text_input", "value": "200"}},
        "measure": {"value": {"type": "static_select", "selected_option": {"value": "m2"}}},  # not offered to them
    }
    status, answer = await slack.submit(picked, values, user=MEMBER)
    assert "Only the measure's owner" in json.dumps(answer["errors"])

    await slack.fake.settle()
    print("\ncrafted reminder buttons and update forms by a non-owner: 5 tried, 0 stored")
    assert await rows(slack.engine, ProgressUpdate) == []
    assert len(await rows(slack.engine, Job)) == jobs_before  # no snoozed reminder, no update post
    assert not [m for m in slack.fake.of("chat.postMessage") if m["channel"] == CHANNEL]

    await click(slack, "reminder_nothing", ref, user=LEAD)  # the owner may: the buttons themselves work
    [stored] = await rows(slack.engine, ProgressUpdate)
    assert stored.author == LEAD and stored.value is None


async def test_a_returned_update_is_noted_in_the_projects_channel_whatever_the_form_names(planned):
    slack = planned
    async with transaction(slack.engine) as db:
        project = await db.get(Project, slack.project_id)
        update, _ = await record_update(db, project, measure_key="m1", author=LEAD, today=slack.clock.now().date(), value="200")
    metadata = ReturnForm(project=slack.project_id, update=update.id, channel="CELSEWHERE", thread_ts="1700000000.000100")
    form = modal("update_returned", metadata.encode())
    status, answer = await slack.submit(form, {"comment": {"value": {"type": "plain_text_input", "value": "Wrong period"}}})
    assert status == 200 and answer is None
    await slack.fake.settle()
    await slack.run_worker()
    posted = {m["channel"] for m in slack.fake.of("chat.postMessage")}
    assert "CELSEWHERE" not in posted and CHANNEL in posted


async def test_a_member_refused_the_handover_cannot_drive_or_edit_it_by_crafted_requests(planned):
    slack = planned
    await slack.command("handover", user=MEMBER)
    assert "Only the lead" in json.dumps(slack.fake.of("response_url"))
    step = f"plan:{slack.project_id}:handover.date"

    await click(slack, "plan_date", "", block_id=step, selected_date="2027-10-31")
    await click(slack, "plan_skip", "skip", block_id=f"controls:{slack.project_id}:handover.date")
    await click(slack, "edit_open:0", EditRef(project=slack.project_id, question="handover").encode())
    assert not slack.fake.of("views.open")
    form = modal("plan_edit", EditForm(project=slack.project_id, question="handover").encode())
    status, answer = await slack.submit(form, {"handover.custodian": {"value": {"type": "plain_text_input", "value": "Me"}}}, user=MEMBER)
    assert status == 200 and "Only the lead" in json.dumps(answer["errors"])

    await slack.fake.settle()
    print("\ncrafted handover clicks, edit button and edit form by a member: 4 tried, 0 stored")
    assert told(slack, MEMBER).count("Only the lead") >= 3
    assert not [s for s in await rows(slack.engine, FlowSession) if s.flow == "handover"]
    assert not [a for a in await rows(slack.engine, Answer) if a.question == "handover"]


async def test_a_form_naming_another_workspaces_project_is_refused_in_the_form(planned):
    slack = planned
    elsewhere = await plan_in_slack(slack.engine, WHOLE_PLAN[:1], team="T0002", channel="C0002", lead="UOTHER", name="Their scheme")
    answers_before = len(await rows(slack.engine, Answer))
    for callback, metadata in (
        ("plan_edit", EditForm(project=elsewhere.id, question="why").encode()),
        ("plan_edit", EditForm(project=elsewhere.id, question="handover").encode()),
        ("progress_update", UpdateForm(project=elsewhere.id, measure="m1").encode()),
        ("community", CommunityRef(project=elsewhere.id, community="c1").encode()),
        ("case_study", CaseStudyForm(project=elsewhere.id).encode()),
    ):
        form = modal(callback, metadata)
        values = {
            "why.purpose": {"value": {"type": "plain_text_input", "value": "Ours now"}},
            "value": {"value": {"type": "plain_text_input", "value": "9"}},
            "name": {"value": {"type": "plain_text_input", "value": "Ours now"}},
            "title": {"value": {"type": "plain_text_input", "value": "Ours now"}},
            "what_happened": {"value": {"type": "plain_text_input", "value": "x"}},
            "scale": {"value": {"type": "radio_buttons", "selected_option": {"value": "small"}}},
        }
        status, answer = await slack.submit(form, values)
        assert status == 200 and answer["response_action"] == "errors", answer
        assert "That project no longer exists in this workspace." in json.dumps(answer["errors"])
    assert len(await rows(slack.engine, Answer)) == answers_before
    assert await rows(slack.engine, ProgressUpdate) == []
    assert await rows(slack.engine, CaseStudy) == []


async def test_a_handover_form_is_answered_within_slacks_wait_when_slack_is_slow_to_say_who_is_an_admin(planned):
    """The form's errors are its ack: an admin check Slack is slow to answer (5 s) is taken as
    "not an admin" after 1.5 s, so the form is answered in time (the admin can try again),
    rather than left to time out while the app waits."""
    slack = planned
    slack.fake.workspace_admins.add(MEMBER)  # Slack would say yes, too late
    slack.fake.delay["users.info"] = 5
    form = modal("plan_edit", EditForm(project=slack.project_id, question="handover").encode())
    status, answer = await slack.submit(form, {"handover.custodian": {"value": {"type": "plain_text_input", "value": "Me"}}}, user=MEMBER)
    assert status == 200 and "Only the lead" in json.dumps(answer["errors"])
    assert not [a for a in await rows(slack.engine, Answer) if a.question == "handover"]


async def test_a_case_study_of_another_workspace_cannot_be_opened_or_changed_by_its_id(planned):
    from datetime import UTC, datetime

    from bot.slack.ids import CaseStudyRef
    from flows.case_studies import record_case_study
    from flows.projects import workspace_of

    slack = planned
    async with transaction(slack.engine) as db:
        theirs = await record_case_study(
            db,
            await workspace_of(db, team_id="T0002"),
            project=None,
            raw={"title": "Their story", "what_happened": "x", "scale": "small"},
            author="UOTHER",
            now=datetime(2026, 11, 20, tzinfo=UTC),
            markup="text",
        )
    await click(slack, "case_study_edit", CaseStudyRef(study=theirs.id).encode(), user=LEAD)
    assert f"There is no case study #{theirs.id} in this workspace." in told(slack, LEAD)
    assert slack.fake.of("views.open") == []
    form = modal("case_study", CaseStudyForm(study=theirs.id).encode())
    values = {"title": {"value": {"type": "plain_text_input", "value": "Ours now"}}}
    status, answer = await slack.submit(form, values, user=LEAD)
    assert f"There is no case study #{theirs.id}" in answer["errors"]["title"]
    [kept] = await rows(slack.engine, CaseStudy)
    assert kept.title == "Their story"

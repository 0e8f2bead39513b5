"""Case studies through Slack: the message shortcut turns a message into a draft in two clicks,
the form refuses what it cannot store (and stores nothing), and only the author or the
project's lead changes a case study."""

import pytest
from sqlmodel import select

from storage.engine import transaction
from storage.models import CaseStudy, CaseStudyVersion
from tests.factories import WHY, plan_in_slack
from tests.fake_slack import block_actions, message_action
from tests.slack_app import CHANNEL, LEAD

MEMBER, OTHER = "UMEMBER", "UOTHER"
MESSAGE = {
    "ts": "1764320000.000100",
    "user": "U0SAM",
    "text": "Our canteen now buys lunch from *Derby Bakes* &amp; Co &lt;3 thanks <@U0SAM>",
}


@pytest.fixture
async def project(slack):
    return await plan_in_slack(slack.engine, WHY)  # communities c1, c2 with needs n1, n2 (c1) and n3 (c2)


def values(**fields: str | None) -> dict:
    """The form's state as Slack sends it on submit."""
    kinds = {"scale": "radio_buttons", "consent": "radio_buttons", "benefited_key": "static_select"}
    dates = ("happened_on", "consent_on")
    state = {}
    for block, value in fields.items():
        if block in dates:
            state[block] = {"value": {"type": "datepicker", "selected_date": value}}
        elif block in kinds:
            state[block] = {"value": {"type": kinds[block], "selected_option": {"value": value} if value else None}}
        else:
            state[block] = {"value": {"type": "plain_text_input", "value": value}}
    return state


def element(view: dict, block_id: str) -> dict:
    return next(b["element"] for b in view["blocks"] if b.get("block_id") == block_id)


async def studies(engine) -> list[CaseStudy]:
    async with transaction(engine) as db:
        return list((await db.exec(select(CaseStudy).order_by(CaseStudy.id))).all())


async def shortcut(slack, channel: str = CHANNEL, user: str = MEMBER):
    response_url = f"{slack.fake.url}/response/{user}"
    return await slack.interact(message_action("save_case_study", user=user, channel=channel, message=MESSAGE, response_url=response_url))


async def test_a_message_becomes_a_case_study_in_two_clicks(slack, project):
    await shortcut(slack)
    [opened] = await slack.fake.wait_for("views.open")
    view = opened["view"]
    [asked] = slack.fake.of("chat.getPermalink")
    assert (asked["channel"], asked["message_ts"]) == (CHANNEL, MESSAGE["ts"])
    permalink = "https://test.slack.com/archives/C0001/p1764320000000100"
    # Prefilled with the message as people saw it (entities and mentions readable), and its permalink.
    assert element(view, "what_happened")["initial_value"] == "Our canteen now buys lunch from *Derby Bakes* & Co <3 thanks @U0SAM"
    assert element(view, "title")["initial_value"].startswith("Our canteen now buys lunch")
    assert permalink in view["blocks"][0]["text"]["text"] and "A38 Derby Junctions" in view["blocks"][0]["text"]["text"]
    assert {o["value"] for o in element(view, "benefited_key")["options"]} == {"c1", "c2", "n1", "n2", "n3"}

    form = values(
        title="Site canteen buys from Derby Bakes",
        what_happened=element(view, "what_happened")["initial_value"],
        benefited_key="n3",
        scale="project",
        happened_on="2026-11-27",
        consent="public",
        consent_by="Owner, Derby Bakes",
    )
    status, answer = await slack.submit(view, form, user=MEMBER)
    assert (status, answer) == (200, None)
    [study] = await studies(slack.engine)
    assert (study.project_id, study.author, study.permalink, study.benefited_key) == (project.id, MEMBER, permalink, "n3")
    assert (study.scale, study.consent, study.consent_by, str(study.consent_on)) == (
        "project",
        "public",
        "Owner, Derby Bakes",
        "2026-11-28",
    )
    confirmations = await slack.fake.wait_for("chat.postMessage")
    assert any(m["channel"] == MEMBER and "Saved case study" in m["text"] for m in confirmations)

    status, _ = await slack.submit(view, form, user=MEMBER)  # Slack sends the same submission again
    assert status == 200 and len(await studies(slack.engine)) == 1


@pytest.mark.parametrize(
    ("channel", "said_of_it", "why"),
    [
        ("C0NOTIN", {"is_member": False}, "I am not in it"),
        ("G0SECRET", None, "I am not in it"),  # channel_not_found: a private channel the app is not in
        ("D0PEOPLE", {}, "private conversation"),  # a direct message between people
        ("G0GROUP", {"is_mpim": True}, "private conversation"),
    ],
)
async def test_the_shortcut_on_a_message_the_app_cannot_read_says_so_and_makes_no_draft(slack, project, channel, said_of_it, why):
    slack.fake.channels[channel] = said_of_it
    await shortcut(slack, channel=channel)
    [told] = await slack.fake.wait_for("response_url")
    assert "made no draft" in told["text"] and why in told["text"] and told["response_type"] == "ephemeral"
    await slack.fake.settle(0.2)
    assert slack.fake.of("views.open") == [] and slack.fake.of("chat.getPermalink") == []
    assert await studies(slack.engine) == []


async def open_new_form(slack, text: str = "casestudy", user: str = LEAD) -> dict:
    before = len(slack.fake.of("views.open"))
    await slack.command(text, user=user, wait=False)
    return (await slack.fake.wait_for("views.open", before + 1))[-1]["view"]


async def test_bad_input_is_refused_in_the_form_with_its_limit_and_nothing_is_stored(slack, project):
    view = await open_new_form(slack)
    links = "\n".join(f"https://example.org/{i}" for i in range(11))
    status, answer = await slack.submit(
        view,
        values(title="t" * 201, what_happened=" ", scale=None, links=links, consent="public", consent_by=None, benefited_key="n99"),
    )
    errors = answer["errors"]
    assert status == 200 and answer["response_action"] == "errors"
    assert "200 characters" in errors["title"] and "up to 10" in errors["links"]
    assert "This is needed" in errors["what_happened"] and "how far it reaches" in errors["scale"]
    assert "who gave the consent" in errors["consent_by"] and "not a community or need" in errors["benefited_key"]
    status, answer = await slack.submit(view, values(title="Laptops", what_happened="Donated", scale="small", happened_on="2027-01-01"))
    assert "after today" in answer["errors"]["happened_on"]
    assert await studies(slack.engine) == []


async def test_only_its_author_or_the_projects_lead_changes_a_case_study(slack, project):
    view = await open_new_form(slack, user=MEMBER)
    await slack.submit(view, values(title="Laptops for the school", what_happened="12 laptops donated", scale="small"), user=MEMBER)
    [study] = await studies(slack.engine)

    await slack.command("casestudies", user=OTHER)  # in the project's channel: its case studies
    listed = slack.fake.of("response_url")[-1]
    assert "Laptops for the school" in str(listed["blocks"])
    edit = next(b["accessory"] for b in listed["blocks"] if b.get("accessory", {}).get("action_id") == "case_study_edit")
    before = len(slack.fake.of("response_url"))
    click = {"action_id": "case_study_edit", "block_id": "x", "type": "button", "value": edit["value"]}
    await slack.interact({**block_actions(click, user=OTHER, channel=CHANNEL), "response_url": f"{slack.fake.url}/response/{OTHER}"})
    [refused] = (await slack.fake.wait_for("response_url", before + 1))[before:]
    assert "Only the case study's author (<@UMEMBER>) or the project's lead (<@ULEAD>)" in refused["text"]
    assert len(slack.fake.of("views.open")) == 1  # only the first form

    # A form altered to edit it, sent by someone else: refused in the form, nothing changed.
    forged = {**view, "private_metadata": f'{{"project":{project.id},"study":{study.id}}}'}
    status, answer = await slack.submit(forged, values(title="Mine now", what_happened="x", scale="small"), user=OTHER)
    assert "Only the case study's author" in answer["errors"]["title"]

    await slack.interact({**block_actions(click, user=LEAD, channel=CHANNEL), "response_url": f"{slack.fake.url}/response/{LEAD}"})
    opened = (await slack.fake.wait_for("views.open", 2))[-1]["view"]
    assert element(opened, "title")["initial_value"] == "Laptops for the school"
    form = values(title="Laptops for the school", what_happened="12 laptops donated", scale="small", outcome="30 pupils a week")
    assert await slack.submit(opened, form) == (200, None)
    [changed] = await studies(slack.engine)
    assert (changed.title, changed.outcome, changed.author) == ("Laptops for the school", "30 pupils a week", MEMBER)
    async with transaction(slack.engine) as db:
        versions = (await db.exec(select(CaseStudyVersion).order_by(CaseStudyVersion.version))).all()
    assert [(v.version, v.author, v.value["outcome"]) for v in versions] == [(1, MEMBER, None), (2, LEAD, "30 pupils a week")]


async def test_the_listing_filters_by_scale_and_hides_unshared_studies_of_others_projects(slack, project):
    for user, title, scale, consent, by in (
        (LEAD, "Laptops", "small", "none", None),
        (LEAD, "Canteen", "project", "organisation", "Derby Bakes"),
        (OTHER, "Mentoring", "small", "none", None),
    ):
        view = await open_new_form(slack, "casestudy A38 Derby Junctions", user=user)
        status, answer = await slack.submit(
            view, values(title=title, what_happened="x", scale=scale, consent=consent, consent_by=by), user=user
        )
        assert answer is None, answer
    await slack.command("casestudies all small", user=LEAD, channel="C0ELSE")
    shown = str(slack.fake.of("response_url")[-1])
    assert "Laptops" in shown and "Mentoring" in shown and "Canteen" not in shown
    await slack.command("casestudies all", user="USTRANGER", channel="C0ELSE")  # in no project, outside its channel
    shown = str(slack.fake.of("response_url")[-1])
    assert "Canteen" in shown and "Laptops" not in shown and "Mentoring" not in shown

    await slack.event({"type": "app_home_opened", "user": "USTRANGER", "channel": "D1", "tab": "home", "event_ts": "1.1"})
    [home] = await slack.fake.wait_for("views.publish")
    shown = str(home["view"])
    assert "Latest case studies" in shown and "Canteen" in shown and "Laptops" not in shown


@pytest.mark.parametrize(
    ("method", "error", "said"),
    [
        ("chat.getPermalink", "message_not_found", "made no draft"),  # deleted meanwhile, or in a thread the app cannot see
        ("views.open", "expired_trigger_id", "Slack took too long to open that form"),
    ],
)
async def test_a_refusal_from_slack_on_the_way_to_the_draft_is_told_and_nothing_is_stored(slack, project, method, error, said):
    slack.fake.refuse[method] = [{"ok": False, "error": error}]
    await shortcut(slack)
    [told] = await slack.fake.wait_for("response_url")
    assert said in told["text"] and told["response_type"] == "ephemeral"
    assert await studies(slack.engine) == []

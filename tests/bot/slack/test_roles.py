"""Who may change a project, through Slack: its lead and the editors the lead (or a workspace
admin) names with `/socialvalue project editors add @person`. Everyone else reads, and every
refusal names who can, with nothing stored."""

import json

from sqlmodel import select

from bot.slack.ids import ProjectRef
from storage.engine import transaction
from storage.models import Answer, Community, FlowSession, Measure, Project, ProjectEditor
from tests.factories import WHOLE_PLAN, plan_in_slack, shared_case_study
from tests.fake_slack import TEAM, block_actions
from tests.slack_app import CHANNEL, LEAD, MEMBER, NAME, dm_channel

GUEST, ADMIN, OTHER = "UGUEST", "UADMIN", "UOTHER"
WHO_CAN = f"Only the lead of *{NAME}* (<@{LEAD}>)"


async def table(engine, model) -> list:
    async with transaction(engine) as db:
        return list((await db.exec(select(model))).all())


async def editors(engine) -> list[str]:
    return [e.user_id for e in await table(engine, ProjectEditor)]


def last_answer(slack) -> str:
    return slack.fake.of("response_url")[-1]["text"]


async def buttons(slack, user: str) -> dict[str, dict]:
    before = len(slack.fake.of("response_url"))
    await slack.command("status", user=user)
    answer = (await slack.fake.wait_for("response_url", before + 1))[-1]
    return {e["text"]["text"]: e for b in answer.get("blocks", []) if b["type"] == "actions" for e in b["elements"]}


async def click(slack, button: dict, user: str, *, team: str = TEAM) -> None:
    action = {"action_id": button["action_id"], "block_id": "b", "type": "button", "value": button["value"]}
    payload = block_actions(action, user=user, channel=CHANNEL, message={"ts": "1.1"})
    payload["user"]["team_id"] = team
    payload["response_url"] = f"{slack.fake.url}/response/{user}"
    before = len(slack.fake.of("response_url"))
    await slack.interact(payload)
    await slack.fake.wait_for("response_url", before + 1)


async def lead_form(slack, label: str) -> dict:
    """A form as the lead opened it (another member submitting it altered nothing Slack checks)."""
    before = len(slack.fake.of("views.open"))
    button = (await buttons(slack, LEAD))[label]
    action = {"action_id": button["action_id"], "block_id": "b", "type": "button", "value": button["value"]}
    await slack.interact(block_actions(action, user=LEAD, channel=dm_channel(LEAD), message={"ts": "1.1"}))
    return (await slack.fake.wait_for("views.open", before + 1))[-1]["view"]


CADENCE = {"monitoring.cadence:m1": {"value": {"type": "static_select", "selected_option": {"value": "quarterly"}}}}


async def test_nobody_but_the_lead_and_editors_changes_a_plan_and_each_is_told_who_can(slack):
    await plan_in_slack(slack.engine, WHOLE_PLAN, channel=CHANNEL, lead=LEAD)
    slack.fake.people[GUEST] = {"is_restricted": True}
    answers = await table(slack.engine, Answer)

    await slack.command("plan", user=MEMBER)
    assert WHO_CAN in last_answer(slack) and "can change its plan, so nothing was changed" in last_answer(slack)
    assert "`/socialvalue project editors add @you`" in last_answer(slack)
    assert [s.user for s in await table(slack.engine, FlowSession)] == [LEAD]

    # A single-channel guest sees the summary's buttons in the channel and clicks Edit.
    edit = (await buttons(slack, GUEST))["Edit monitoring"]
    await click(slack, edit, GUEST)
    assert WHO_CAN in last_answer(slack)
    # So does someone from another organisation, in a Slack Connect channel.
    await click(slack, edit, "UCONNECT", team="TOTHERORG")
    assert "another organisation's workspace" in last_answer(slack)
    assert slack.fake.of("views.open") == []

    # A form the lead opened, submitted by a member (its private data altered or not).
    form = await lead_form(slack, "Edit monitoring")
    status, refused = await slack.submit(form, CADENCE, user=MEMBER)
    assert status == 200 and refused["response_action"] == "errors"
    [why] = refused["errors"].values()
    assert f"Only the lead of {NAME} (@{LEAD})" in why  # a form shows text, not mentions

    await slack.command("community add", user=MEMBER)
    assert WHO_CAN in last_answer(slack) and "can change its communities" in last_answer(slack)
    await slack.command("community add", wait=False)
    community_form = (await slack.fake.wait_for("views.open", 2))[-1]["view"]
    typed = {"name": {"value": {"type": "plain_text_input", "value": "Taken over"}}}
    status, refused = await slack.submit(community_form, typed, user=MEMBER)
    assert "can change its communities" in refused["errors"]["name"]

    assert await table(slack.engine, Answer) == answers
    assert "Taken over" not in [c.name for c in await table(slack.engine, Community)]
    assert len(slack.fake.of("views.open")) == 2  # the lead's two forms, and no other


async def test_an_editor_the_lead_adds_changes_the_plan_until_removed(slack):
    await slack.command(f"new {NAME}")
    await slack.command("plan", user=MEMBER)
    assert WHO_CAN in last_answer(slack)

    told = await slack.add_editor(MEMBER)
    assert told == f"<@{MEMBER}> can now change the plan of *{NAME}*."
    assert slack.fake.of("response_url")[-1]["response_type"] == "in_channel"
    await slack.command("plan", user=MEMBER)
    question = await slack.next_question(1, user=MEMBER)
    await slack.question_recorded(question)
    await slack.dm("Jobs for local people", user=MEMBER)
    await slack.next_question(2, user=MEMBER)
    [purpose] = [a for a in await table(slack.engine, Answer) if a.field == "purpose"]
    assert (purpose.value, purpose.author) == ("Jobs for local people", MEMBER)

    await slack.command("project editors")
    assert last_answer(slack).startswith(f"*{NAME}* is led by <@{LEAD}>. Its editors: <@{MEMBER}>.")
    await slack.command("status", user="UREADER")  # anyone reading the plan sees whom to ask
    assert f"_Led by <@{LEAD}>, with <@{MEMBER}>: only they change this plan._" in json.dumps(slack.fake.of("response_url")[-1])
    assert await slack.add_editor(MEMBER) == "Nobody was added: each is already its lead or an editor."

    await slack.command(f"project editors remove <@{MEMBER}|member> <@{LEAD}|lead>", escaped=False)
    assert last_answer(slack).startswith(f"<@{MEMBER}> can no longer change the plan of *{NAME}*.")
    assert "The lead stays until a new one is chosen" in last_answer(slack)
    assert await editors(slack.engine) == []

    # Their conversation, begun while they could, takes no more answers.
    await slack.dm("A second purpose", user=MEMBER)
    await slack.fake.settle()
    refused = [m["text"] for m in slack.fake.of("chat.postMessage") if m["channel"] == dm_channel(MEMBER) and "text" in m]
    assert any(WHO_CAN in text for text in refused)
    assert [a.value for a in await table(slack.engine, Answer) if a.question == "why"] == ["Jobs for local people"]


async def test_the_lead_or_an_admin_chooses_editors_and_only_members_can_be_chosen(slack):
    slack.fake.workspace_admins.add(ADMIN)
    slack.fake.people.update(
        {
            GUEST: {"is_restricted": True},
            "UBOTTY": {"is_bot": True},
            "UGONE": {"deleted": True},
            "UCONNECT": {"team_id": "TOTHERORG"},
        }
    )
    await slack.command(f"new {GUEST} project", user=GUEST)
    assert "Guests can read what is shown in their channels but cannot create projects" in last_answer(slack)
    assert await table(slack.engine, Project) == []

    await slack.command(f"new {NAME}")
    assert await slack.add_editor(OTHER, by=MEMBER) == (
        f"Only the lead of *{NAME}* (<@{LEAD}>), workspace admins, or people listed in SOCIALVALUE_ADMINS can choose its lead and editors."
    )
    for user, why in (
        (GUEST, "guests read only what is shown in their channels"),
        ("UBOTTY", "apps and bots do not edit plans"),
        ("UGONE", "their account is deactivated"),
        ("UCONNECT", "they are in another organisation's workspace"),
    ):
        assert await slack.add_editor(user) == f"<@{user}> cannot be given a project: {why}. Nothing was changed."
    slack.fake.refuse["users.info"] = [{"ok": False, "error": "user_not_found"}]
    assert "Slack does not know them in this workspace" in await slack.add_editor("UNOBODY")
    await slack.command("project editors add someone")
    assert last_answer(slack).startswith("Name people with @")
    many = " ".join(f"<@U{n:04d}|p{n}>" for n in range(21))  # one more than a command names at once
    await slack.command(f"project editors add {many}", escaped=False)
    assert last_answer(slack).startswith("Name people with @")
    assert await editors(slack.engine) == []

    assert await slack.add_editor(OTHER, by=ADMIN) == f"<@{OTHER}> can now change the plan of *{NAME}*."

    await slack.command(f"project lead <@{MEMBER}|member>", escaped=False)
    assert last_answer(slack) == (
        f"<@{MEMBER}> now leads *{NAME}*. <@{LEAD}> stays an editor;"
        " the new lead can remove them with `/socialvalue project editors remove`."
    )
    [project] = await table(slack.engine, Project)
    assert project.lead == MEMBER and await editors(slack.engine) == [OTHER, LEAD]
    await slack.command(f"project lead <@{LEAD}|lead>", escaped=False)  # an editor now, no longer the lead
    assert f"Only the lead of *{NAME}* (<@{MEMBER}>)" in last_answer(slack)
    [project] = await table(slack.engine, Project)
    assert project.lead == MEMBER
    assert "handover" not in json.dumps(slack.fake.of("response_url")[-1])


async def test_a_project_of_a_private_channel_is_read_there_and_by_its_team_only(slack):
    slack.fake.channels["C0PRIV"] = {"is_private": True}
    await slack.command("new Secret Bypass", channel="C0PRIV")
    await slack.command("new Open Road", channel="C0OPEN")
    private = {p.name: p.channel_private for p in await table(slack.engine, Project)}
    assert private == {"Secret Bypass": True, "Open Road": False}

    async def asks(text: str, user: str, channel: str) -> str:
        await slack.command(text, user=user, channel=channel)
        answer = slack.fake.of("response_url")[-1]
        return answer["text"] + json.dumps(answer.get("blocks", []))

    elsewhere = dm_channel(MEMBER)
    refused = await asks("status Secret Bypass", MEMBER, elsewhere)
    assert refused.startswith("*Secret Bypass* belongs to a private channel: its members read it there")
    assert "Secret Bypass" not in await asks("projects", MEMBER, elsewhere)
    assert "Open Road" in await asks("projects", MEMBER, elsewhere)
    assert "Secret Bypass" in await asks("projects", MEMBER, "C0PRIV")  # a member of the channel, in it
    assert "Secret Bypass" in await asks("status", MEMBER, "C0PRIV")
    assert "Secret Bypass" in await asks("projects", LEAD, dm_channel(LEAD))  # its lead, anywhere

    await slack.command("project editors add <@UMEMBER|member> Secret Bypass", channel="C0PRIV", escaped=False)
    assert "Secret Bypass" in await asks("status Secret Bypass", MEMBER, elsewhere)  # an editor, anywhere
    owner_only = await asks("status Secret Bypass", "UPRIYA", dm_channel("UPRIYA"))
    assert "belongs to a private channel" in owner_only
    async with transaction(slack.engine) as db:
        [project] = (await db.exec(select(Project).where(Project.name == "Secret Bypass"))).all()
        db.add(Measure(project_id=project.id, key="m1", name="Apprentices", unit="people", owner="<@UPRIYA>"))
    assert "belongs to a private channel" not in await asks("status Secret Bypass", "UPRIYA", dm_channel("UPRIYA"))  # an owner


async def test_the_worker_asks_slack_once_whether_an_older_projects_channel_is_private(slack):
    from flows.projects import new_project, workspace_of

    async with transaction(slack.engine) as db:  # projects from before the app asked
        workspace = await workspace_of(db, team_id=TEAM)
        for name, channel in (("Busy", "C0BUSY"), ("Public", "C0PUB"), ("Private", "C0PRIV"), ("Left", "C0LEFT")):
            await new_project(db, workspace, name=name, channel=channel, lead=LEAD)
    slack.fake.channels.update({"C0PRIV": {"is_private": True}, "C0LEFT": None})  # C0LEFT: channel_not_found
    slack.fake.refuse["conversations.info"] = [{"ok": False, "error": "internal_error"}]  # for the first asked
    await slack.run_worker()
    known = {p.name: p.channel_private for p in await table(slack.engine, Project)}
    assert known == {"Public": False, "Private": True, "Left": True, "Busy": None}
    await slack.run_worker()  # the one Slack could not answer is asked again; the others never
    asked = [c.args["channel"] for c in slack.fake.calls if c.method == "conversations.info"]
    assert asked == ["C0BUSY", "C0PUB", "C0PRIV", "C0LEFT", "C0BUSY"]
    assert {p.name: p.channel_private for p in await table(slack.engine, Project)}["Busy"] is False


async def test_a_guest_reads_a_project_in_its_channel_and_nothing_of_the_rest_of_the_workspace(slack):
    slack.fake.people[GUEST] = {"is_restricted": True}
    await slack.command(f"new {NAME}")
    await slack.command("new Open Road", channel="C0OPEN")
    async with transaction(slack.engine) as db:
        road = (await db.exec(select(Project).where(Project.name == "Open Road"))).one()
        await shared_case_study(db, road, title="Shared road study", author=LEAD, now=slack.clock.now())

    async def asks(text: str, channel: str, user: str = GUEST) -> str:
        await slack.command(text, user=user, channel=channel)
        answer = slack.fake.of("response_url")[-1]
        return answer["text"] + json.dumps(answer.get("blocks", []))

    assert NAME in await asks("status", CHANNEL)  # in the channel a guest was invited to
    elsewhere = await asks("status Open Road", CHANNEL)
    assert elsewhere.startswith("As a guest of this workspace you read *Open Road* in its channel")
    listed = await asks("projects", CHANNEL)
    assert NAME in listed and "Open Road" not in listed
    assert "Shared road study" not in await asks("casestudies all", CHANNEL)
    assert "for its members: guests read each project in its channel" in await asks("digest preview", CHANNEL)
    assert [c.args["user"] for c in slack.fake.calls if c.method == "users.info"].count(GUEST) == 1  # asked once, then known

    # A member is not a guest: the same questions show the workspace.
    assert "Open Road" in await asks("projects", CHANNEL, user=MEMBER)
    assert "Shared road study" in await asks("casestudies all", CHANNEL, user=MEMBER)

    # Typed in the app's DM, the same questions are read the same way.
    await slack.dm("status Open Road", user=GUEST)
    await slack.fake.settle()
    told = [m["text"] for m in slack.fake.of("chat.postMessage") if m["channel"] == dm_channel(GUEST) and "text" in m]
    assert any(t.startswith("As a guest of this workspace you read *Open Road* in its channel") for t in told)


async def test_when_slack_will_not_say_who_is_a_guest_the_caller_reads_as_a_member_and_is_asked_again(slack):
    await slack.command(f"new {NAME}")
    slack.fake.refuse["users.info"] = [{"ok": False, "error": "internal_error"}]
    await slack.command("projects", user=OTHER, channel="C0ELSEWHERE")
    assert NAME in json.dumps(slack.fake.of("response_url")[-1])  # answered, not an error
    slack.fake.people[OTHER] = {"is_restricted": True}
    await slack.command("projects", user=OTHER, channel="C0ELSEWHERE")  # nothing was kept: asked again
    assert NAME not in json.dumps(slack.fake.of("response_url")[-1])
    assert [c.args["user"] for c in slack.fake.calls if c.method == "users.info"].count(OTHER) == 2


async def test_a_guests_altered_summary_button_shows_no_project_outside_their_channel(slack):
    """App Home lists a guest only what they may read; a summary button whose project id was
    altered to another project's is refused as the guest's commands are, and no summary opens."""
    slack.fake.people[GUEST] = {"is_restricted": True}
    await slack.command(f"new {NAME}")
    await slack.command("new Open Road", channel="C0OPEN")
    async with transaction(slack.engine) as db:
        road = (await db.exec(select(Project).where(Project.name == "Open Road"))).one()
    altered = {"action_id": "home_summary", "block_id": "b", "type": "button", "value": ProjectRef(project=road.id).encode()}

    await slack.interact(block_actions(altered, user=GUEST, channel=dm_channel(GUEST)))
    await slack.fake.settle()
    assert slack.fake.of("views.open") == []
    told = [m.get("text", "") for m in slack.fake.of("chat.postMessage") if m["channel"] == dm_channel(GUEST)]
    assert any(t.startswith("As a guest of this workspace you read *Open Road* in its channel") for t in told)

    await slack.interact(block_actions(altered, user=MEMBER, channel=dm_channel(MEMBER)))  # a member reads it
    [modal] = await slack.fake.wait_for("views.open")
    assert "Open Road" in json.dumps(modal)

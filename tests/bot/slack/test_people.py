"""People as Slack knows them: owners and leads looked up (time zone, name, deactivated) and
refreshed, named in Slack by mention and in files by name (the terminal's own projects name
people as typed); an owner Slack no longer has is
not reminded, and the lead is told once which measures need another owner."""

from datetime import timedelta

from sqlmodel import select

from flows.handover_pack import handover_document
from flows.people import LOOKUPS_PER_PASS, REFRESH
from storage.engine import transaction
from storage.models import Project, SlackUser
from tests.factories import WHOLE_PLAN, plan_in_slack
from tests.fake_slack import TEAM
from tests.slack_app import CHANNEL, LEAD, NAME

OWNED = [{"Priya Shah": "UPRIYA", "Tom Evans": "<@W0TOM>"}.get(answer, answer) for answer in WHOLE_PLAN]
GONE_TEXT = "is no longer in this Slack workspace"


def posts_to(slack, user: str) -> list[dict]:
    return [m for m in slack.fake.of("chat.postMessage") if m["channel"] == user]


def told_gone(slack) -> list[dict]:
    return [m for m in posts_to(slack, LEAD) if GONE_TEXT in m.get("text", "")]


async def known(engine) -> dict[str, SlackUser]:
    async with transaction(engine) as db:
        return {u.user_id: u for u in (await db.exec(select(SlackUser))).all()}


async def test_people_are_mentioned_in_slack_and_named_in_files_and_the_terminal(slack):
    project = await plan_in_slack(slack.engine, OWNED, team=TEAM, channel=CHANNEL, lead=LEAD)
    slack.fake.people |= {"UPRIYA": {"real_name": "Priya Shah"}, "W0TOM": {"real_name": "Tom Evans"}, LEAD: {"real_name": "Lee Adams"}}
    await slack.run_worker()
    await slack.command(f"status {NAME}")
    shown = str(slack.fake.of("response_url")[-1])
    assert "Owner (Apprenticeships on the contract): <@UPRIYA>" in shown and "<@W0TOM>" in shown
    async with transaction(slack.engine) as db:
        found = await db.get(Project, project.id)
        markdown = await handover_document(db, found, "md", slack.clock.now().date())
        html = await handover_document(db, found, "html", slack.clock.now().date())
    for document in (markdown, html):
        assert "Priya Shah" in document and "Tom Evans" in document and "Lee Adams" in document
        assert "UPRIYA" not in document.replace("UPRIYA&quot;", "") or "Owner: UPRIYA" not in document
    assert "- Owner: Priya Shah" in markdown and "- Lead: Lee Adams" in markdown


async def test_names_are_refreshed_weekly_and_a_failed_refresh_keeps_what_was_known(slack):
    await plan_in_slack(slack.engine, OWNED, team=TEAM, channel=CHANNEL, lead=LEAD)
    slack.fake.people["UPRIYA"] = {"real_name": "Priya Shah", "tz": "Asia/Kolkata"}
    await slack.run_worker()
    asked = len(slack.fake.of("users.info"))
    slack.fake.people["UPRIYA"] = {"real_name": "Priya Shah-Jones", "tz": "Asia/Kolkata"}
    slack.clock.advance(timedelta(days=1))
    await slack.run_worker()
    assert len(slack.fake.of("users.info")) == asked  # known: not asked again within the week
    slack.clock.advance(REFRESH)
    slack.fake.rate_limit["users.info"] = [1, 1, 1]
    await slack.run_worker()
    assert (await known(slack.engine))["UPRIYA"].name == "Priya Shah"  # a 429 keeps what was known
    assert (await known(slack.engine))["UPRIYA"].tz == "Asia/Kolkata"
    await slack.run_worker()
    assert (await known(slack.engine))["UPRIYA"].name == "Priya Shah-Jones"


async def test_lookups_are_bounded_per_pass_and_the_unknown_come_first(slack):
    owners = [f"U{n:04d}OWN" for n in range(LOOKUPS_PER_PASS + 10)]
    plan = list(WHOLE_PLAN)
    await plan_in_slack(slack.engine, plan, team=TEAM, channel=CHANNEL, lead=LEAD)
    async with transaction(slack.engine) as db:
        from storage.projects import add_measure

        [project] = (await db.exec(select(Project))).all()
        for n, owner in enumerate(owners):
            await add_measure(db, project_id=project.id, name=f"Measure {n}", unit="people", owner=owner)
    await slack.run_worker()
    assert len(slack.fake.of("users.info")) == LOOKUPS_PER_PASS
    await slack.run_worker()
    looked_up = {c["user"] for c in slack.fake.of("users.info")}
    assert set(owners) <= looked_up and len(slack.fake.of("users.info")) == len(looked_up)  # each once


async def test_a_deactivated_owner_is_not_reminded_and_the_lead_is_told_once(slack):
    await plan_in_slack(slack.engine, OWNED, team=TEAM, channel=CHANNEL, lead=LEAD)
    slack.fake.people["UPRIYA"] = {"deleted": True, "real_name": "Priya Shah"}
    slack.clock.at("2026-11-24T09:30:00")
    await slack.run_worker()
    await slack.run_worker()
    [told] = told_gone(slack)
    assert "<@UPRIYA> (Priya Shah)" in told["text"] and "Apprenticeships on the contract" in str(told["blocks"])
    assert "Local labour" not in str(told["blocks"])  # Tom's measure still has its owner
    assert "Edit buttons" in str(told["blocks"])
    for _ in range(3):  # a week of passes, overdue included
        slack.clock.advance(timedelta(days=3))
        await slack.run_worker()
    slack.clock.at("2026-12-28T09:30:00")  # Tom's quarter is due on 1 Jan
    await slack.run_worker()
    assert posts_to(slack, "UPRIYA") == []
    assert len(told_gone(slack)) == 1
    assert posts_to(slack, "W0TOM")  # the other owner is reminded as before
    slack.fake.people["UPRIYA"] = {"deleted": False}  # reactivated: found again at the weekly refresh
    slack.clock.advance(REFRESH + timedelta(hours=1))
    await slack.run_worker()
    await slack.run_worker()
    assert posts_to(slack, "UPRIYA")


async def test_a_reminder_slack_will_not_deliver_stops_reminding_that_person_and_tells_the_lead_once(slack):
    await plan_in_slack(slack.engine, OWNED, team=TEAM, channel=CHANNEL, lead=LEAD)
    slack.fake.refuse_in["UPRIYA"] = "user_disabled"  # deactivated after the last lookup
    slack.clock.at("2026-11-24T09:30:00")
    done = await slack.run_worker()
    assert done.failed >= 1 and done.retried == 0
    assert (await known(slack.engine))["UPRIYA"].gone
    slack.fake.people["UPRIYA"] = {"deleted": True}  # as users.info says at the next weekly lookup
    refused = len(posts_to(slack, "UPRIYA"))
    for _ in range(3):
        slack.clock.advance(timedelta(days=3))
        await slack.run_worker()
    assert len(posts_to(slack, "UPRIYA")) == refused  # not tried again
    [told] = told_gone(slack)
    assert "could not post" not in str([m.get("text") for m in posts_to(slack, LEAD)])  # one message, not one per failure


async def test_a_lead_who_is_gone_is_not_sent_overdue_reminders_and_nobody_is_told_of_themselves(slack):
    plan = [{"Priya Shah": LEAD, "Tom Evans": LEAD}.get(answer, answer) for answer in WHOLE_PLAN]
    await plan_in_slack(slack.engine, plan, team=TEAM, channel=CHANNEL, lead=LEAD)
    slack.fake.people[LEAD] = {"deleted": True}
    slack.clock.at("2026-12-02T09:30:00")
    await slack.run_worker()
    await slack.run_worker()
    assert posts_to(slack, LEAD) == []

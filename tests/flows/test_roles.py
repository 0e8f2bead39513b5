"""The roles in the domain: who is on a project's team, its bound, a new lead, and who may
report on a measure (its owner, or the team)."""

import pytest

from flows.progress.updates import may_report
from flows.projects import ProjectRefused
from flows.roles import MAX_EDITORS, add_editors, check_may_change, choose_lead, remove_editors, team_of
from storage.engine import transaction
from storage.models import Measure
from tests.factories import plan_in_slack

LEAD = "ULEAD"


async def test_the_team_is_bounded_and_a_new_lead_keeps_the_one_before_as_an_editor(engine):
    project = await plan_in_slack(engine, [], lead=LEAD)
    many = [f"U{n:04d}" for n in range(MAX_EDITORS)]
    async with transaction(engine) as db:
        assert await add_editors(db, project, [LEAD, *many[:-1], many[0]], by=LEAD) == many[:-1]  # the lead and a repeat skipped
    async with transaction(engine) as db:
        assert await add_editors(db, project, [many[-1]], by=LEAD) == [many[-1]]  # the 50th
    with pytest.raises(ProjectRefused) as refused:
        async with transaction(engine) as db:
            await add_editors(db, project, ["UONEMORE"], by=LEAD)
    assert (refused.value.reason, refused.value.context["count"]) == ("too_many_editors", MAX_EDITORS)
    async with transaction(engine) as db:
        assert await remove_editors(db, project, [many[0], "UNEVER"]) == [many[0]]
        before = await choose_lead(db, project, many[1], by=LEAD)
        team = await team_of(db, project)
    assert before == LEAD and team.lead == many[1]
    assert many[1] not in team.editors and team.editors[-1] == LEAD and len(team.editors) == MAX_EDITORS - 1


async def test_a_measure_is_reported_on_by_its_owner_and_the_team_only(engine):
    project = await plan_in_slack(engine, [], lead=LEAD)
    measure = Measure(project_id=project.id, key="m1", name="Apprentices", owner="<@UOWNER>")
    async with transaction(engine) as db:
        await add_editors(db, project, ["UEDITOR"], by=LEAD)
        team = await team_of(db, project)
        with pytest.raises(ProjectRefused) as refused:
            await check_may_change(db, project, "UOWNER")
    assert [user for user in ("UOWNER", LEAD, "UEDITOR", "UMEMBER") if may_report(team, measure, user)] == ["UOWNER", LEAD, "UEDITOR"]
    assert refused.value.context == {"name": project.name, "lead": LEAD, "editors": ["UEDITOR"], "what": "plan"}


async def test_people_named_in_the_terminal_are_editors_and_leads_whatever_their_length(engine):
    project = await plan_in_slack(engine, [], lead="Priya Shah")
    long = "Dr " + "Anne-Marie " * 17 + "Smith"  # 192 characters: a person's name may be 200
    async with transaction(engine) as db:
        assert await add_editors(db, project, [long], by="Priya Shah") == [long]
        assert await choose_lead(db, project, "Tom Evans", by="Priya Shah") == "Priya Shah"
        team = await team_of(db, project)
    assert (team.lead, team.editors) == ("Tom Evans", [long, "Priya Shah"])

"""The plan flow driven through the runner, checked by what is stored and what the user is told."""

from datetime import date

import pytest

from flows.projects import local_project
from storage.answers import answer_history, current_answers
from storage.engine import transaction
from storage.projects import list_communities, list_measures, list_needs
from tests.factories import BAD_INPUT, PROJECT, WHOLE_PLAN, WHY, say, say_all, start_plan


async def stored(engine):
    async with transaction(engine) as db:
        project = await local_project(db, name=PROJECT, lead="alice")
        return (
            project,
            await list_communities(db, project_id=project.id),
            await list_measures(db, project_id=project.id),
            await answer_history(db, project_id=project.id),
        )


async def test_the_whole_plan_is_stored_where_later_features_read_it(engine):
    first = await start_plan(engine)
    assert first.step == "why.purpose" and first.progress.index == 1
    reply = await say_all(engine, *WHOLE_PLAN)

    assert reply.status == "complete"
    assert "Every question is answered." in reply.text
    for fragment in (
        "To leave lasting jobs & skills in Derby",
        "Spondon",
        "Local labour (FTE), code NH-SV-03",
        "520 apprenticeship weeks",
        "31 Mar 2028",
        "Quarterly",
        "100, 85, 60",
        "safe crossings: answered by Apprenticeships on the contract. Evidence: Ward profile 2024."
        " Signposted to: Derby City Council road safety team",
        "local jobs: answered by Local labour",
        "Apprenticeships on the contract (apprenticeship weeks), answers: safe crossings; quiet nights",
    ):
        assert fragment in reply.text

    project, communities, measures, answers = await stored(engine)
    assert project.client_organisation == "National Highways"
    assert project.phase == "construction"
    assert project.planned_completion == date(2027, 9, 30)
    assert project.handover_date == date(2027, 10, 31)
    assert project.next_custodian == "National Highways East Midlands operations"
    assert [(c.key, c.name, c.place, c.who) for c in communities] == [
        ("c1", "Chaddesden residents", "Derby DE21", "12,000 households"),
        ("c2", "Spondon", "Derby", "commuters"),
    ]
    async with transaction(engine) as db:
        needs = await list_needs(db, project_id=project.id)
    assert [(n.key, n.community_id, n.name, n.evidence, n.signposting) for n in needs] == [
        ("n1", communities[0].id, "safe crossings", "Ward profile 2024", "Derby City Council road safety team"),
        ("n2", communities[0].id, "quiet nights", None, None),
        ("n3", communities[1].id, "local jobs", "Census 2021", None),
    ]
    apprenticeships, labour = measures
    assert (apprenticeships.key, apprenticeships.catalogue_ref, apprenticeships.unit) == ("m1", "ppn002-2025/2.1", "apprenticeship weeks")
    assert (labour.framework_code, labour.framework_name) == ("NH-SV-03", "National Highways Social Value Plan")
    assert (apprenticeships.needs, labour.needs) == (["n1", "n2"], ["n3"])
    assert (labour.baseline_value, labour.baseline_date, labour.target_value, labour.target_date) == (
        12,
        date(2026, 4, 1),
        40,
        date(2027, 3, 31),
    )
    assert (apprenticeships.owner, apprenticeships.cadence, labour.cadence) == ("Priya Shah", "monthly", "quarterly")

    by_key = {(a.question, a.field, a.subject): a for a in answers}
    assert by_key[("why", "drivers", "")].value == ["statutory", "client"]
    assert by_key[("why", "communities", "c2")].value["name"] == "Spondon"
    assert by_key[("why", "needs", "n3")].value == {"name": "local jobs", "evidence": "Census 2021", "signposting": None}
    assert by_key[("what", "needs", "m1")].value == ["n1", "n2"]
    assert by_key[("how", "baseline_date", "m2")].value == "2026-04-01"
    assert by_key[("monitoring", "thresholds", "")].value == [100, 85, 60]
    assert all(a.author == "alice" and a.version == 1 and a.flow == "plan" and a.flow_version == 1 for a in answers)


async def test_an_edit_is_a_new_version_and_the_old_one_is_kept(engine):
    await start_plan(engine)
    await say(engine, "First purpose")
    joined = await start_plan(engine, user="bob")  # a second member starts at the first unanswered
    assert joined.step == "why.drivers"
    reply = await say(engine, "back", user="bob")
    assert reply.step == "why.purpose"
    assert "Current answer: First purpose" in reply.text
    await say(engine, "Better purpose", user="bob")

    *_, answers = await stored(engine)
    purposes = [(a.version, a.value, a.author) for a in answers if a.field == "purpose"]
    assert purposes == [(1, "First purpose", "alice"), (2, "Better purpose", "bob")]
    async with transaction(engine) as db:
        project = await local_project(db, name=PROJECT, lead="alice")
        current = await current_answers(db, project_id=project.id)
    assert current[("why", "purpose", "")].value == "Better purpose"


@pytest.mark.parametrize("before, bad, step, explanation", BAD_INPUT, ids=[b[2] + ":" + b[1][:12] for b in BAD_INPUT])
async def test_bad_input_is_explained_the_question_repeated_and_nothing_stored(engine, before, bad, step, explanation):
    await start_plan(engine)
    await say_all(engine, *before)
    *_, answers_before = await stored(engine)

    reply = await say(engine, bad)

    assert reply.error and explanation in reply.notice
    assert "\n" not in reply.notice
    assert reply.step == step and reply.status == "asking"
    *_, answers_after = await stored(engine)
    assert len(answers_after) == len(answers_before)


async def test_skipped_questions_are_listed_as_unanswered(engine):
    await start_plan(engine)
    reply = await say(engine, "Jobs for Derby")
    while reply.status == "asking":
        reply = await say(engine, "skip")
    assert reply.status == "complete"
    assert "Jobs for Derby" in reply.text
    assert "Still unanswered (16)" in reply.text and "• Drivers" in reply.text
    *_, answers = await stored(engine)
    assert [a.field for a in answers] == ["purpose"]


async def test_pause_then_resume_where_the_user_stopped(engine):
    await start_plan(engine)
    await say_all(engine, "Purpose", "1")
    paused = await say(engine, "pause")
    assert paused.status == "paused" and "saved" in paused.text

    resumed = await start_plan(engine)
    assert resumed.step == "why.client" and resumed.progress.index == 3


async def test_back_at_the_first_question_says_so(engine):
    await start_plan(engine)
    reply = await say(engine, "back")
    assert reply.step == "why.purpose" and "first question" in reply.notice


async def test_help_shows_the_guidance_of_the_question(engine):
    await start_plan(engine)
    reply = await say(engine, "help")
    assert reply.show_help and "A38 works" in reply.help and reply.step == "why.purpose"


async def test_progress_counts_the_questions_each_measure_adds(engine):
    await start_plan(engine)
    before = await say_all(engine, *WHY, "2")
    after = await say(engine, "1, 2")  # two catalogue measures
    # per measure: the needs it answers, ten "how" questions and its cadence
    assert after.progress.total == before.progress.total + 2 * 12


async def test_other_drivers_are_asked_what_and_the_devolved_acts_are_offered(engine):
    await start_plan(engine)
    reply = await say(engine, "Purpose")
    labels = [c.label for c in reply.choices]
    assert "Well-being of Future Generations (Wales) Act 2015" in labels and "Procurement Reform (Scotland) Act 2014" in labels
    assert labels[-1] == "Other"
    reply = await say(engine, f"1, {len(labels)}")
    assert reply.step == "why.drivers_other" and 'You picked "Other"' in reply.text
    reply = await say(engine, "The combined authority's social value charter")
    assert reply.step == "why.client"
    reply = await say(engine, "back")
    reply = await say(engine, "back")
    reply = await say(engine, "1")  # Other no longer picked: its question no longer applies
    assert reply.step == "why.client"


async def test_a_month_typed_for_a_date_is_asked_which_day_and_nothing_is_stored(engine):
    await start_plan(engine)
    await say_all(engine, *WHY, "2", "1", "done", "1", "Register", "HR", "1", "0")
    reply = await say(engine, "April 2026")
    assert reply.error and reply.step == "how.baseline_date:m1"
    assert "Which day of April 2026? Please give the day too, for example 30/04/2026." in reply.notice
    _, _, measures, _ = await stored(engine)
    assert measures[0].baseline_date is None

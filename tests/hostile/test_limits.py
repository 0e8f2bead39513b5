"""What one plan holds is bounded, and every part of an answer fits its column: a message
that would add thousands of measures, or a unit longer than the database holds, is refused
with the limit named, and nothing of it is stored (on both databases)."""

from datetime import date

from sqlalchemy import event
from sqlmodel import select

from flows.plan import MAX_COMMUNITIES, MAX_LEGACY_YEARS, MAX_NEEDS, MAX_OWN_MEASURES
from flows.progress.status import project_status
from flows.project_file import MAX_CATALOGUE_MEASURES
from flows.projects import new_project, workspace_of
from flows.schedules import MAX_PER_YEAR, MAX_YEARS
from storage.answers import append_answer
from storage.engine import reading, transaction
from storage.models import Community, Measure, Need, Project
from storage.projects import add_community, add_measure
from tests.factories import WHAT, WHY, say, say_all, start_plan
from tests.terminal import chat, export, run


async def stored(engine, table) -> list:
    async with transaction(engine) as db:
        return list((await db.exec(select(table))).all())


async def at_own_measures(engine):
    await start_plan(engine)
    await say_all(engine, *WHY, *WHAT[:2])  # the catalogue's pick: one measure


async def test_one_message_of_1250_measures_is_refused_whole(engine):
    await at_own_measures(engine)
    reply = await say(engine, "a|b\n" * 1250)  # 5,000 characters
    print(f"\n1,250 measures in one message: refused={reply.error}")
    assert reply.error and f"A plan holds up to {MAX_OWN_MEASURES} of these, so {MAX_OWN_MEASURES} more can be added" in reply.notice
    assert len(await stored(engine, Measure)) == 1


async def test_the_own_measures_fill_up_to_the_limit_then_are_refused(engine):
    await at_own_measures(engine)
    first = await say(engine, "".join(f"Measure {n} | each\n" for n in range(MAX_OWN_MEASURES - 1)))
    assert not first.error
    over = await say(engine, "Two more | each\nAnd another | each")
    assert over.error and "so 1 more can be added: this adds 2" in over.notice
    last = await say(engine, "The last | each")
    assert not last.error
    full = await say(engine, "One too many | each")
    assert full.error and "and it has them all" in full.notice
    assert len(await stored(engine, Measure)) == MAX_OWN_MEASURES + 1  # with the catalogue's


async def test_communities_are_bounded(engine):
    await start_plan(engine)
    await say_all(engine, *WHY[:3])
    reply = await say(engine, "".join(f"Street {n} | Derby\n" for n in range(MAX_COMMUNITIES + 1)))
    assert reply.error and f"up to {MAX_COMMUNITIES}" in reply.notice
    assert await stored(engine, Community) == []


async def test_needs_fill_up_to_the_plans_limit_across_its_communities_then_are_refused(engine):
    """100 needs in a plan, whichever communities have them: one more is refused, and a line
    over its part's length too, each with the limit named and nothing of it stored."""
    await start_plan(engine)
    await say_all(engine, *WHY[:3], "Chaddesden | Derby\nSpondon | Derby", "done")
    first = await say(engine, "".join(f"need {n}\n" for n in range(MAX_NEEDS - 1)))  # Chaddesden's
    assert not first.error and first.step == "why.needs:c1"
    await say(engine, "done")
    long = await say(engine, "x" * 1001)  # Spondon's
    assert long.error and "is 1001 characters long: that part may be up to 1000" in long.notice
    over = await say(engine, "one more\nand another")
    assert over.error and "so 1 more can be added: this adds 2" in over.notice
    assert len(await stored(engine, Need)) == MAX_NEEDS - 1
    assert not (await say(engine, "the last")).error
    full = await say(engine, "one too many")
    assert full.error and "and it has them all" in full.notice
    assert [n.name for n in await stored(engine, Need)][-2:] == ["need 98", "the last"]


async def test_a_unit_longer_than_its_column_is_refused_before_the_database(engine):
    await at_own_measures(engine)
    reply = await say(engine, f"Local labour | {'x' * 65}")
    assert reply.error and "that part may be up to 64" in reply.notice
    assert len(await stored(engine, Measure)) == 1
    code = await say(engine, f"Local labour | FTE | {'C' * 65}")
    assert code.error and "may be up to 64" in code.notice
    needs = await say(engine, f"Local labour | {'u' * 64} | {'C' * 64} | {'N' * 1000}")  # each at its limit: stored
    assert not needs.error
    assert {len(m.unit) for m in await stored(engine, Measure)} == {len("apprenticeship weeks"), 64}


def test_a_terminal_user_longer_than_its_column_is_refused_before_anything_runs(database_url):
    done = chat(database_url, "To leave lasting jobs", user="x" * 201)
    assert done.returncode == 2 and "--user must be a name or a Slack user id of up to 200 printable characters" in done.stderr
    assert run(database_url, "export", "--project", "A38 Derby Junctions").returncode == 1
    assert chat(database_url, "To leave lasting jobs", "quit", user="x" * 200).returncode == 0
    assert export(database_url)["answers"][0]["author"] == "x" * 200


async def plan_at_the_limits(engine, name: str, communities: int, measures: int) -> Project:
    """Rows as the conversation would leave them: every measure weekly over the widest dates."""
    async with transaction(engine) as db:
        project = await new_project(db, await workspace_of(db, team_id="T0001"), name=name, channel="C0001", lead="ULEAD")
        project.planned_completion = date(2150, 12, 31)
        for n in range(communities):
            await add_community(db, project_id=project.id, name=f"Street {n}", needs=f"need {n}")
        for n in range(measures):
            await add_measure(
                db,
                project_id=project.id,
                name=f"Measure {n}",
                unit="units",
                baseline_value=0,
                baseline_date=date(1990, 1, 1),
                target_value=1000,
                target_date=date(2150, 12, 31),
                owner="<@UOWNER>",
                cadence="weekly",
            )
        await append_answer(
            db,
            project_id=project.id,
            flow="plan",
            flow_version=1,
            question="how_long",
            field="legacy_years",
            value=MAX_LEGACY_YEARS,
            author="ULEAD",
        )
    return project


async def test_the_status_of_the_largest_allowed_plan_takes_the_statements_of_a_small_one(engine):
    small = await plan_at_the_limits(engine, "Small", 1, 2)
    largest = await plan_at_the_limits(engine, "Largest", MAX_COMMUNITIES, MAX_OWN_MEASURES + MAX_CATALOGUE_MEASURES)
    counted: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: counted.append(args[2]))
    figures = {}
    for project in (small, largest):
        counted.clear()
        async with reading(engine) as db:
            statuses = await project_status(db, project, date(2026, 11, 28))
        figures[project.name] = (len(counted), len(statuses), max(len(s.plan.schedule) for s in statuses))
    print(f"\nstatus: (statements, measures, periods of the longest schedule) {figures}")
    assert figures["Largest"][0] == figures["Small"][0]
    assert figures["Largest"][1] == 68 and figures["Largest"][2] <= MAX_PER_YEAR * MAX_YEARS


async def test_a_community_is_named_once_whatever_its_capitals_and_spaces(engine):
    await start_plan(engine)
    await say_all(engine, *WHY[:3])
    first = await say(engine, "Chaddesden residents | Derby DE21")
    assert not first.error
    again = await say(engine, "Spondon | Derby\nchaddesden   Residents | DE21")
    assert again.error and '"chaddesden   Residents" is already in the plan as "Chaddesden residents"' in again.notice
    twice = await say(engine, "Alvaston | Derby\nALVASTON | Derby")
    assert twice.error and '"ALVASTON" is already in the plan as "Alvaston"' in twice.notice
    assert [c.name for c in await stored(engine, Community)] == ["Chaddesden residents"]

"""A community and its needs changed at once, as rows: a need kept keeps its key and the
measures that answer it, a reworded one too, one left out is retired, and new rows add needs;
every change is a new version in the history."""

from sqlmodel import select

from flows.communities import CommunityRefused, community_form, save_community
from flows.conversation.engine import load_state
from flows.conversation.runner import answer_flow, open_flow
from flows.coverage import coverage
from flows.plan import MAX_NEEDS, PLAN
from flows.projects import new_project, workspace_of
from prompts import MarkupKind
from storage.engine import transaction
from storage.models import Answer, Need
from tests.factories import WHAT, WHY

PARTS = {"name": "Chaddesden residents", "place": "Derby DE21", "who": "12,000 households"}


async def planned(engine):
    async with transaction(engine) as db:
        project = await new_project(db, await workspace_of(db, team_id="T0001"), name="A38", channel=None, lead="alice")
        await open_flow(db, PLAN, project=project, user="alice")
        for text in [*WHY, *WHAT]:  # apprenticeships answer n1, n2 (Chaddesden); local labour n3 (Spondon)
            await answer_flow(db, PLAN, project=project, user="alice", text=text)
    return project


async def save(engine, project, needs, key="c1", parts=PARTS):
    async with transaction(engine) as db:
        return await save_community(db, project, user="bob", key=key, parts=parts, needs=needs, markup=MarkupKind.TEXT)


async def test_needs_as_rows_keep_reword_retire_and_add_and_keep_the_measures_answering_them(engine):
    project = await planned(engine)
    async with transaction(engine) as db:
        state = await load_state(db, project)
        assert (
            community_form(state, state.communities[0]).needs
            == "safe crossings | Ward profile 2024 | Derby City Council road safety team\nquiet nights"
        )
    changes = await save(
        engine,
        project,
        "safe crossings | Ward profile 2024 | Derby road safety team, 01332 000000\n"  # kept, its signposting changed
        "quiet nights during the works | noise survey\n"  # reworded: still n2, still answered
        "safe walking routes to the station | ward consultation",  # new
    )
    assert changes == [
        "Need changed: safe crossings",
        "Need changed: quiet nights during the works",
        "Need added: safe walking routes to the station",
    ]
    async with transaction(engine) as db:
        state = await load_state(db, project)
        covered = coverage(state)
        history = (await db.exec(select(Answer).where(Answer.field == "needs", Answer.subject == "n2").order_by(Answer.version))).all()
    chaddesden = covered.communities[0]
    assert [(n.need.key, n.need.name, n.measures) for n in chaddesden.needs] == [
        ("n1", "safe crossings", ["Apprenticeships on the contract"]),
        ("n2", "quiet nights during the works", ["Apprenticeships on the contract"]),
        ("n4", "safe walking routes to the station", []),
    ]
    assert [(a.version, a.value["name"], a.author) for a in history] == [
        (1, "quiet nights", "alice"),
        (2, "quiet nights during the works", "bob"),
    ]

    assert await save(engine, project, "safe walking routes to the station | ward consultation") == [
        "Need removed: safe crossings (kept in the history)",
        "Need removed: quiet nights during the works (kept in the history)",
    ]  # rows left out are retired: the gap shows, and the measure is asked again for the needs it answers
    async with transaction(engine) as db:
        retired = (await db.exec(select(Need).where(Need.retired_by == "bob"))).all()
    assert sorted(n.key for n in retired) == ["n1", "n2"]


async def test_a_refused_community_or_needs_store_nothing(engine):
    project = await planned(engine)
    too_many = "\n".join(f"need {i}" for i in range(MAX_NEEDS))  # with Spondon's one, one over
    for needs, parts, key, field, said in (
        (too_many, PARTS, "c1", "needs", "up to 100"),
        ("a | b | c | d", PARTS, "c1", "needs", "more than 3 parts"),
        ("x\nX", PARTS, "c1", "needs", "already"),
        (None, {**PARTS, "name": "spondon"}, "c1", "name", "already in the plan"),
        (None, {"name": ""}, None, "name", "This is needed"),
        (None, {"name": "Alvaston | allotments"}, None, "name", "|"),
    ):
        try:
            await save(engine, project, needs, key=key, parts=parts)
        except CommunityRefused as refused:
            assert said in refused.errors[field], refused.errors
        else:
            raise AssertionError(f"saved {needs!r} {parts}")
    async with transaction(engine) as db:
        state = await load_state(db, project)
    assert [c.name for c in state.communities] == ["Chaddesden residents", "Spondon"] and len(state.needs) == 3
    assert await save(engine, project, "\n".join(f"need {i}" for i in range(MAX_NEEDS - 1))) != []  # at the bound: taken

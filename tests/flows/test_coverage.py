"""Which needs a plan answers: per community, each need with the measures that answer it, and
the needs no measure answers flagged as gaps, the same in the summary, status, digest and pack."""

import json
from datetime import UTC, date, datetime

from flows.conversation.engine import load_state
from flows.conversation.items import remove_item
from flows.conversation.presenting import summary
from flows.conversation.runner import answer_flow, open_flow
from flows.coverage import coverage
from flows.digest import build_digest, digest_text
from flows.handover_pack import handover_document
from flows.plan import PLAN
from flows.project_file import read_project_file
from flows.projects import new_project, workspace_of
from flows.snapshots import coverage_on
from prompts import MarkupKind
from storage.engine import transaction
from storage.projects import add_measure
from tests.factories import HOW, HOW_LONG, MONITORING, WHAT, WHY
from tests.terminal import DATA

GAP = "safe walking routes to the station during the works"
# Chaddesden's needs gain one no measure answers; local labour serves the project as a whole too.
PLAN_WITH_A_GAP = [*WHY[:5], f"safe crossings\n{GAP} | ward consultation | Derby City Council road safety team", *WHY[6:]]
ANSWERS = [*PLAN_WITH_A_GAP, *WHAT[:4], "safe crossings", "local jobs, project", *HOW, *HOW_LONG, *MONITORING]


async def planned(engine):
    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id="T0001")
        project = await new_project(db, workspace, name="A38 Derby Junctions", channel=None, lead="alice")
        await open_flow(db, PLAN, project=project, user="alice")
        for text in ANSWERS:
            reply = await answer_flow(db, PLAN, project=project, user="alice", text=text)
    assert reply.status == "complete", reply.notice
    return project, reply


async def test_each_need_shows_the_measures_answering_it_and_a_need_none_answers_is_a_gap(engine):
    project, reply = await planned(engine)
    async with transaction(engine) as db:
        found = coverage(await load_state(db, project))
    chaddesden, spondon = found.communities
    assert [(n.need.name, n.measures) for n in chaddesden.needs] == [
        ("safe crossings", ["Apprenticeships on the contract"]),
        (GAP, []),
    ]
    assert [(n.need.name, n.measures) for n in spondon.needs] == [("local jobs", ["Local labour"])]
    assert [need.name for _, need in found.gaps] == [GAP] and found.whole_project == ["Local labour"]
    assert (
        f"{GAP}: gap, no measure answers it. Evidence: ward consultation. Signposted to: Derby City Council road safety team" in reply.text
    )
    assert "(1 of 3 needs answered by no measure)" in reply.text
    assert "Local labour (FTE), code NH-SV-03 (National Highways Social Value Plan), answers: local jobs, for the project as a whole" in (
        reply.text
    )


async def test_a_need_whose_only_measure_is_removed_becomes_a_gap_in_every_output(engine):
    project, _ = await planned(engine)
    async with transaction(engine) as db:
        state = await load_state(db, project)
        [measures] = [i for i in PLAN.instances(state) if i.step.key == "what.own_measures"]
        await remove_item(db, measures, state, number=1, user="bob", confirmed=False, markup="text")  # local labour
    async with transaction(engine) as db:
        found = await coverage_on(db, project, date.today())
        digest = await build_digest(db, await workspace_of(db, team_id="T0001"), week="2026-W49", as_of=datetime.now(UTC))
        pack = await handover_document(db, project, "md", date.today())
        html = await handover_document(db, project, "html", date.today())
    assert [need.name for _, need in found.gaps] == [GAP, "local jobs"] and found.whole_project == []
    assert [(u["project"], u["count"]) for u in digest.uncovered] == [("A38 Derby Junctions", 2)]
    text = digest_text(digest, MarkupKind.MRKDWN)
    assert f"• A38 Derby Junctions: {GAP} (Chaddesden residents); local jobs (Spondon)" in text
    assert "local jobs: **gap**, no measure answers it" in pack and "2 of 3 needs are answered by no measure" in pack
    assert html.count('class="gap"') == 2


async def test_a_plan_whose_needs_are_all_answered_has_no_gap_in_the_digest(engine):
    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id="T0001")
        project = await new_project(db, workspace, name="A38 Derby Junctions", channel=None, lead="alice")
        await open_flow(db, PLAN, project=project, user="alice")
        for text in [*WHY, *WHAT, *HOW, *HOW_LONG, *MONITORING]:
            await answer_flow(db, PLAN, project=project, user="alice", text=text)
        digest = await build_digest(db, workspace, week="2026-W49", as_of=datetime.now(UTC))
    assert digest.uncovered == [] and "Needs no measure answers" not in digest_text(digest, MarkupKind.MRKDWN)


async def test_a_need_answered_by_many_measures_names_five_in_the_summary_and_counts_the_rest(engine):
    project, _ = await planned(engine)
    async with transaction(engine) as db:
        for n in range(6):
            await add_measure(db, project_id=project.id, name=f"Crossing {n}", unit="crossings", needs=["n1"])
        state = await load_state(db, project)
    text = summary(PLAN, state, MarkupKind.TEXT)
    assert (
        "safe crossings: answered by Apprenticeships on the contract, Crossing 0, Crossing 1, Crossing 2, Crossing 3 and 2 more\n" in text
    )
    assert [n.measures for n in coverage(state).communities[0].needs][0][-1] == "Crossing 5"  # the view itself keeps them all


def test_a_version_1_file_gets_its_communities_needs_as_records_and_its_measures_links():
    """A file exported before needs were records imports as migration 0011 moves a database."""
    raw = (DATA / "a38-export-v1.json").read_bytes()
    assert json.loads(raw)["format_version"] == 1
    read = read_project_file(raw)
    assert [(n.key, n.community, n.name, n.evidence) for n in read.needs] == [
        ("n1", "c1", "safe crossings", "Ward profile 2024"),
        ("n2", "c2", "Needs not yet described", None),  # Spondon had a measure but no needs text
    ]
    assert [(m.key, m.needs) for m in read.measures] == [("m1", ["n1"]), ("m2", ["n2"])]
    links = {a.subject: (a.value, a.author, a.created_at) for a in read.answers if a.field == "needs"}
    assert links["m1"] == (["n1"], "Priya Shah", datetime(2026, 11, 1, 13, 15, tzinfo=UTC))  # stamped as the answer it came from

"""The weekly digest from a seeded portfolio: exact counts and lists."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from flows.conversation.runner import answer_flow, open_flow
from flows.digest import build_digest, digest_text, is_iso_week, iso_week
from flows.plan import PLAN
from flows.progress.updates import record_update
from flows.projects import new_project, workspace_of
from prompts import MarkupKind
from storage.engine import transaction
from storage.models import Answer, Community, Digest, Measure, ProgressUpdate, Project
from storage.projects import list_projects
from tests.factories import WHOLE_PLAN

AS_OF = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday of 2026-W49
TEAM = "T0001"


async def seed(engine) -> None:
    """A38: complete plan, m1 on track (Good), m2 overdue. Spondon Bypass: no answers at all.
    Hostile <!channel> project: a purpose only, no community."""
    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id=TEAM)
        a38 = await new_project(db, workspace, name="A38 Derby Junctions", channel="C0001", lead="ULEAD")
        await open_flow(db, PLAN, project=a38, user="ULEAD")
        for answer in [{"Priya Shah": "UPRIYA", "Tom Evans": "UTOM"}.get(a, a) for a in WHOLE_PLAN]:
            await answer_flow(db, PLAN, project=a38, user="ULEAD", text=answer)
        await record_update(db, a38, measure_key="m1", author="UPRIYA", today=AS_OF.date(), value="200", period="2026-12-01")
        await new_project(db, workspace, name="Spondon Bypass", channel="C0002", lead="ULEAD")
        hostile = await new_project(db, workspace, name="<!channel> scheme", channel="C0003", lead="ULEAD")
        await open_flow(db, PLAN, project=hostile, user="ULEAD")
        await answer_flow(db, PLAN, project=hostile, user="ULEAD", text="Jobs <@UEVIL>")
        # Seeded just before the digest, whatever the wall clock says: a week later, nothing is new.
        for table in (Project, Community, Measure, Answer, ProgressUpdate):
            await db.exec(update(table).values(created_at=AS_OF - timedelta(hours=1)))


async def digest(engine, as_of=AS_OF):
    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id=TEAM)
        return await build_digest(db, workspace, week=iso_week(as_of.date()), as_of=as_of)


async def test_counts_and_lists_of_a_seeded_portfolio(engine):
    await seed(engine)
    built = await digest(engine)
    assert built.numbers["projects"] == 3
    assert (built.numbers["complete"], built.numbers["in_progress"], built.numbers["not_started"]) == (1, 1, 1)
    assert built.numbers["ratings"] == {
        "good": 1,
        "approaching": 0,
        "requires_improvement": 0,
        "inadequate": 0,
        "other": 0,
        "no_data": 0,
        "overdue": 1,
    }
    assert [(o["measure"], o["owner"]) for o in built.overdue] == [("Local labour", "UTOM")]
    assert sorted(built.no_community) == ["<!channel> scheme", "Spondon Bypass"]
    assert [(h["project"], h["date"].isoformat()) for h in built.handovers] == []  # handover 31 Oct 2027: beyond 90 days
    text = digest_text(built, MarkupKind.MRKDWN)
    assert "3 projects: 1 plan complete, 1 in progress, 1 not started." in text
    assert "• Local labour (A38 Derby Junctions), due 1 Oct 2026: <@UTOM>" in text
    assert "&lt;!channel&gt; scheme" in text and "<!channel>" not in text
    # what changed, in words rather than a count of rows
    assert (
        "this week: 1 update (Apprenticeships on the contract 200 apprenticeship weeks), "
        "2 measures added (Apprenticeships on the contract; Local labour), 47 answers given or changed, plan completed"
    ) in text


async def test_a_week_with_no_change_says_so(engine):
    await seed(engine)
    first = await digest(engine)
    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id=TEAM)
        db.add(Digest(workspace_id=workspace.id, week=first.week, numbers=first.numbers, sent_at=AS_OF))
    later = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    again = await digest(engine, later)
    assert again.previous == first.numbers
    text = digest_text(again, MarkupKind.MRKDWN)
    assert "Nothing changed since last week." in text and "no change this week" in text


async def test_changes_since_last_week_are_counted(engine):
    await seed(engine)
    first = await digest(engine)
    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id=TEAM)
        db.add(Digest(workspace_id=workspace.id, week=first.week, numbers=first.numbers, sent_at=AS_OF))
        await new_project(db, workspace, name="A52 Nottingham", channel="C0004", lead="ULEAD")
    text = digest_text(await digest(engine, datetime(2026, 12, 7, 9, 0, tzinfo=UTC)), MarkupKind.MRKDWN)
    assert "4 projects (+1)" in text and "2 not started (+1)" in text


@pytest.mark.parametrize(
    "week, valid",
    [
        ("2026-W49", True),
        ("2026-W01", True),
        ("2026-W53", True),
        ("2025-W53", False),
        ("2026-W00", False),
        ("49", False),
        ("2026-W4", False),
        ("2026-w49", False),
    ],
)
def test_an_iso_week_is_one_the_calendar_has(week, valid):
    assert is_iso_week(week) is valid


async def test_a_rating_that_moved_this_week_is_named_and_a_plan_completed_before_is_not(engine):
    await seed(engine)  # everything recorded before 30 Nov 09:00: m1 Good, m2 overdue
    later = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id=TEAM)
        a38 = next(p for p in await list_projects(db, workspace_id=workspace.id) if p.name == "A38 Derby Junctions")
        # a correction on 3 Dec: 120 of the 174 planned by 1 Dec
        await record_update(
            db,
            a38,
            measure_key="m1",
            author="UPRIYA",
            today=later.date(),
            value="120",
            period="2026-12-01",
            recovery_action="More starters",
        )
        await db.exec(update(ProgressUpdate).where(ProgressUpdate.value == 120).values(created_at=datetime(2026, 12, 3, tzinfo=UTC)))
    text = digest_text(await digest(engine, later), MarkupKind.TEXT)
    line = next(line for line in text.splitlines() if line.startswith("• A38 Derby Junctions"))
    assert "1 update (Apprenticeships on the contract 120 apprenticeship weeks)" in line
    assert "ratings moved (Apprenticeships on the contract Good → Requires improvement)" in line
    assert "plan completed" not in line and "Local labour" not in line  # overdue before and after: not a move


async def test_each_project_shows_its_figures_against_what_was_expected_and_approaching_needs_attention(engine):
    await seed(engine)
    async with transaction(engine) as db:
        [a38] = [p for p in await list_projects(db, workspace_id=(await workspace_of(db, team_id=TEAM)).id) if p.name.startswith("A38")]
        # Local labour: 14 FTE where about 31 are expected by now: below target, with a recovery action.
        await record_update(
            db, a38, measure_key="m2", author="UTOM", today=AS_OF.date(), value="14", period="2026-10-01", recovery_action="Recruit locally"
        )
    built = await digest(engine)
    [line] = [p for p in built.projects if p.name == "A38 Derby Junctions"]
    assert [(name, actual) for name, actual, _, _ in line.figures] == [("Apprenticeships on the contract", 200), ("Local labour", 14)]
    text = digest_text(built, MarkupKind.TEXT)
    expected = line.figures[0][2]
    assert f"figures against what was expected by now: Apprenticeships on the contract 200 apprenticeship weeks of {expected:,.0f}" in text
    [labour] = [o for o in built.off_track if o["measure"] == "Local labour"]
    assert labour["recovery"] == "Recruit locally" and labour["rating"] in ("approaching", "requires_improvement", "inadequate")
    assert "Below target or approaching it (1):" in text and "Recovery action: Recruit locally" in text


def test_a_steering_group_of_5000_projects_gets_a_summary_of_bounded_size():
    from flows.digest import ProjectLine, WeekChanges, WeeklyDigest

    ratings = dict.fromkeys(["good", "approaching", "requires_improvement", "inadequate", "other", "no_data", "overdue"], 0)
    numbers = {"projects": 5000, "complete": 4000, "in_progress": 900, "not_started": 100, "ratings": {**ratings, "overdue": 5000}}
    projects = [
        ProjectLine(f"Project {n:04d} <!here>", f"C{n:05d}", 40, 47, {**ratings, "overdue": 1}, WeekChanges(), attention=n % 7)
        for n in range(5000)
    ]
    overdue = [
        {"measure": f"Measure {n}", "project": f"Project {n:04d}", "owner": None, "due": AS_OF.date(), "gaps": 3} for n in range(5000)
    ]
    full = WeeklyDigest("2026-W49", AS_OF, numbers, None, projects=projects, overdue=overdue)
    summary = WeeklyDigest("2026-W49", AS_OF, numbers, None, projects=projects, overdue=overdue, summary_only=True)
    full_text, summary_text = digest_text(full, MarkupKind.MRKDWN), digest_text(summary, MarkupKind.MRKDWN)
    assert len(full_text) > 800_000 and len(summary_text) < 12_000  # a single message's text budget at most
    assert "*The 20 projects that most need attention*" in summary_text and "the workspace has 5000 projects" in summary_text
    named = [line.name for line in summary.most_in_need]
    assert len(named) == 20 and all(f"{n:04d}" in summary_text for n in (6, 13, 20)) and "*Project 0000 &lt;!here&gt;*" not in summary_text
    assert "Overdue updates (5000):" in summary_text and "And 4980 more." in summary_text
    assert "<!here>" not in summary_text


async def test_the_digest_is_a_summary_above_the_size_the_admin_set(engine):
    from flows.digest import configure_digest

    await seed(engine)
    assert not (await digest(engine)).summary_only  # 3 projects, under the default 200
    async with transaction(engine) as db:
        await configure_digest(db, await workspace_of(db, team_id=TEAM), user="UADMIN", now=AS_OF, summary_above=2)
    built = await digest(engine)
    assert built.summary_only and [p.name for p in built.most_in_need][0] == "A38 Derby Junctions"

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

"""A workspace's data as a whole: exported, then deleted on request, with every row of it gone
and every row of another workspace (same channel, user ids and project name) untouched."""

import json
from datetime import UTC, date, datetime, timedelta

from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from bot.worker.kinds import Message
from flows.outbox import queue
from flows.roles import add_editors
from flows.workspaces import export_workspace
from storage.case_studies import save_case_study
from storage.engine import transaction
from storage.inbox import receive
from storage.installations import Installations, Sealer
from storage.models import CaseStudy, Digest, DigestConfig, Measure, Workspace
from storage.people import save_person
from storage.progress import append_update
from storage.workspaces import delete_workspace, workspaces_with_team
from tests.factories import WHOLE_PLAN, plan_in_slack

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
TEAMS = ("T0GONE", "T0KEPT")


async def seed(engine, team: str) -> None:
    """A workspace with a row in every table that holds workspace data."""
    project = await plan_in_slack(engine, WHOLE_PLAN, team=team, channel="C0001", lead="ULEAD")
    wid = project.workspace_id
    async with transaction(engine) as db:
        await add_editors(db, project, ["UEDITOR"], by="ULEAD")
        measure = (await db.exec(select(Measure).where(Measure.project_id == project.id))).first()
        await append_update(db, measure_id=measure.id, period_start=date(2026, 4, 1), period_end=date(2026, 6, 30), value=3, author="ULEAD")
        for project_id in (project.id, None):
            study = CaseStudy(
                workspace_id=wid,
                project_id=project_id,
                title="Laptops",
                what_happened="Given",
                scale="small",
                happened_on=NOW.date(),
                author="ULEAD",
            )
            await save_case_study(db, study, by="ULEAD", now=NOW)
        db.add(DigestConfig(workspace_id=wid, channel_id="C0STEER"))
        db.add(Digest(workspace_id=wid, week="2026-W48", numbers={"projects": 1}))
        await save_person(db, workspace_id=wid, user_id="ULEAD", fetched_at=NOW, tz="Europe/London")
        message = Message(key=f"m:{team}", channel="ULEAD", text="Hi", groups=[[{"type": "divider"}]])
        await queue(db, message, due_at=NOW, workspace_id=wid)
        await receive(db, key=f"trigger:{team}", team=team, user="ULEAD", body={}, now=NOW, lease=timedelta(seconds=60), taken=False)
    store = Installations("1111.2222", engine, Sealer([]))  # installed from "Add to Slack"
    await store.async_save(Installation(app_id="A1", team_id=team, team_name=team, bot_token=f"xoxb-{team}", user_id="UADMIN"))


async def every_row(engine) -> dict[str, list[dict]]:
    async with engine.connect() as connection:
        return {
            name: [dict(row._mapping) for row in (await connection.execute(sa_select(table))).all()]
            for name, table in SQLModel.metadata.tables.items()
        }


async def test_a_deleted_workspace_leaves_no_row_and_the_other_is_untouched(engine):
    for team in TEAMS:
        await seed(engine, team)
    async with transaction(engine) as db:
        gone, kept = [(await workspaces_with_team(db, team_id=team))[0] for team in TEAMS]
        kept_before = await export_workspace(db, kept)
        exported = await export_workspace(db, gone)
    assert [p["project"]["name"] for p in exported["projects"]] == ["A38 Derby Junctions"]
    assert exported["projects"][0]["editors"] == ["UEDITOR"] and len(exported["case_studies"]) == 1  # the organisation-wide one
    assert exported["digest_config"][0]["channel_id"] == "C0STEER" and exported["people"][0]["user_id"] == "ULEAD"
    [installation] = exported["installations"]
    assert installation["team_name"] == "T0GONE" and "xox" not in json.dumps(exported)  # its token is not its data
    before = await every_row(engine)

    async with transaction(engine) as db:
        counts = await delete_workspace(db, await db.get_one(Workspace, gone.id))
    after = await every_row(engine)

    # Each table that held the gone workspace's rows lost exactly those (and nothing else).
    for name, rows in before.items():
        assert len(after[name]) <= len(rows)
        if name not in ("slackevent", "workerlease", "slack_oauth_state"):  # rows of no workspace
            assert len(rows) == 0 or len(after[name]) < len(rows), f"{name} kept the deleted workspace's rows"
    assert sum(counts.values()) == sum(len(rows) for rows in before.values()) - sum(len(rows) for rows in after.values())
    ids = {"workspace_id": {gone.id}, "project_id": {r["id"] for r in before["project"] if r["workspace_id"] == gone.id}}
    ids["measure_id"] = {r["id"] for r in before["measure"] if r["project_id"] in ids["project_id"]}
    ids["case_study_id"] = {r["id"] for r in before["case_study"] if r["workspace_id"] == gone.id}
    for name, rows in after.items():
        for row in rows:
            assert not any(row.get(column) in refs for column, refs in ids.items()), (name, row)
    assert not [r for r in after["inbox"] if r["team_id"] == gone.team_id]
    assert [r["team_id"] for r in after["slack_bots"]] == [kept.team_id] and counts["slack_bots"] == 1
    async with transaction(engine) as db:
        assert await export_workspace(db, await db.get_one(Workspace, kept.id)) == kept_before
        assert await workspaces_with_team(db, team_id=gone.team_id) == []

"""After handover the schedule does what the pack promises: the handover conversation's
decisions are carried out on the handover day (in the handing-over team's copy) and at the
custodian's import (in theirs), and the summary, status, digest and pack agree on owners and
phase. The A38 fixture: handover on 31 Oct 2027; m1 (apprenticeships) continues for 3 years
with Sam Patel; m2 (local labour) does not continue."""

from datetime import UTC, date, datetime

from flows.conversation.engine import load_state
from flows.conversation.presenting import summary
from flows.digest import build_digest
from flows.handover import carry_out_handovers, handovers_due, take_over
from flows.handover_pack import build_pack
from flows.plan import PLAN
from flows.progress.status import project_status
from flows.project_file import read_project_file
from prompts import MarkupKind
from storage.engine import transaction
from storage.jobs import enqueue_job, list_jobs
from storage.models import JobStatus, Project, Workspace
from storage.portable import import_project
from storage.projects import list_measures
from tests.terminal import FIXTURE

HANDOVER = date(2027, 10, 31)
NAME = "A38 Derby Junctions"


async def imported(engine, *, team: str = "T1", custodian: bool = False, answers: list[dict] | None = None) -> Project:
    document = read_project_file(FIXTURE.read_bytes()).model_dump()
    document["answers"] += answers or []
    async with transaction(engine) as db:
        project = await import_project(db, document, team_id=team, importer="Jo Bloggs", as_custodian=custodian)
        if custodian:
            await take_over(db, project, custodian="Jo Bloggs")
        return project


async def statuses(engine, project: Project, today: date):
    async with transaction(engine) as db:
        return {s.measure.key: s for s in await project_status(db, await reloaded(db, project), today)}


async def reloaded(db, project: Project) -> Project:
    return await db.get(Project, project.id)


async def test_each_measures_horizon_follows_the_handover_conversation(engine):
    project = await imported(engine)
    before = await statuses(engine, project, date(2026, 11, 28))
    # m1 continues: 3 years of aftercare after handover, not the plan's legacy horizon (to Mar 2031)
    assert before["m1"].plan.schedule[-1].end == date(2030, 10, 31)
    # m2 does not continue: its last period is the part-period that ends at the handover
    assert before["m2"].plan.schedule[-1].end == HANDOVER and before["m2"].plan.schedule[-1].start == date(2027, 10, 1)

    one_year = {"flow": "handover", "flow_version": 1, "question": "handover", "field": "aftercare_years", "subject": "m1"}
    stamp = {"value": 1, "author": "Priya Shah", "created_at": datetime(2026, 11, 2, tzinfo=UTC), "version": 2}
    shorter = await imported(engine, team="T2", answers=[{**one_year, **stamp}])
    assert (await statuses(engine, shorter, date(2026, 11, 28)))["m1"].plan.schedule[-1].end == date(2028, 10, 31)


async def test_on_the_handover_day_the_measures_that_stop_are_retired_and_the_others_change_owner(engine):
    project = await imported(engine)
    async with transaction(engine) as db:
        assert await handovers_due(db, HANDOVER - date.resolution) == []  # not before its day
        m2 = next(m for m in await list_measures(db, project_id=project.id) if m.key == "m2")
        due = datetime(2027, 11, 1, 9, 30, tzinfo=UTC)  # m2's last period, due at the handover
        await enqueue_job(db, kind="reminder", dedupe_key=f"reminder:{m2.id}:2027-10-31:due:U1", workspace_id=None, due_at=due, payload={})
    async with transaction(engine) as db:
        assert await carry_out_handovers(db, HANDOVER) == 1
    async with transaction(engine) as db:
        assert await carry_out_handovers(db, HANDOVER) == 0  # once
        state = await load_state(db, await reloaded(db, project))
        measures = await list_measures(db, project_id=project.id, retired=True)
        jobs = await list_jobs(db)
    assert [(m.key, m.retired_at is not None, m.owner) for m in measures] == [("m1", False, "Sam Patel"), ("m2", True, "Tom Evans")]
    assert state.project.phase == "after_handover" and state.value("how_long.current_phase") == "after_handover"
    assert state.answers[("how", "owner", "m1")].version == 2 and state.answers[("how", "owner", "m1")].author == state.project.lead
    assert [j.status for j in jobs] == [JobStatus.DROPPED]
    assert [s.measure.key for s in (await statuses(engine, project, HANDOVER)).values()] == ["m1"]


async def test_the_custodians_copy_is_in_operation_led_by_them_and_every_output_agrees(engine):
    project = await imported(engine, custodian=True)
    async with transaction(engine) as db:
        project = await reloaded(db, project)
        state = await load_state(db, project)
        text = summary(PLAN, state, MarkupKind.TEXT)
        status = await project_status(db, project, date(2027, 12, 1))
        pack = await build_pack(db, project, date(2027, 12, 1))
        workspace = await db.get(Workspace, project.workspace_id)
        digest = await build_digest(db, workspace, week="2027-W49", as_of=datetime(2027, 12, 1, tzinfo=UTC))
    assert (project.phase, project.lead, project.channel_id) == ("operation", "Jo Bloggs", None)
    assert "Current phase: Operation" in text and "Owner (Apprenticeships on the contract): Sam Patel" in text
    assert "Tom Evans" not in text and "Local labour" not in text  # retired: in the history only
    assert [(s.measure.key, s.measure.owner) for s in status] == [("m1", "Sam Patel")]
    assert [(s.measure.key, s.measure.owner) for s in pack.measures] == [("m1", "Sam Patel")]
    assert pack.answers["how_long.current_phase"] == "Operation"
    assert [line.name for line in digest.projects] == [NAME] and sum(digest.projects[0].ratings.values()) == 1
    assert [entry["owner"] for entry in digest.overdue + digest.off_track] in ([], ["Sam Patel"])

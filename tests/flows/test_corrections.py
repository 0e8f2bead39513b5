"""Correcting a plan in the conversation: list commands, removed items kept, catalogue picks that
change their mind. Checked by what is stored, what is asked next and what the user is told."""

from datetime import UTC, date, datetime

from flows.projects import local_project
from storage.answers import answer_history
from storage.engine import transaction
from storage.jobs import enqueue_job, list_jobs
from storage.models import JobStatus
from storage.progress import append_update
from storage.projects import list_communities, list_measures
from tests.factories import PROJECT, WHAT, WHOLE_PLAN, WHY, say, say_all, start_plan


async def plan_rows(engine, *, retired: bool = False):
    async with transaction(engine) as db:
        project = await local_project(db, name=PROJECT, lead="alice")
        return (
            project,
            await list_communities(db, project_id=project.id, retired=retired),
            await list_measures(db, project_id=project.id, retired=retired),
        )


async def test_back_inside_a_list_takes_out_the_last_item_and_stays_in_the_list(engine):
    await start_plan(engine)
    await say_all(engine, *WHY[:3], "Chaddesden residents | Derby DE21\nSpondon | Derby")
    reply = await say(engine, "back")
    assert reply.step == "why.communities" and not reply.error
    assert "Removed Spondon from the plan" in reply.notice
    assert "So far: 1. Chaddesden residents" in reply.text and "Spondon" not in reply.text

    reply = await say(engine, "Oakwood | Derby DE21")  # the next line is a community, not the client
    assert reply.step == "why.communities" and "Added 1: Oakwood" in reply.notice
    project, communities, _ = await plan_rows(engine)
    assert project.client_organisation == "National Highways"
    assert [c.name for c in communities] == ["Chaddesden residents", "Oakwood"]
    _, everything, _ = await plan_rows(engine, retired=True)
    [spondon] = [c for c in everything if c.retired_at is not None]
    assert (spondon.name, spondon.retired_by) == ("Spondon", "alice")


async def test_remove_n_and_undo_inside_a_list_and_their_refusals(engine):
    await start_plan(engine)
    await say_all(engine, *WHY[:3], "Chaddesden residents\nSpondon\nOakwood")
    reply = await say(engine, "remove 2")
    assert "Removed Spondon" in reply.notice
    assert "So far: 1. Chaddesden residents; 2. Oakwood" in reply.text

    reply = await say(engine, "remove 7")
    assert reply.error and "There is no item 7: the list has 2" in reply.notice
    reply = await say(engine, "undo")
    assert "Removed Oakwood" in reply.notice
    await say(engine, "undo")
    reply = await say(engine, "undo")
    assert "nothing to undo" in reply.notice
    _, communities, _ = await plan_rows(engine)
    assert communities == []
    reply = await say(engine, "back")  # an empty list: back is the previous question again
    assert reply.step == "why.client"


async def test_a_community_removed_later_is_asked_again_of_the_measures_that_answered_its_needs(engine):
    await start_plan(engine)
    reply = await say_all(engine, *WHOLE_PLAN)
    assert reply.status == "complete"
    await start_plan(engine)
    async with transaction(engine) as db:
        project = await local_project(db, name=PROJECT, lead="alice")
        from flows.conversation.engine import load_state
        from flows.conversation.items import remove_item
        from flows.plan import PLAN

        state = await load_state(db, project)
        [communities] = [i for i in PLAN.instances(state) if i.step.key == "why.communities"]
        notice = await remove_item(db, communities, state, number=2, user="bob", confirmed=False, markup="text")
    assert "Removed Spondon" in notice
    _, kept, measures = await plan_rows(engine)
    assert [c.name for c in kept] == ["Chaddesden residents"]
    assert measures[1].needs == ["n3"]  # local labour answered Spondon's need, now removed with it
    reply = await start_plan(engine)  # the plan is no longer complete: one question to answer again
    assert reply.step == "what.needs:m2"
    reply = await say(engine, "1")
    assert reply.status == "complete" and "Spondon" not in reply.text


async def test_a_deselected_catalogue_measure_is_retired_and_comes_back_when_picked_again(engine):
    await start_plan(engine)
    reply = await say_all(engine, *WHY, WHAT[0])
    assert reply.step == "what.catalogue_measures" and len(reply.choices) == 3
    await say(engine, "1")
    reply = await say(engine, "back")  # no own measures yet: back to the catalogue pick
    assert reply.step == "what.catalogue_measures"
    await say(engine, "2")
    _, _, measures = await plan_rows(engine)
    assert [m.catalogue_ref for m in measures] == ["ppn002-2025/2.2"]
    _, _, everything = await plan_rows(engine, retired=True)
    assert [(m.key, m.retired_by) for m in everything if m.retired_at] == [("m1", "alice")]

    await say(engine, "back")
    reply = await say(engine, "1, 2")
    _, _, measures = await plan_rows(engine)
    assert [(m.key, m.catalogue_ref) for m in measures] == [("m1", "ppn002-2025/2.1"), ("m2", "ppn002-2025/2.2")]
    assert reply.step == "what.own_measures"
    reply = await say_all(engine, "done", "1")
    assert reply.step == "what.needs:m2"  # m1, then m2: no question for a retired one in between


async def test_a_measure_with_updates_is_removed_only_when_confirmed_and_its_reminders_are_dropped(engine):
    await start_plan(engine)
    await say_all(engine, *WHY, WHAT[0], WHAT[1], "Local labour | FTE\nLocal spend | £")
    _, _, measures = await plan_rows(engine)
    labour = measures[1]
    async with transaction(engine) as db:
        await append_update(db, measure_id=labour.id, period_start=date(2026, 4, 1), period_end=date(2026, 6, 30), value=3, author="alice")
        at = datetime(2026, 6, 23, 8, 30, tzinfo=UTC)
        await enqueue_job(
            db, kind="reminder", dedupe_key=f"reminder:{labour.id}:2026-09-30:before", workspace_id=None, due_at=at, payload={}
        )
        await enqueue_job(
            db, kind="reminder", dedupe_key=f"reminder:{labour.id}0:2026-09-30:before", workspace_id=None, due_at=at, payload={}
        )
    reply = await say(engine, "remove 1")
    assert reply.error and "Local labour has 1 progress update" in reply.notice and "remove 1 yes" in reply.notice
    _, _, measures = await plan_rows(engine)
    assert [m.name for m in measures] == ["Apprenticeships on the contract", "Local labour", "Local spend"]

    reply = await say(engine, "remove 1 yes")
    assert "Removed Local labour" in reply.notice and "its 1 update is kept" in reply.notice
    assert "So far: 1. Local spend" in reply.text
    project, _, everything = await plan_rows(engine, retired=True)
    async with transaction(engine) as db:
        jobs = {job.dedupe_key: job for job in await list_jobs(db)}
        history = await answer_history(db, project_id=project.id)
    dropped = [job for key, job in jobs.items() if key.startswith(f"reminder:{labour.id}:")]
    assert [(job.status, job.last_error) for job in dropped] == [(JobStatus.DROPPED, "the measure was removed from the plan")]
    assert jobs[f"reminder:{labour.id}0:2026-09-30:before"].status == JobStatus.PENDING  # another measure's
    assert [m.name for m in everything if m.retired_at] == ["Local labour"]
    assert any(a.subject == labour.key and a.value["name"] == "Local labour" for a in history)  # the history keeps it


async def test_show_prints_the_plan_so_far_and_asks_the_same_question_again(engine):
    await start_plan(engine)
    await say_all(engine, *WHY[:3])
    reply = await say(engine, "show")
    assert reply.step == "why.communities" and not reply.error
    assert "National Highways" in reply.notice and "To leave lasting jobs" in reply.notice
    _, communities, _ = await plan_rows(engine)
    assert communities == []


async def test_a_cadence_corrected_drops_the_reminders_of_periods_the_schedule_no_longer_has(engine):
    from flows.conversation.editing import save_edits
    from flows.outbox import Reminder, queue
    from flows.plan import PLAN
    from flows.reminders import reminder_subject
    from tests.factories import plan_in_slack

    project = await plan_in_slack(engine, WHOLE_PLAN)
    _, _, measures = await plan_rows_of(engine, project)
    monthly = Reminder(project_id=project.id, measure_id=measures[0].id, period_end="2026-05-01", moment="due", to="ULEAD", owner="ULEAD")
    at = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
    async with transaction(engine) as db:
        assert await reminder_subject(db, monthly, at) is not None  # 1 May is a monthly period's due date
        await queue(db, monthly, workspace_id=None, due_at=at)
        submitted = {"monitoring.cadence:m1": "quarterly"}
        changed = await save_edits(
            db, PLAN, project=project, user="ULEAD", question="monitoring", subject="", submitted=submitted, seen_up_to=10**9
        )
    assert changed == ["Reporting cadence (Apprenticeships on the contract): Quarterly"]
    async with transaction(engine) as db:
        [job] = await list_jobs(db)
        assert (job.status, job.last_error) == (JobStatus.DROPPED, "the measure's cadence changed")
        assert await reminder_subject(db, monthly, at) is None  # and were it sent late, it is no period of the measure now
        quarterly = Reminder(
            project_id=project.id, measure_id=measures[0].id, period_end="2026-07-01", moment="due", to="ULEAD", owner="ULEAD"
        )
        assert await reminder_subject(db, quarterly, datetime(2026, 7, 1, 8, 30, tzinfo=UTC)) is not None
        assert await queue(db, monthly, workspace_id=None, due_at=at)  # its key was freed: were the cadence put back, it is planned again


async def plan_rows_of(engine, project):
    async with transaction(engine) as db:
        return (
            project,
            await list_communities(db, project_id=project.id),
            await list_measures(db, project_id=project.id),
        )

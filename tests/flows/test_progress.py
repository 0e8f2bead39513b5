"""Progress updates through flows: what is stored, how measures are rated, what is refused."""

from datetime import date

import pytest

from flows.progress.status import project_status
from flows.progress.updates import UpdateRefused, record_update
from flows.projects import local_project
from flows.ratings import Rating
from storage.engine import transaction
from storage.progress import current_updates
from tests.factories import WHOLE_PLAN, say_all, start_plan

TODAY = date(2026, 11, 28)
PROJECT = "A38 Derby Junctions"


@pytest.fixture
async def planned(engine):
    """The A38 plan: m1 apprenticeships 0 -> 520 weeks (Apr 2026 - Mar 2028), monthly;
    m2 local labour 12 -> 40 FTE (Apr 2026 - Mar 2027), quarterly."""
    await start_plan(engine)
    await say_all(engine, *WHOLE_PLAN)
    return engine


async def update(engine, measure="m1", **fields):
    async with transaction(engine) as db:
        project = await local_project(db, name=PROJECT, lead="alice")
        return await record_update(db, project, measure_key=measure, author="priya", today=fields.pop("today", TODAY), **fields)


async def statuses(engine, today=TODAY):
    async with transaction(engine) as db:
        project = await local_project(db, name=PROJECT, lead="alice")
        return {s.measure.key: s for s in await project_status(db, project, today)}


async def stored(engine):
    async with transaction(engine) as db:
        project = await local_project(db, name=PROJECT, lead="alice")
        return await current_updates(db, project_id=project.id)


async def test_unreported_due_periods_make_a_measure_overdue(planned):
    before = await statuses(planned)
    assert before["m1"].rating == Rating.OVERDUE and before["m1"].overdue.end == date(2026, 11, 1)
    assert before["m1"].open_period.end == date(2026, 12, 1)  # due within the week
    assert before["m2"].rating == Rating.OVERDUE  # quarterly: due 1 Oct 2026


async def test_an_update_on_track_is_stored_and_rated_good(planned):
    stored_update, status = await update(planned, value="200", note="Six apprentices", evidence="https://example.org/register")
    assert (stored_update.period_end, stored_update.value, stored_update.version) == (date(2026, 12, 1), 200, 1)
    assert status.rating == Rating.GOOD  # a running total reported for December brings it up to date
    assert status.open_period.end == date(2026, 12, 1)  # a correction of December; November is backfilled by naming it


async def test_a_correction_is_a_new_version(planned):
    await update(planned, value="200", period="2026-12-01")
    await update(planned, value="210", period="1 Dec 2026")
    [current] = (await stored(planned)).values()
    assert [(u.value, u.version) for u in current] == [(210, 2)]


async def test_below_good_asks_for_a_recovery_action(planned):
    with pytest.raises(UpdateRefused) as refused:
        await update(planned, value="100")
    assert "rated Inadequate" in refused.value.errors["recovery_action"]
    assert await stored(planned) == {}
    _, status = await update(planned, value="100", recovery_action="Two more apprentices from January")
    assert status.latest.recovery_action == "Two more apprentices from January"


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"value": "ten"}, "value", "Please give a number in apprenticeship weeks"),
        ({"value": "-5"}, "value", "at least 0"),
        ({"value": "200", "evidence": "ftp://files.example.org/x"}, "evidence", "http:// or https://"),
        ({"value": "200", "evidence": "see the register"}, "evidence", "http:// or https://"),
        ({"value": "200", "period": "2035-01-01"}, "period", "outside the measure's reporting horizon"),
        ({"value": "200", "period": "31/02/2027"}, "period", "not a date in the calendar"),
        ({"value": "600000"}, "value", "Please confirm"),
    ],
)
async def test_bad_updates_are_explained_and_nothing_is_stored(planned, fields, field, message):
    with pytest.raises(UpdateRefused) as refused:
        await update(planned, **fields)
    assert message in refused.value.errors[field]
    assert await stored(planned) == {}


async def test_a_huge_value_is_stored_once_confirmed(planned):
    with pytest.raises(UpdateRefused) as refused:
        await update(planned, value="600000")
    assert refused.value.confirm
    stored_update, _ = await update(planned, value="600000", confirmed=True)
    assert stored_update.value == 600000


async def test_nothing_to_report_closes_the_period(planned):
    await update(planned, nothing_to_report=True, period="2026-11-01")
    status = (await statuses(planned))["m1"]
    assert status.overdue is None and status.rating == Rating.NO_DATA


async def test_next_due_is_never_in_the_past_and_a_gap_shows_as_overdue(planned):
    on = date(2026, 5, 10)  # monthly from 1 Apr: 1 May passed unreported
    m1 = (await statuses(planned, today=on))["m1"]
    assert m1.rating == Rating.OVERDUE and m1.overdue.end == date(2026, 5, 1)
    assert m1.next_due == date(2026, 6, 1)
    assert (await statuses(planned, today=date(2026, 6, 1)))["m1"].next_due == date(2026, 6, 1)  # due today is still next
    last = (await statuses(planned, today=date(2031, 3, 20)))["m1"]
    assert last.next_due == date(2031, 3, 31)  # the horizon's last, shorter period (from 1 Mar) is due at its end


async def test_an_update_without_a_period_is_for_the_current_one_never_an_old_gap(planned):
    for day in ("2026-06-01", "2026-07-01", "2026-08-01", "2026-09-01", "2026-10-01", "2026-11-01", "2026-12-01"):
        await update(planned, value="100", period=day, recovery_action="More apprentices")  # 1 May never reported: a gap
    stored, _ = await update(planned, value="150", today=date(2026, 12, 10), recovery_action="More apprentices")
    assert (stored.period_start, stored.period_end) == (date(2026, 12, 1), date(2027, 1, 1))  # the running period, not May
    assert (await statuses(planned, today=date(2026, 12, 10)))["m1"].gaps == 1  # May, though later months were reported
    gap, _ = await update(planned, value="20", period="2026-05-01", today=date(2026, 12, 10), recovery_action="Late start")  # explicit
    assert gap.period_end == date(2026, 5, 1)
    assert (await statuses(planned, today=date(2026, 12, 10)))["m1"].gaps == 0

    late, _ = await update(
        planned, "m2", value="15", today=date(2026, 10, 5), recovery_action="Local hiring drive"
    )  # quarterly: 1 Oct due and unreported
    assert late.period_end == date(2026, 10, 1)


async def test_a_running_total_lower_than_the_last_one_asks_for_confirmation(planned):
    await update(planned, value="100", period="2026-06-01")
    with pytest.raises(UpdateRefused) as refused:
        await update(planned, value="60", period="2026-07-01")
    assert refused.value.confirm
    assert (
        "a running total of 60 apprenticeship weeks is lower than the 100 apprenticeship weeks reported for the period due 1 Jun 2026"
        in (refused.value.errors["value"])
    )
    async with transaction(planned) as db:
        project = await local_project(db, name=PROJECT, lead="alice")
        assert [u.value for u in (await current_updates(db, project_id=project.id))[1]] == [100]
    stored, _ = await update(planned, value="60", period="2026-07-01", confirmed=True, recovery_action="Recount with HR")
    assert stored.value == 60

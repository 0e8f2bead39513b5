"""Measure kinds and profiles: a measure is rated on what its owner meant by a figure (a running
total, the period's amount, a level now, milestones done), against a straight line or the
profile the team planned."""

from datetime import date

import pytest

from flows.progress.updates import UpdateRefused
from flows.ratings import Kind, Line, Rating, rate
from storage.projects import list_measures
from tests.factories import HOW, HOW_LONG, MONITORING, WHAT, WHY, say_all, start_plan
from tests.flows.test_progress import PROJECT, statuses, update

THRESHOLDS = (100.0, 90.0, 70.0)
START, END = date(2026, 1, 1), date(2026, 12, 31)
MIDYEAR = date(2026, 7, 2)  # half-way


def line(kind: Kind, baseline: float = 0, target: float = 100, profile=()) -> Line:
    return Line(baseline, START, target, END, kind, tuple(profile))


# Per kind, values on both sides of each threshold at mid-year (50 of 100 expected by then).
@pytest.mark.parametrize(
    "kind, actual, rating",
    [
        (Kind.TOTAL, 50, Rating.GOOD),
        (Kind.TOTAL, 49.9, Rating.APPROACHING),
        (Kind.TOTAL, 45, Rating.APPROACHING),
        (Kind.TOTAL, 44.9, Rating.REQUIRES_IMPROVEMENT),
        (Kind.TOTAL, 35, Rating.REQUIRES_IMPROVEMENT),
        (Kind.TOTAL, 34.9, Rating.INADEQUATE),
        (Kind.LEVEL, 50, Rating.GOOD),
        (Kind.LEVEL, 49.9, Rating.APPROACHING),
        (Kind.LEVEL, 45, Rating.APPROACHING),
        (Kind.LEVEL, 44.9, Rating.REQUIRES_IMPROVEMENT),
        (Kind.LEVEL, 35, Rating.REQUIRES_IMPROVEMENT),
        (Kind.LEVEL, 34.9, Rating.INADEQUATE),
    ],
)
def test_totals_and_levels_on_both_sides_of_each_threshold(kind, actual, rating):
    path = line(kind)
    assert path.expected(MIDYEAR) == pytest.approx(50, abs=0.2)
    assert rate(path, actual=actual * path.expected(MIDYEAR) / 50, actual_on=MIDYEAR, overdue=False, thresholds=THRESHOLDS) == rating


def test_a_level_differs_from_a_total_when_the_baseline_is_not_zero():
    # 40 people employed before the works, 50 planned by the year's end: 45 at mid-year is on
    # the line as a level (45 of 45), and so is it as progress (5 of 5): both Good. 43 is 96% of
    # the level expected, but only 60% of the progress expected.
    assert rate(line(Kind.LEVEL, 40, 50), actual=43, actual_on=MIDYEAR, overdue=False) == Rating.APPROACHING
    assert rate(line(Kind.TOTAL, 40, 50), actual=43, actual_on=MIDYEAR, overdue=False) == Rating.INADEQUATE


def test_a_falling_level_is_good_at_or_below_the_level_planned():
    landfill = line(Kind.LEVEL, 100, 50)  # tonnes a month, to be halved
    assert rate(landfill, actual=75, actual_on=MIDYEAR, overdue=False) == Rating.GOOD
    assert rate(landfill, actual=82, actual_on=MIDYEAR, overdue=False) == Rating.APPROACHING  # 75/82 = 91%
    assert rate(landfill, actual=110, actual_on=MIDYEAR, overdue=False) == Rating.INADEQUATE


def test_a_profiled_workforce_that_peaks_is_rated_against_its_peak_then_its_fall():
    workforce = line(Kind.LEVEL, 0, 20, profile=[(date(2026, 7, 1), 200)])
    assert workforce.expected(date(2026, 7, 1)) == 200
    assert rate(workforce, actual=200, actual_on=date(2026, 7, 1), overdue=False) == Rating.GOOD
    assert rate(workforce, actual=185, actual_on=date(2026, 7, 1), overdue=False) == Rating.APPROACHING
    assert rate(workforce, actual=100, actual_on=date(2026, 7, 1), overdue=False) == Rating.INADEQUATE
    # as the works wind down 110 are planned in mid-October: 100 then is 91%, not a failure
    assert workforce.expected(date(2026, 10, 1)) == pytest.approx(110, abs=1)
    assert rate(workforce, actual=100, actual_on=date(2026, 10, 1), overdue=False) == Rating.APPROACHING
    assert rate(workforce, actual=25, actual_on=END, overdue=False) == Rating.GOOD
    # a straight line to 20 would have rated the peak's 200 people as ten times the target
    assert line(Kind.LEVEL, 0, 20).expected(date(2026, 7, 1)) == pytest.approx(10, abs=0.1)


def test_milestones_count_those_done_against_those_due():
    two = Line(0, START, 2, END, Kind.MILESTONE, ((date(2026, 6, 30), 1), (END, 2)))
    assert two.expected(date(2026, 6, 29)) == 0 and two.expected(date(2026, 6, 30)) == 1
    assert rate(two, actual=0, actual_on=date(2026, 6, 29), overdue=False) == Rating.GOOD  # none due yet
    assert rate(two, actual=0, actual_on=date(2026, 7, 1), overdue=False) == Rating.INADEQUATE
    assert rate(two, actual=1, actual_on=date(2026, 7, 1), overdue=False) == Rating.GOOD
    assert rate(two, actual=1, actual_on=END, overdue=False) == Rating.INADEQUATE  # 50% of those due
    assert two.percent_of_target(1) == 50


def test_other_is_rated_as_other_unless_overdue():
    assert rate(line(Kind.TOTAL), actual=10, actual_on=MIDYEAR, overdue=False, other=True) == Rating.OTHER
    assert rate(line(Kind.TOTAL), actual=10, actual_on=MIDYEAR, overdue=True, other=True) == Rating.OVERDUE


# -- through the plan and updates --------------------------------------------------------------
# The A38 plan (tests/factories.py) with its measures' kinds changed: m1, apprenticeships
# 0 -> 520 weeks from Apr 2026 to Mar 2028 reported monthly; m2, local labour, 12 -> 40 FTE to
# Mar 2027 reported quarterly (thresholds 100, 85, 60).


def plan_with(m1: list[str], m2: list[str]) -> list[str]:
    return [*WHY, *WHAT, *m1, *m2, *HOW_LONG, *MONITORING]


M1 = HOW[:10]
M2 = HOW[10:]


async def test_amounts_per_period_are_added_up_for_the_rating(engine):
    m1 = [*M1[:2], "amount per period", *M1[3:]]
    await start_plan(engine)
    reply = await say_all(engine, *plan_with(m1, M2))
    assert reply.status == "complete"
    for month in range(5, 12):  # 22 weeks a month from May to November: 154 by 1 Nov, 152 planned
        await update(engine, value="22", period=f"2026-{month:02d}-01")
    status = (await statuses(engine))["m1"]
    assert status.actual == 154 and status.rating == Rating.GOOD
    measures = await stored_measures(engine)
    assert measures[0].kind == "per_period"


async def test_a_level_with_a_profile_is_compared_with_the_level_planned_for_its_date(engine):
    m2 = [*M2[:2], "level at a date", *M2[3:7], "30/09/2026 30\n31/12/2026 45", *M2[8:]]
    await start_plan(engine)
    assert (await say_all(engine, *plan_with(M1, m2))).status == "complete"
    await update(engine, "m2", value="31", period="2026-10-01")  # 30.2 planned on 1 Oct
    assert (await statuses(engine))["m2"].rating == Rating.GOOD
    with pytest.raises(UpdateRefused) as refused:  # 27 of 30.2 is 89%: Approaching, so a recovery action is asked for
        await update(engine, "m2", value="27", period="2026-10-01")
    assert "recovery_action" in refused.value.errors
    await update(engine, "m2", value="27", period="2026-10-01", recovery_action="Two more from the jobs fair")
    assert (await statuses(engine))["m2"].rating == Rating.APPROACHING
    # 30 at New Year, lower than the last report: no confirmation asked, a level may fall;
    # 44.9 were planned by then (the peak of 45 passed), so 30 is 67%: Requires improvement
    await update(engine, "m2", value="30", period="2027-01-01", today=date(2027, 1, 5), recovery_action="Hiring resumes in March")
    status = (await statuses(engine, today=date(2027, 1, 5)))["m2"]
    assert (status.actual, status.rating) == (30, Rating.REQUIRES_IMPROVEMENT)
    assert (await stored_measures(engine))[1].profile == [["2026-09-30", 30], ["2026-12-31", 45]]


async def test_milestones_are_reported_done_or_how_many(engine):
    # m2 becomes two milestones: no baseline or target value is asked
    m2 = [*M2[:2], "milestones", M2[4], M2[6], "30/09/2026 Footbridge open; 31/12/2026 Garden handed over", *M2[8:]]
    await start_plan(engine)
    reply = await say_all(engine, *plan_with(M1, m2))
    assert reply.status == "complete", (reply.step, reply.notice)
    assert "Profile (Local labour): 30 Sep 2026 Footbridge open; 31 Dec 2026 Garden handed over" in reply.text
    with pytest.raises(UpdateRefused) as refused:
        await update(engine, "m2", value="3", period="2026-10-01")
    assert 'Say "done" (all 2 milestones), "not done", or how many of the 2 are done' in refused.value.errors["value"]
    await update(engine, "m2", value="1", period="2026-10-01")
    assert (await statuses(engine))["m2"].rating == Rating.GOOD  # one due by 1 Oct, one done
    await update(engine, "m2", value="done", period="2027-01-01", today=date(2027, 1, 4))
    status = (await statuses(engine, today=date(2027, 1, 4)))["m2"]
    assert (status.actual, status.rating, status.percent_of_target) == (2, Rating.GOOD, 100)


async def test_other_is_rated_with_its_reason_and_needs_no_recovery_action(engine):
    await start_plan(engine)
    await say_all(engine, *plan_with(M1, M2))
    reason = "The client paused the works for a public inquiry: no apprentices can be on site"
    await update(engine, value="10", period="2026-11-01", other_reason=reason)  # far below the line
    status = (await statuses(engine))["m1"]
    assert status.rating == Rating.OTHER and status.latest.other_reason == reason
    await update(engine, value="180", period="2026-12-01", today=date(2026, 12, 2))  # the next report rates it again
    assert (await statuses(engine, today=date(2026, 12, 2)))["m1"].rating == Rating.GOOD


async def test_measures_of_a_plan_made_before_kinds_keep_their_running_totals(engine):
    await start_plan(engine)
    reply = await say_all(engine, *WHY, *WHAT, *M1[:2])
    assert reply.step == "how.kind:m1"
    assert [c.label for c in reply.choices][0] == "Running total"  # apprenticeships: the catalogue's usual kind
    reply = await say_all(engine, *M1[2:], *M2[:2])
    assert reply.step == "how.kind:m2"


async def stored_measures(engine):
    from flows.projects import local_project
    from storage.engine import transaction

    async with transaction(engine) as db:
        project = await local_project(db, name=PROJECT, lead="alice")
        return await list_measures(db, project_id=project.id)


def test_a_profile_takes_up_to_its_bound_of_points_and_refuses_one_more():
    from datetime import timedelta

    from pydantic_core import PydanticCustomError

    from flows.conversation.inputs import MAX_PROFILE_POINTS, parse_profile

    days = [START + timedelta(days=n) for n in range(1, MAX_PROFILE_POINTS + 2)]
    lines = [f"{day.isoformat()} {n}" for n, day in enumerate(days)]
    assert len(parse_profile("\n".join(lines[:MAX_PROFILE_POINTS]), unit="FTE", not_before=START)) == MAX_PROFILE_POINTS
    with pytest.raises(PydanticCustomError) as refused:
        parse_profile("\n".join(lines), unit="FTE", not_before=START)
    assert refused.value.type == "profile_too_long" and refused.value.context == {
        "most": MAX_PROFILE_POINTS,
        "count": MAX_PROFILE_POINTS + 1,
    }

"""Each measure's rating and next due period, from its plan and its current updates.

A project's status is read with a fixed number of queries whatever its size: its plan state
and all its measures' current updates.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.conversation.engine import FlowState, load_state
from flows.ratings import DEFAULT_THRESHOLDS, Kind, Line, Rating, rate
from flows.schedules import AFTERCARE_YEARS, Period, Schedule, cadence_problem, horizon_end, periods
from storage.models import Measure, ProgressUpdate, Project
from storage.progress import current_updates

NO_SCHEDULE = Schedule()
# A period is the one an update is for from a week before its due date (its first reminder)
# to two weeks after it (its overdue reminder, and a late return).
REPORTED_BEFORE_DUE, REPORTED_AFTER_DUE = timedelta(days=7), timedelta(days=14)


@dataclass(frozen=True)
class MeasurePlan:
    """What monitoring needs of one measure: its schedule, its line to target, its thresholds."""

    measure: Measure
    schedule: Schedule
    line: Line | None
    thresholds: tuple[float, float, float]

    @property
    def cadence_refused(self) -> bool:
        """A rule stored before cadences were bounded, which schedules nothing: its lead is told."""
        return bool(self.measure.cadence) and cadence_problem(self.measure.cadence or "") is not None


@dataclass(frozen=True)
class MeasureStatus:
    plan: MeasurePlan
    rating: Rating
    actual: float | None
    actual_on: date | None
    percent_of_target: float | None
    overdue: Period | None
    open_period: Period | None  # the period an update now would be for
    latest: ProgressUpdate | None
    reported: frozenset[date]  # due dates of the periods reported (or with nothing to report)
    next_due: date | None = None  # the first due date on or after the day of the status
    gaps: int = 0  # periods already due that were never reported, a later report notwithstanding

    @property
    def measure(self) -> Measure:
        return self.plan.measure


def thresholds_of(state: FlowState) -> tuple[float, float, float]:
    custom = state.value("monitoring.thresholds")
    if state.value("monitoring.default_thresholds") is False and custom:
        return tuple(custom)
    return DEFAULT_THRESHOLDS


def kind_of(measure: Measure) -> Kind:
    return Kind(measure.kind) if measure.kind in Kind.__members__.values() else Kind.TOTAL


def profile_of(measure: Measure) -> tuple[tuple[date, float], ...]:
    """The measure's planned points as dates and values (checked when they were answered)."""
    return tuple((date.fromisoformat(day), float(value)) for day, value, *_ in measure.profile or ())


def line_of(measure: Measure) -> Line | None:
    """The path a measure is rated against; milestones run from none done to all done."""
    m, kind = measure, kind_of(measure)
    if kind == Kind.MILESTONE:
        profile = profile_of(m)
        if not m.baseline_date or not (m.target_date or profile):
            return None
        return Line(0, m.baseline_date, profile[-1][1] if profile else 1, m.target_date or profile[-1][0], kind, profile)
    if m.baseline_value is None or not m.baseline_date or m.target_value is None or not m.target_date:
        return None
    return Line(m.baseline_value, m.baseline_date, m.target_value, m.target_date, kind, profile_of(m))


def aftercare_end(state: FlowState, measure: Measure) -> date | None:
    """Where the handover conversation decided a measure's horizon: at the handover for one
    whose monitoring does not continue, its years of aftercare after it otherwise (three
    unless answered). None before that conversation reached the measure."""
    continues = state.value("handover.continues", measure.key)
    handover = state.project.handover_date
    if continues is None or handover is None:
        return None
    if continues is False:
        return handover
    years = state.value("handover.aftercare_years", measure.key)
    return handover + relativedelta(months=round(12 * (AFTERCARE_YEARS if years is None else years)))


def measure_plan(state: FlowState, measure: Measure) -> MeasurePlan:
    m = measure
    line = line_of(m)
    try:
        end = horizon_end(
            target_date=m.target_date,
            planned_completion=state.project.planned_completion,
            legacy_years=state.value("how_long.legacy_years"),
        )
        end = aftercare_end(state, m) or end
    except (ValueError, OverflowError, TypeError):  # a date past 9999: a row stored before imports were checked
        end = None
    schedule = periods(m.cadence, m.baseline_date, end) if m.cadence and m.baseline_date and end else NO_SCHEDULE
    return MeasurePlan(m, schedule, line, thresholds_of(state))


def _open_period(schedule: Schedule, reported: frozenset[date], today: date) -> Period | None:
    """The period an update today is for: the latest unreported one due from two weeks ago to a
    week ahead (the one its reminders are about), else the one running today. An older gap is
    reported only by naming its period: a December figure never lands in July."""
    for index in reversed(schedule.due_between(today - REPORTED_AFTER_DUE, today + REPORTED_BEFORE_DUE)):
        if (period := schedule[index]).end not in reported:
            return period
    return schedule.running(today)


def measure_status(plan: MeasurePlan, updates: list[ProgressUpdate], today: date) -> MeasureStatus:
    """A measure's status from its current updates, oldest period first."""
    valued = [(u.period_end, u.value) for u in updates if u.value is not None]
    return status_from(
        plan,
        today=today,
        reported=frozenset(u.period_end for u in updates),
        latest_valued=valued[-1] if valued else None,
        total=sum(value for _, value in valued) if valued else None,
        latest=updates[-1] if updates else None,
        other=bool(updates and updates[-1].other_reason),
    )


def status_from(
    plan: MeasurePlan,
    *,
    today: date,
    reported: frozenset[date],
    latest_valued: tuple[date, float] | None,
    total: float | None,
    latest: ProgressUpdate | None = None,
    other: bool = False,
) -> MeasureStatus:
    """A measure's status from aggregates (so a portfolio can be read in a few queries). Its
    reports are up to date when a period at or after the last one due has been reported."""
    last_due = plan.schedule.last_due_before(today)
    reported_to = max(reported, default=None)
    overdue = last_due if last_due and (reported_to is None or reported_to < last_due.end) else None
    actual = actual_on = None
    if latest_valued is not None:
        actual_on, actual = latest_valued
        if kind_of(plan.measure) == Kind.PER_PERIOD:
            actual = (plan.measure.baseline_value or 0) + (total or 0)
    rating = rate(plan.line, actual=actual, actual_on=actual_on, overdue=overdue is not None, thresholds=plan.thresholds, other=other)
    percent = plan.line.percent_of_target(actual) if plan.line and actual is not None else None
    upcoming = plan.schedule.due_by(today - timedelta(days=1))
    next_due = plan.schedule[upcoming].end if upcoming < len(plan.schedule) else None
    open_period = _open_period(plan.schedule, reported, today)
    gaps = upcoming - _reported_periods(plan.schedule, reported, today)
    return MeasureStatus(plan, rating, actual, actual_on, percent, overdue, open_period, latest, reported, next_due, gaps)


def _reported_periods(schedule: Schedule, reported: frozenset[date], today: date) -> int:
    """How many of the periods due before `today` were reported (a report for a date that is no
    longer a due date, after a change of cadence, counts for none)."""
    return sum(1 for day in reported if day < today and (period := schedule.ending(day)) is not None and period.end == day)


async def project_status(db: AsyncSession, project: Project, today: date, *, state: FlowState | None = None) -> list[MeasureStatus]:
    """Every measure's status; `state` when the caller read the plan in this transaction."""
    state = state or await load_state(db, project)
    return statuses_of(state, await current_updates(db, project_id=project.id), today)


def statuses_of(state: FlowState, updates: dict[int, list[ProgressUpdate]], today: date) -> list[MeasureStatus]:
    """Every measure's status, from the plan and the current updates already read."""
    return [measure_status(measure_plan(state, m), updates.get(m.id, []), today) for m in state.measures]


async def one_measure_status(db: AsyncSession, project: Project, measure_id: int, today: date) -> MeasureStatus | None:
    """One measure's status, reading only that measure's updates."""
    state = await load_state(db, project)
    measure = next((m for m in state.measures if m.id == measure_id), None)
    if measure is None:
        return None
    updates = await current_updates(db, project_id=project.id, measure_id=measure_id)
    return measure_status(measure_plan(state, measure), updates.get(measure_id, []), today)

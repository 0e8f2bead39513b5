"""Progress on measures: recording an update, and each measure's rating and next due period.

A project's status is read with a fixed number of queries whatever its size: its plan state
and all its measures' current updates.
"""

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from pydantic import ValidationError
from pydantic_core import PydanticCustomError
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.engine import FlowState, load_state
from flows.inputs import MAX_TEXT, clean_text, parse_date, parse_number, refuse
from flows.ratings import BELOW_GOOD, DEFAULT_THRESHOLDS, Line, Rating, rate
from flows.schedules import Period, horizon_end, periods
from prompts import MarkupKind, render
from storage.models import Measure, ProgressUpdate, Project
from storage.progress import append_update, current_updates, get_update, review_update

CONFIRM_FACTOR = 1000  # a value this many times the target is asked to be confirmed
SIGNED_UNITS = ("change", "net", "balance", "difference")  # units whose values may be negative
DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class MeasurePlan:
    """What monitoring needs of one measure: its schedule, its line to target, its thresholds."""

    measure: Measure
    schedule: tuple[Period, ...]
    line: Line | None
    thresholds: tuple[float, float, float]


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

    @property
    def measure(self) -> Measure:
        return self.plan.measure


def thresholds_of(state: FlowState) -> tuple[float, float, float]:
    custom = state.value("monitoring.thresholds")
    if state.value("monitoring.default_thresholds") is False and custom:
        return tuple(custom)
    return DEFAULT_THRESHOLDS


def measure_plan(state: FlowState, measure: Measure) -> MeasurePlan:
    m = measure
    line = None
    if None not in (m.baseline_value, m.baseline_date, m.target_value, m.target_date):
        line = Line(m.baseline_value, m.baseline_date, m.target_value, m.target_date)
    end = horizon_end(
        target_date=m.target_date,
        planned_completion=state.project.planned_completion,
        legacy_years=state.value("how_long.legacy_years"),
    )
    schedule = periods(m.cadence, m.baseline_date, end) if m.cadence and m.baseline_date and end else ()
    return MeasurePlan(m, schedule, line, thresholds_of(state))


def _open_period(schedule: tuple[Period, ...], reported: set[date], today: date) -> Period | None:
    """The latest unreported period already due or due within a week, else the one running now."""
    due = [p for p in schedule if p.end not in reported and (p.end - today).days <= DUE_SOON_DAYS]
    return due[-1] if due else next((p for p in schedule if p.start <= today < p.end), None)


def measure_status(plan: MeasurePlan, updates: list[ProgressUpdate], today: date) -> MeasureStatus:
    """A measure's status from its current updates, oldest period first."""
    valued = [u for u in updates if u.value is not None]
    return status_from(
        plan,
        today=today,
        reported=frozenset(u.period_end for u in updates),
        latest_valued=(valued[-1].period_end, valued[-1].value) if valued else None,
        total=sum(u.value for u in valued) if valued else None,
        latest=updates[-1] if updates else None,
    )


def status_from(
    plan: MeasurePlan, *, today: date, reported: frozenset[date], latest_valued: tuple[date, float] | None,
    total: float | None, latest: ProgressUpdate | None = None,
) -> MeasureStatus:
    """A measure's status from aggregates (so a portfolio can be read in a few queries). Its
    reports are up to date when a period at or after the last one due has been reported."""
    past = [p for p in plan.schedule if p.end < today]
    reported_to = max(reported, default=None)
    overdue = past[-1] if past and (reported_to is None or reported_to < past[-1].end) else None
    actual = actual_on = None
    if latest_valued is not None:
        actual_on, actual = latest_valued
        if not plan.measure.cumulative:
            actual = (plan.measure.baseline_value or 0) + (total or 0)
    rating = rate(plan.line, actual=actual, actual_on=actual_on, overdue=overdue is not None, thresholds=plan.thresholds)
    percent = plan.line.percent_of_target(actual) if plan.line and actual is not None else None
    return MeasureStatus(plan, rating, actual, actual_on, percent, overdue, _open_period(plan.schedule, reported, today), latest, reported)


async def project_status(db: AsyncSession, project: Project, today: date) -> list[MeasureStatus]:
    state = await load_state(db, project)
    updates = await current_updates(db, project_id=project.id)
    return [measure_status(measure_plan(state, m), updates.get(m.id, []), today) for m in state.measures]


async def one_measure_status(db: AsyncSession, project: Project, measure_id: int, today: date) -> MeasureStatus | None:
    """One measure's status, reading only that measure's updates."""
    state = await load_state(db, project)
    measure = next((m for m in state.measures if m.id == measure_id), None)
    if measure is None:
        return None
    updates = await current_updates(db, project_id=project.id, measure_id=measure_id)
    return measure_status(measure_plan(state, measure), updates.get(measure_id, []), today)


class UpdateRefused(Exception):
    """{field: one-line explanation}; nothing was stored. `confirm` when only a confirmation is missing."""

    def __init__(self, errors: dict[str, str], confirm: bool = False) -> None:
        super().__init__(errors)
        self.errors = errors
        self.confirm = confirm


def _explain(error: PydanticCustomError, markup: str) -> str:
    return render(f"errors.j2:{error.type}", markup, **(error.context or {}))


def _evidence(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    link = clean_text(raw, maximum=2000)
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in link:
        raise refuse("evidence_not_a_link")
    return link


async def record_update(
    db: AsyncSession,
    project: Project,
    *,
    measure_key: str,
    author: str,
    today: date,
    value: str | None = None,
    note: str | None = None,
    evidence: str | None = None,
    period: str | None = None,
    recovery_action: str | None = None,
    nothing_to_report: bool = False,
    confirmed: bool = False,
    markup: str = MarkupKind.TEXT,
) -> tuple[ProgressUpdate, MeasureStatus]:
    """Validate every field, then store the update as a new version for its period."""
    statuses = {s.measure.key: s for s in await project_status(db, project, today)}
    status = statuses.get(measure_key)
    errors: dict[str, str] = {}
    if status is None or not status.plan.schedule:
        reason = "update_unknown_measure" if status is None else "update_unscheduled"
        raise UpdateRefused({"measure": render(f"errors.j2:{reason}", markup)})
    plan = status.plan
    chosen = status.open_period
    needs_confirmation = False

    def checked(field: str, parse, raw):
        try:
            return parse(raw)
        except (PydanticCustomError, ValidationError) as error:
            errors[field] = _explain(error, markup)
            return None

    def period_of(raw: str | None) -> Period:
        if not raw:
            if status.open_period is None:
                raise refuse("update_no_open_period")
            return status.open_period
        day = parse_date(raw)
        found = next((p for p in plan.schedule if p.start < day <= p.end), None)
        if found is None:
            raise refuse("update_outside_horizon", start=plan.schedule[0].start.isoformat(), end=plan.schedule[-1].end.isoformat())
        return found

    def value_of(raw: str | None) -> float | None:
        if nothing_to_report:
            return None
        signed = any(word in plan.measure.unit.casefold() for word in SIGNED_UNITS)
        return parse_number(raw, unit=plan.measure.unit, minimum=-1e12 if signed else 0)

    chosen = checked("period", period_of, period)
    parsed_value = checked("value", value_of, value)
    parsed_note = checked("note", _optional_text, note)
    parsed_evidence = checked("evidence", _evidence, evidence)
    parsed_recovery = checked("recovery_action", _optional_text, recovery_action)
    target = plan.measure.target_value
    if parsed_value is not None and target and abs(parsed_value) >= CONFIRM_FACTOR * abs(target) and not confirmed:
        errors["value"] = render("errors.j2:update_confirm_large", markup, factor=CONFIRM_FACTOR, target=target, unit=plan.measure.unit)
        needs_confirmation = True
    if not errors and parsed_value is not None and plan.line is not None and not parsed_recovery:
        after = rate(plan.line, actual=_actual_after(status, parsed_value), actual_on=chosen.end, overdue=False, thresholds=plan.thresholds)
        if after in BELOW_GOOD:
            errors["recovery_action"] = render("errors.j2:update_needs_recovery", markup, rating=after.value)
    if errors:
        raise UpdateRefused(errors, confirm=needs_confirmation and len(errors) == 1)
    update = await append_update(
        db,
        measure_id=plan.measure.id,
        period_start=chosen.start,
        period_end=chosen.end,
        value=None if nothing_to_report else parsed_value,
        note=parsed_note,
        evidence_url=parsed_evidence,
        recovery_action=parsed_recovery,
        author=author,
    )
    return update, next(s for s in await project_status(db, project, today) if s.measure.key == measure_key)


def _actual_after(status: MeasureStatus, value: float) -> float:
    if status.measure.cumulative:
        return value
    return (status.actual if status.actual is not None else (status.measure.baseline_value or 0)) + value


def _optional_text(raw: str | None) -> str | None:
    return clean_text(raw, maximum=MAX_TEXT) if raw and raw.strip() else None


class ReviewRefused(Exception):
    def __init__(self, reason: str, **context) -> None:
        super().__init__(reason)
        self.reason = reason
        self.context = context


async def review(
    db: AsyncSession, project: Project, *, update_id: int, reviewer: str, decision: str, comment: str | None, now
) -> ProgressUpdate:
    """The project lead approves an update, or returns it with a comment; who and when is kept."""
    if reviewer != project.lead:
        raise ReviewRefused("review_not_lead", lead=project.lead)
    update = await get_update(db, update_id=update_id)
    measures = {m.id for m in (await load_state(db, project)).measures}
    if update is None or update.measure_id not in measures:
        raise ReviewRefused("review_unknown_update")
    if decision == "returned":
        try:
            comment = clean_text(comment, maximum=MAX_TEXT)
        except PydanticCustomError:
            raise ReviewRefused("review_needs_comment") from None
    await review_update(db, update, decision=decision, reviewer=reviewer, comment=comment, at=now)
    return update

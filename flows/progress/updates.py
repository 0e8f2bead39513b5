"""Recording a progress update: every field validated, then stored as a new version for its
reporting period."""

import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError
from pydantic_core import PydanticCustomError
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.conversation.engine import load_state
from flows.conversation.inputs import MAX_TEXT, channel_of, clean_text, explain, parse_date, parse_number, parse_yes_no, refuse
from flows.progress.status import MeasureStatus, kind_of, project_status
from flows.ratings import BELOW_GOOD, Kind, rate
from flows.roles import Team, team_of
from flows.schedules import Period
from prompts import MarkupKind, render, slack_user_of
from storage.models import Measure, ProgressUpdate, Project
from storage.progress import append_update

T = TypeVar("T")
CONFIRM_FACTOR = 1000  # a value this many times the target is asked to be confirmed
SIGNED_UNITS = ("change", "net", "balance", "difference")  # units whose values may be negative
MAX_LINK = 2000
DONE, NOT_DONE = ("done", "all", "all done", "complete"), ("not done", "none", "not yet")
HIDDEN = ("Cc", "Cf", "Cs", "Zl", "Zp")  # controls, format (bidi, zero-width), surrogates, line breaks


class UpdateRefused(Exception):
    """{field: one-line explanation}; nothing was stored. `confirm` when only a confirmation is missing."""

    def __init__(self, errors: dict[str, str], confirm: bool = False) -> None:
        super().__init__(errors)
        self.errors = errors
        self.confirm = confirm


def _explain(error: PydanticCustomError, markup: str) -> str:
    return render(f"errors.j2:{error.type}", markup, **(error.context or {}))


def evidence_link(raw: str | None) -> str | None:
    """An evidence link as stored: a web address whose host is shown as it resolves (IDNA:
    a look-alike letter from another script shows as xn--), or None when none was given.
    Refused with anything hidden in it (spaces, controls, bidi or zero-width characters) or a
    user name and password before the host."""
    if raw is None or not raw.strip():
        return None
    link = raw.strip()
    if len(link) > MAX_LINK:
        raise refuse("text_too_long", maximum=MAX_LINK, length=len(link))
    if not link.casefold().startswith(("http://", "https://")):
        raise refuse("evidence_not_a_link")
    if any(c.isspace() or unicodedata.category(c) in HIDDEN for c in link):
        raise refuse("evidence_hidden_characters")
    try:
        parts = urlsplit(link)
        host, port = parts.hostname, parts.port
        shown = host.encode("idna").decode("ascii") if host else ""
    except (ValueError, UnicodeError):  # a port that is not a number, a label IDNA cannot hold
        raise refuse("evidence_not_a_link") from None
    if not shown:
        raise refuse("evidence_not_a_link")
    if parts.username is not None or parts.password is not None:
        raise refuse("evidence_userinfo")
    shown = f"[{shown}]" if ":" in shown else shown
    return urlunsplit(parts._replace(netloc=shown + (f":{port}" if port is not None else "")))


def may_report(team: Team, measure: Measure, user: str) -> bool:
    """Who may report on a measure where people are known (Slack): its owner, and the
    project's lead and editors."""
    return user == slack_user_of(measure.owner) or team.may_change(user)


async def record_update(
    db: AsyncSession,
    project: Project,
    *,
    measure_key: str,
    author: str,
    today: date,
    only_owner_or_lead: bool = False,
    value: str | None = None,
    note: str | None = None,
    evidence: str | None = None,
    period: str | None = None,
    recovery_action: str | None = None,
    other_reason: str | None = None,
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
    if only_owner_or_lead and not may_report(await team_of(db, project), status.measure, author):
        refusal = render("errors.j2:update_not_yours", markup, owner=status.measure.owner, lead=project.lead)
        raise UpdateRefused({"measure": refusal})
    plan = status.plan
    kind = kind_of(plan.measure)
    chosen = status.open_period
    needs_confirmation = False

    def checked(field: str, parse: Callable[[Any], T], raw: Any) -> T | None:
        try:
            return parse(raw)
        except PydanticCustomError as error:
            errors[field] = _explain(error, markup)
        except ValidationError as invalid:
            errors[field] = explain(invalid, markup)
        return None

    def period_of(raw: str | None) -> Period:
        if not raw:
            if status.open_period is None:
                raise refuse("update_no_open_period")
            return status.open_period
        day = parse_date(raw)
        found = plan.schedule.ending(day)
        if found is None:
            raise refuse("update_outside_horizon", start=plan.schedule[0].start.isoformat(), end=plan.schedule[-1].end.isoformat())
        return found

    def value_of(raw: str | None) -> float | None:
        if nothing_to_report:
            return None
        if kind == Kind.MILESTONE:
            return milestones_done(raw, of=int(plan.line.target) if plan.line else 1)
        signed = any(word in plan.measure.unit.casefold() for word in SIGNED_UNITS)
        return parse_number(raw, unit=plan.measure.unit, minimum=-1e12 if signed else 0)

    chosen = checked("period", period_of, period)
    parsed_value = checked("value", value_of, value)
    parsed_note = checked("note", _optional_text, note)
    parsed_evidence = checked("evidence", evidence_link, evidence)
    parsed_recovery = checked("recovery_action", _optional_text, recovery_action)
    parsed_other = checked("other_reason", _optional_text, other_reason)
    target = plan.measure.target_value
    if parsed_value is not None and target and abs(parsed_value) >= CONFIRM_FACTOR * abs(target) and not confirmed:
        errors["value"] = render("errors.j2:update_confirm_large", markup, factor=CONFIRM_FACTOR, target=target, unit=plan.measure.unit)
        needs_confirmation = True
    before = _total_before(status, chosen) if chosen is not None and kind == Kind.TOTAL else None
    if parsed_value is not None and before is not None and parsed_value < before[1] and not confirmed and "value" not in errors:
        errors["value"] = render(
            "errors.j2:update_confirm_lower", markup, value=parsed_value, before=before[1], period=before[0], unit=plan.measure.unit
        )
        needs_confirmation = True
    if (
        not errors
        and chosen is not None
        and parsed_value is not None
        and plan.line is not None
        and not parsed_recovery
        and not parsed_other
    ):
        after = rate(plan.line, actual=_actual_after(status, parsed_value), actual_on=chosen.end, overdue=False, thresholds=plan.thresholds)
        if after in BELOW_GOOD:
            errors["recovery_action"] = render("errors.j2:update_needs_recovery", markup, rating=after.value)
    if errors or chosen is None:
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
        other_reason=parsed_other,
        author=author,
    )
    return update, next(s for s in await project_status(db, project, today) if s.measure.key == measure_key)


async def updates_channel(db: AsyncSession, project: Project) -> str | None:
    """Where updates are posted, as the plan says: the channel picked, or the project's channel
    for any other answer; nowhere while the question is unanswered."""
    answer = (await load_state(db, project)).value("monitoring.updates_posted")
    if answer is None:
        return None
    return channel_of(answer) or project.channel_id


def _total_before(status: MeasureStatus, period: Period) -> tuple[date, float] | None:
    """The running total last reported for a period before this one, and that period's due date."""
    if status.latest is None or status.actual_on is None or status.actual is None:
        return None
    return (status.actual_on, status.actual) if status.actual_on < period.end else None


def milestones_done(raw: str | None, of: int) -> int:
    """How many of the `of` milestones are done: a whole number, or done / not done (all, none)."""
    word = clean_text(raw or "", maximum=MAX_TEXT).casefold().strip(" .!")
    if word in DONE:
        return of
    if word in NOT_DONE:
        return 0
    try:
        done = parse_yes_no(word)
        return of if done else 0
    except PydanticCustomError:
        pass
    try:
        count = parse_number(word, unit="milestones", maximum=of)
    except PydanticCustomError:
        raise refuse("update_milestones", of=of) from None
    if not float(count).is_integer():
        raise refuse("update_milestones", of=of)
    return int(count)


def _actual_after(status: MeasureStatus, value: float) -> float:
    if kind_of(status.measure) != Kind.PER_PERIOD:
        return value
    return (status.actual if status.actual is not None else (status.measure.baseline_value or 0)) + value


def _optional_text(raw: str | None) -> str | None:
    return clean_text(raw, maximum=MAX_TEXT) if raw and raw.strip() else None

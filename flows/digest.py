"""The steering group's weekly digest: where the portfolio stands and what needs attention.

Built from `load_portfolio`, a fixed number of queries whatever the number of projects.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel.ext.asyncio.session import AsyncSession

from flows.case_studies import Shown, week_case_studies
from flows.conversation.engine import FlowState
from flows.conversation.presenting import completion
from flows.coverage import coverage
from flows.outbox import DigestDue, Planned
from flows.people import people_names
from flows.plan import PLAN
from flows.progress.status import MeasurePlan, MeasureStatus, measure_plan, status_from
from flows.ratings import Rating
from flows.refusals import Refused
from flows.snapshots import known_at
from prompts import render
from storage.engine import insert_if_absent
from storage.models import Digest, DigestConfig, Workspace
from storage.portfolio import MeasureFacts, Portfolio, get_digest_config, latest_digest, list_digest_configs, load_portfolio

RATINGS = [r.value for r in Rating]
UNTOUCHED_DAYS = 30
HANDOVER_DAYS = 90
SUMMARY_ABOVE = 200  # projects: the default of a workspace's digest config (storage/models.py)
SUMMARY_PROJECTS = 20  # the projects a summary-only digest names: those that most need attention
SUMMARY_ITEMS = 20  # each list of "needs attention" in a summary-only digest: the rest are counted
CASE_STUDIES_NAMED = 10  # the week's new case studies named in the digest: the rest are counted
NAMED_UPDATES = 3  # a week's updates named with their values, per project: the rest are counted
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def is_iso_week(text: str) -> bool:
    """A week of the calendar written as ISO does, e.g. 2026-W49 (2025 has no W53)."""
    match = re.fullmatch(r"(\d{4})-W(\d{2})", text)
    if match is None:
        return False
    try:
        date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return False
    return True


def week_start(week: str) -> date:
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def scheduled_at(config: DigestConfig | None, week: str) -> datetime:
    """When the digest of `week` is due: its weekday and time where the steering group is."""
    weekday, at, tz = (config.weekday, config.time, config.tz) if config else (0, "09:00", "Europe/London")
    hour, minute = (int(part) for part in at.split(":"))
    day = week_start(week) + timedelta(days=weekday)
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tz))


@dataclass
class ProjectLine:
    name: str
    channel: str | None
    answered: int
    total: int
    ratings: dict[str, int]
    changes: "WeekChanges"
    # The latest figure of each measure reported, against what its plan expected by now:
    # (measure, latest value, expected now, unit), the first few; the rest are counted.
    figures: list[tuple[str, float, float, str]] = field(default_factory=list)
    figures_more: int = 0
    attention: int = 0  # how much of "needs attention" is this project's: the summary's order


@dataclass
class WeekChanges:
    """What changed in a project this week, in words: the updates with their values (the
    latest few named), answers given, measures added and removed."""

    updates: int = 0
    named: list[tuple[str, float | None, str]] = field(default_factory=list)  # measure, value, unit
    answers: int = 0
    added: list[str] = field(default_factory=list)
    removed: int = 0
    moved: list[tuple[str, str, str]] = field(default_factory=list)  # measure, rating before, rating now
    completed: bool = False  # the plan became complete this week

    def __bool__(self) -> bool:
        return bool(self.updates or self.answers or self.added or self.removed or self.moved or self.completed)


@dataclass
class WeeklyDigest:
    week: str
    as_of: datetime
    numbers: dict[str, Any]
    previous: dict[str, Any] | None
    projects: list[ProjectLine] = field(default_factory=list)
    overdue: list[dict[str, Any]] = field(default_factory=list)
    off_track: list[dict[str, Any]] = field(default_factory=list)
    no_community: list[str] = field(default_factory=list)
    uncovered: list[dict[str, Any]] = field(default_factory=list)  # projects with needs no measure answers
    no_owner: list[dict[str, Any]] = field(default_factory=list)
    untouched: list[dict[str, Any]] = field(default_factory=list)
    handovers: list[dict[str, Any]] = field(default_factory=list)
    people: dict[str, str] = field(default_factory=dict)  # Slack user id -> name, for the terminal
    # The week's new case studies consented to be shared beyond their project (the newest few),
    # and how many more were added: those consented and not shown, and those kept within their project.
    case_studies: list[Shown] = field(default_factory=list)
    case_studies_more: int = 0
    case_studies_kept: int = 0
    summary_only: bool = False  # more projects than the workspace's summary_above: the numbers and the top projects

    @property
    def listed(self) -> int:
        """Entries in the per-measure and per-project lists of "needs attention"."""
        return len(self.overdue) + len(self.off_track) + len(self.no_owner) + len(self.untouched)

    @property
    def cap(self) -> int | None:
        """How many of each "needs attention" list are named (None: all of them)."""
        return SUMMARY_ITEMS if self.summary_only else None

    @property
    def most_in_need(self) -> list[ProjectLine]:
        """The projects that most need attention, most first (the summary names these)."""
        ranked = sorted((p for p in self.projects if p.attention), key=lambda p: (-p.attention, p.name))
        return ranked[:SUMMARY_PROJECTS]

    @property
    def changed(self) -> bool:
        return (
            self.previous is None
            or self.previous != self.numbers
            or any(p.changes for p in self.projects)
            or bool(self.case_studies or self.case_studies_kept)
        )


async def build_digest(db: AsyncSession, workspace: Workspace, *, week: str, as_of: datetime, snapshot: bool = False) -> WeeklyDigest:
    """The digest of the week up to `as_of`; a `snapshot` (a past week's) counts only what was
    recorded by then."""
    today = as_of.date()
    moment = as_of if snapshot else None
    since = as_of - timedelta(days=7)
    portfolio = await load_portfolio(db, workspace_id=workspace.id, since=since, as_of=moment)
    previous = await latest_digest(db, workspace_id=workspace.id, before_week=week)
    by_rating = dict.fromkeys(RATINGS, 0)
    totals: dict[str, Any] = {"projects": len(portfolio.projects), "complete": 0, "in_progress": 0, "not_started": 0, "ratings": by_rating}
    digest = WeeklyDigest(week, as_of, totals, previous.numbers if previous else None, people=await people_names(db, workspace.id))
    for project in portfolio.projects:
        communities, measures = portfolio.communities.get(project.id, []), portfolio.measures.get(project.id, [])
        answers, needs = portfolio.answers.get(project.id, {}), portfolio.needs.get(project.id, [])
        if moment is None:
            state = FlowState(project, communities, measures, answers, needs)
        else:
            state = known_at(project, communities, measures, portfolio.answers_now.get(project.id, {}), answers, moment, needs)
        answered, total = completion(PLAN, state)
        totals["complete" if answered == total else "not_started" if answered == 0 else "in_progress"] += 1
        ratings = dict.fromkeys(RATINGS, 0)
        moved: list[tuple[str, str, str]] = []
        figures: list[tuple[str, float, float, str]] = []
        listed_before = digest.listed
        for measure in state.measures:
            plan = measure_plan(state, measure)
            facts = portfolio.facts.get(measure.id)
            status = _status(plan, facts, today)
            if measure.created_at < since:  # one added this week had no rating before
                before = _status(plan, portfolio.facts_then.get(measure.id), since.date()).rating
                if before != status.rating:
                    moved.append((measure.name, before.value, status.rating.value))
            ratings[status.rating.value] += 1
            by_rating[status.rating.value] += 1
            if status.actual is not None and plan.line is not None:
                figures.append((measure.name, status.actual, plan.line.expected(today), measure.unit))
            entry = {"measure": measure.name, "project": project.name, "owner": measure.owner}
            if status.rating == Rating.OVERDUE and status.overdue is not None:
                digest.overdue.append({**entry, "due": status.overdue.end, "gaps": status.gaps})
            elif status.rating in (Rating.INADEQUATE, Rating.REQUIRES_IMPROVEMENT, Rating.APPROACHING):
                digest.off_track.append({**entry, "rating": status.rating.value, "recovery": facts.recovery_action if facts else None})
            if not measure.owner:
                digest.no_owner.append(entry)
        if not state.communities:
            digest.no_community.append(project.name)
        if gaps := coverage(state).gaps:
            named = [f"{need.name} ({community.name})" for community, need in gaps[:NAMED_UPDATES]]
            digest.uncovered.append({"project": project.name, "needs": named, "count": len(gaps)})
        last = portfolio.last_answered.get(project.id, project.created_at)
        if answered < total and (as_of - last).days >= UNTOUCHED_DAYS:
            digest.untouched.append({"project": project.name, "days": (as_of - last).days})
        if project.handover_date and today <= project.handover_date <= today + timedelta(days=HANDOVER_DAYS):
            digest.handovers.append({"project": project.name, "date": project.handover_date, "custodian": project.next_custodian})
        changes = _week_changes(portfolio, state, since)
        changes.moved = moved[:NAMED_UPDATES]
        then = FlowState(
            project, communities, [m for m in measures if m.created_at < since], portfolio.answers_then.get(project.id, {}), needs
        )
        changes.completed = answered == total and completion(PLAN, then)[0] < completion(PLAN, then)[1]
        attention = digest.listed - listed_before + len(gaps)  # this project's entries in "needs attention"
        line = ProjectLine(project.name, project.channel_id, answered, total, ratings, changes, attention=attention)
        line.figures, line.figures_more = figures[:NAMED_UPDATES], len(figures[NAMED_UPDATES:])
        digest.projects.append(line)
    config = await get_digest_config(db, workspace_id=workspace.id)
    digest.summary_only = len(digest.projects) > (config.summary_above if config else SUMMARY_ABOVE)
    digest.case_studies, digest.case_studies_more, digest.case_studies_kept = await week_case_studies(
        db, workspace, since=since, most=CASE_STUDIES_NAMED
    )
    return digest


def _status(plan: MeasurePlan, facts: MeasureFacts | None, today: date) -> MeasureStatus:
    return status_from(
        plan,
        today=today,
        reported=facts.reported if facts else frozenset(),
        latest_valued=facts.latest_valued if facts else None,
        total=facts.total if facts else None,
        other=bool(facts and facts.other_reason),
    )


def _week_changes(portfolio: Portfolio, state: FlowState, since: datetime) -> WeekChanges:
    measures = {m.id: m for m in portfolio.measures.get(state.project.id, [])}
    reports = portfolio.week_updates.get(state.project.id, [])
    return WeekChanges(
        updates=len(reports),
        named=[(m.name, value, m.unit) for measure_id, value in reports[:NAMED_UPDATES] if (m := measures.get(measure_id))],
        answers=portfolio.answers_since.get(state.project.id, 0),
        added=[m.name for m in state.measures if m.created_at >= since],
        removed=portfolio.retired_since.get(state.project.id, 0),
    )


def digest_text(digest: WeeklyDigest, markup: str) -> str:
    return render("digest.j2", markup, digest=digest, ratings=RATINGS, people=digest.people)


TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


async def digests_wanted(db: AsyncSession, now: datetime) -> list[Planned]:
    """This week's digest of every workspace that has one, and when (reads only). Only the
    current week's: after downtime the digest is caught up once, not once per missed week."""
    wanted = []
    for config in await list_digest_configs(db):
        week = iso_week(now.astimezone(ZoneInfo(config.tz)).date())
        wanted.append(Planned(DigestDue(workspace_id=config.workspace_id, week=week), scheduled_at(config, week), config.workspace_id))
    return wanted


async def digest_to_send(db: AsyncSession, due: DigestDue) -> tuple[str, WeeklyDigest] | None:
    """The channel and digest of a queued digest job, or None if the digest was turned off."""
    config = await get_digest_config(db, workspace_id=due.workspace_id)
    workspace = await db.get(Workspace, due.workspace_id)
    if config is None or not config.enabled or not config.channel_id or workspace is None:
        return None
    week = due.week
    return config.channel_id, await build_digest(db, workspace, week=week, as_of=scheduled_at(config, week))


async def record_digest(db: AsyncSession, workspace_id: int, digest: WeeklyDigest, now: datetime) -> None:
    await insert_if_absent(
        db,
        Digest,
        {"workspace_id": workspace_id, "week": digest.week, "numbers": digest.numbers, "sent_at": now},
        ["workspace_id", "week"],
    )


async def preview_digest(db: AsyncSession, workspace: Workspace, *, now: datetime, week: str | None = None) -> WeeklyDigest:
    """The digest as it will be sent (or was, for a past `week`)."""
    config = await get_digest_config(db, workspace_id=workspace.id)
    tz = ZoneInfo(config.tz if config else "Europe/London")
    week = week or iso_week(now.astimezone(tz).date())
    as_of = scheduled_at(config, week)
    return await build_digest(db, workspace, week=week, as_of=as_of, snapshot=as_of < now)


class DigestRefused(Refused):
    """Refused: nothing was stored."""


def parse_schedule(text: str) -> tuple[int, str, str]:
    """ "monday 09:00 Europe/London" -> (0, "09:00", "Europe/London")."""
    parts = text.split()
    if len(parts) != 3 or parts[0].casefold() not in DAYS or not TIME.match(parts[1]):
        raise DigestRefused("digest_schedule_invalid")
    try:
        ZoneInfo(parts[2])
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        raise DigestRefused("digest_zone_unknown", zone=parts[2]) from None
    hour, minute = parts[1].split(":")
    return DAYS.index(parts[0].casefold()), f"{int(hour):02d}:{minute}", parts[2]


async def configure_digest(db: AsyncSession, workspace: Workspace, *, user: str, now: datetime, **changes: Any) -> DigestConfig:
    config = await get_digest_config(db, workspace_id=workspace.id) or DigestConfig(workspace_id=workspace.id)
    for name, value in changes.items():
        setattr(config, name, value)
    config.updated_by, config.updated_at = user, now
    db.add(config)
    await db.flush()
    return config


async def digest_settings(db: AsyncSession, workspace: Workspace) -> DigestConfig | None:
    return await get_digest_config(db, workspace_id=workspace.id)

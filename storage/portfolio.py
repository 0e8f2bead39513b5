"""A workspace's whole portfolio in a fixed number of queries, however many projects it has:
the digest reads it at once instead of project by project."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy
from sqlalchemy import Subquery, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Answer, Community, Digest, DigestConfig, Measure, Need, ProgressUpdate, Project, Workspace

AnswerKey = tuple[str, str, str]


@dataclass
class MeasureFacts:
    reported: frozenset[date] = frozenset()  # the due dates of the periods reported
    latest_valued: tuple[date, float] | None = None
    total: float | None = None
    recovery_action: str | None = None
    other_reason: str | None = None  # of the latest period reported: its rating is Other


@dataclass
class Portfolio:
    projects: list[Project]
    communities: dict[int, list[Community]] = field(default_factory=dict)
    needs: dict[int, list[Need]] = field(default_factory=dict)
    measures: dict[int, list[Measure]] = field(default_factory=dict)
    answers: dict[int, dict[AnswerKey, Answer]] = field(default_factory=dict)
    answers_now: dict[int, dict[AnswerKey, Answer]] = field(default_factory=dict)  # when read as of a moment
    last_answered: dict[int, datetime] = field(default_factory=dict)
    answers_since: dict[int, int] = field(default_factory=dict)
    # The week's reports as they now stand, per project: (measure id, value or None), newest first.
    week_updates: dict[int, list[tuple[int, float | None]]] = field(default_factory=dict)
    retired_since: dict[int, int] = field(default_factory=dict)  # measures removed from the plan this week
    facts: dict[int, MeasureFacts] = field(default_factory=dict)
    facts_then: dict[int, MeasureFacts] = field(default_factory=dict)  # as they stood when the week began
    answers_then: dict[int, dict[AnswerKey, Answer]] = field(default_factory=dict)  # the same


def _by(column: Any, as_of: datetime | None) -> Any:
    """Recorded by `as_of` (always, without one)."""
    return col(column) <= as_of if as_of is not None else sqlalchemy.true()


def _current_updates(project_ids: list[int], as_of: datetime | None = None) -> Subquery:
    """Each period's current version (subquery); with `as_of`, the version current then."""
    ranked = (
        sqlalchemy.select(  # more columns than sqlmodel's select is typed for
            col(ProgressUpdate.measure_id),
            col(ProgressUpdate.period_end),
            col(ProgressUpdate.value),
            col(ProgressUpdate.recovery_action),
            col(ProgressUpdate.other_reason),
            col(ProgressUpdate.created_at),
            func.row_number()
            .over(
                partition_by=(col(ProgressUpdate.measure_id), col(ProgressUpdate.period_end)), order_by=col(ProgressUpdate.version).desc()
            )
            .label("rank"),
        )
        .join(Measure, col(Measure.id) == col(ProgressUpdate.measure_id))
        .where(col(Measure.project_id).in_(project_ids))
        .where(_by(ProgressUpdate.created_at, as_of))
        .subquery()
    )
    return ranked


async def load_plans(
    session: AsyncSession, projects: list[Project], *, since: datetime | None = None, as_of: datetime | None = None
) -> Portfolio:
    """The plans of these projects (communities, needs, measures, current answers) in four
    queries. With `as_of`: every community, need and measure there ever was (flows/snapshots.py keeps those in
    the plan then), and the answers as they stood then besides the current ones."""
    portfolio = Portfolio(projects)
    ids = [p.id for p in projects]
    communities = select(Community).where(col(Community.project_id).in_(ids))
    needs = select(Need).where(col(Need.project_id).in_(ids))
    measures = select(Measure).where(col(Measure.project_id).in_(ids))
    if as_of is None:
        communities = communities.where(col(Community.retired_at).is_(None))
        needs = needs.where(col(Need.retired_at).is_(None))
        measures = measures.where(col(Measure.retired_at).is_(None))
    for community in (await session.exec(communities.order_by(col(Community.id)))).all():
        portfolio.communities.setdefault(community.project_id, []).append(community)
    for need in (await session.exec(needs.order_by(col(Need.community_id), col(Need.id)))).all():
        portfolio.needs.setdefault(need.project_id, []).append(need)
    for measure in (await session.exec(measures.order_by(col(Measure.id)))).all():
        portfolio.measures.setdefault(measure.project_id, []).append(measure)
    answers = await session.exec(
        select(Answer)
        .where(col(Answer.project_id).in_(ids))
        .order_by(col(Answer.project_id), col(Answer.question), col(Answer.field), col(Answer.subject), col(Answer.version))
    )
    for answer in answers.all():
        key = (answer.question, answer.field, answer.subject)
        if as_of is not None:
            portfolio.answers_now.setdefault(answer.project_id, {})[key] = answer
            if answer.created_at > as_of:
                continue
        portfolio.answers.setdefault(answer.project_id, {})[key] = answer
        last = portfolio.last_answered.get(answer.project_id)
        portfolio.last_answered[answer.project_id] = answer.created_at if last is None else max(last, answer.created_at)
        if since is not None and answer.created_at >= since:
            portfolio.answers_since[answer.project_id] = portfolio.answers_since.get(answer.project_id, 0) + 1
        elif since is not None:
            portfolio.answers_then.setdefault(answer.project_id, {})[key] = answer
    return portfolio


async def load_portfolio(session: AsyncSession, *, workspace_id: int, since: datetime, as_of: datetime | None = None) -> Portfolio:
    """Everything the digest needs (with `as_of`, as it was known then); `since` bounds "what
    changed this week"."""
    projects = list(
        (
            await session.exec(
                select(Project).where(col(Project.workspace_id) == workspace_id, _by(Project.created_at, as_of)).order_by(col(Project.name))
            )
        ).all()
    )
    portfolio = await load_plans(session, projects, since=since, as_of=as_of)
    ids = [p.id for p in projects]

    portfolio.facts = await _facts(session, ids, as_of)
    portfolio.facts_then = await _facts(session, ids, since)
    current = _current_updates(ids, as_of)
    week = await session.exec(
        select(col(Measure.project_id), current.c.measure_id, current.c.value)
        .join(Measure, col(Measure.id) == current.c.measure_id)
        .where(current.c.rank == 1, current.c.created_at >= since)
        .order_by(current.c.created_at.desc())
    )
    for project_id, measure_id, value in week.all():
        portfolio.week_updates.setdefault(project_id, []).append((measure_id, value))
    removed = await session.exec(
        select(col(Measure.project_id), func.count())
        .where(col(Measure.project_id).in_(ids), col(Measure.retired_at) >= since, _by(Measure.retired_at, as_of))
        .group_by(col(Measure.project_id))
    )
    portfolio.retired_since = dict(removed.all())
    return portfolio


async def _facts(session: AsyncSession, ids: list[int], as_of: datetime | None) -> dict[int, MeasureFacts]:
    """Each measure's reports as they stood at `as_of` (now, without one), in four queries."""
    facts: dict[int, MeasureFacts] = {}
    current = _current_updates(ids, as_of)
    totals = await session.exec(
        select(current.c.measure_id, func.max(current.c.period_end), func.sum(current.c.value))
        .where(current.c.rank == 1)
        .group_by(current.c.measure_id)
    )
    for measure_id, _, total in totals.all():
        facts[measure_id] = MeasureFacts(total=total)
    reported: dict[int, set[date]] = {}
    for measure_id, period_end in (await session.exec(select(current.c.measure_id, current.c.period_end).where(current.c.rank == 1))).all():
        reported.setdefault(measure_id, set()).add(period_end)
    for measure_id, days in reported.items():
        facts[measure_id].reported = frozenset(days)

    valued = (
        sqlalchemy.select(
            current.c.measure_id,
            current.c.period_end,
            current.c.value,
            current.c.recovery_action,
            func.row_number().over(partition_by=current.c.measure_id, order_by=current.c.period_end.desc()).label("latest"),
        )
        .where(current.c.rank == 1, current.c.value.is_not(None))
        .subquery()
    )
    for measure_id, period_end, value, recovery in (
        await session.exec(
            select(valued.c.measure_id, valued.c.period_end, valued.c.value, valued.c.recovery_action).where(valued.c.latest == 1)
        )
    ).all():
        known = facts.setdefault(measure_id, MeasureFacts())
        known.latest_valued = (period_end, value)
        known.recovery_action = recovery

    latest = (
        sqlalchemy.select(
            current.c.measure_id,
            current.c.other_reason,
            func.row_number().over(partition_by=current.c.measure_id, order_by=current.c.period_end.desc()).label("latest"),
        )
        .where(current.c.rank == 1)
        .subquery()
    )
    for measure_id, reason in (
        await session.exec(
            select(latest.c.measure_id, latest.c.other_reason).where(latest.c.latest == 1, latest.c.other_reason.is_not(None))
        )
    ).all():
        facts.setdefault(measure_id, MeasureFacts()).other_reason = reason

    return facts


async def get_digest_config(session: AsyncSession, *, workspace_id: int) -> DigestConfig | None:
    return (await session.exec(select(DigestConfig).where(col(DigestConfig.workspace_id) == workspace_id))).first()


async def list_digest_configs(session: AsyncSession) -> list[DigestConfig]:
    """The digests to send: switched on, with a channel, in a workspace the app is installed in."""
    query = (
        select(DigestConfig)
        .join(Workspace, col(Workspace.id) == col(DigestConfig.workspace_id))
        .where(col(DigestConfig.enabled), col(DigestConfig.channel_id).is_not(None), col(Workspace.uninstalled_at).is_(None))
    )
    return list((await session.exec(query)).all())


async def latest_digest(session: AsyncSession, *, workspace_id: int, before_week: str) -> Digest | None:
    found = await session.exec(
        select(Digest)
        .where(col(Digest.workspace_id) == workspace_id, col(Digest.week) < before_week)
        .order_by(col(Digest.week).desc())
        .limit(1)
    )
    return found.first()

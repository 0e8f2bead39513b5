"""A workspace's whole portfolio in a fixed number of queries, however many projects it has:
the digest reads it at once instead of project by project."""

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy
from sqlalchemy import Subquery, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Answer, Community, Digest, DigestConfig, Measure, ProgressUpdate, Project

AnswerKey = tuple[str, str, str]


@dataclass
class MeasureFacts:
    reported: frozenset[date] = frozenset()  # here: the latest reported period only
    latest_valued: tuple[date, float] | None = None
    total: float | None = None
    recovery_action: str | None = None


@dataclass
class Portfolio:
    projects: list[Project]
    communities: dict[int, list[Community]] = field(default_factory=dict)
    measures: dict[int, list[Measure]] = field(default_factory=dict)
    answers: dict[int, dict[AnswerKey, Answer]] = field(default_factory=dict)
    last_answered: dict[int, datetime] = field(default_factory=dict)
    answers_since: dict[int, int] = field(default_factory=dict)
    updates_since: dict[int, int] = field(default_factory=dict)
    facts: dict[int, MeasureFacts] = field(default_factory=dict)


def _current_updates(project_ids: list[int]) -> Subquery:
    """Each period's current version (subquery)."""
    ranked = (
        sqlalchemy.select(  # more columns than sqlmodel's select is typed for
            col(ProgressUpdate.measure_id),
            col(ProgressUpdate.period_end),
            col(ProgressUpdate.value),
            col(ProgressUpdate.recovery_action),
            func.row_number()
            .over(
                partition_by=(col(ProgressUpdate.measure_id), col(ProgressUpdate.period_end)), order_by=col(ProgressUpdate.version).desc()
            )
            .label("rank"),
        )
        .join(Measure, col(Measure.id) == col(ProgressUpdate.measure_id))
        .where(col(Measure.project_id).in_(project_ids))
        .subquery()
    )
    return ranked


async def load_plans(session: AsyncSession, projects: list[Project], *, since: datetime | None = None) -> Portfolio:
    """The plans of these projects (communities, measures, current answers) in three queries."""
    portfolio = Portfolio(projects)
    ids = [p.id for p in projects]
    for community in (
        await session.exec(
            select(Community).where(col(Community.project_id).in_(ids), col(Community.retired_at).is_(None)).order_by(col(Community.id))
        )
    ).all():
        portfolio.communities.setdefault(community.project_id, []).append(community)
    for measure in (
        await session.exec(
            select(Measure).where(col(Measure.project_id).in_(ids), col(Measure.retired_at).is_(None)).order_by(col(Measure.id))
        )
    ).all():
        portfolio.measures.setdefault(measure.project_id, []).append(measure)
    answers = await session.exec(
        select(Answer)
        .where(col(Answer.project_id).in_(ids))
        .order_by(col(Answer.project_id), col(Answer.question), col(Answer.field), col(Answer.subject), col(Answer.version))
    )
    for answer in answers.all():
        portfolio.answers.setdefault(answer.project_id, {})[(answer.question, answer.field, answer.subject)] = answer
        last = portfolio.last_answered.get(answer.project_id)
        portfolio.last_answered[answer.project_id] = answer.created_at if last is None else max(last, answer.created_at)
        if since is not None and answer.created_at >= since:
            portfolio.answers_since[answer.project_id] = portfolio.answers_since.get(answer.project_id, 0) + 1
    return portfolio


async def load_portfolio(session: AsyncSession, *, workspace_id: int, since: datetime) -> Portfolio:
    """Everything the digest needs; `since` bounds "what changed this week"."""
    projects = list(
        (await session.exec(select(Project).where(col(Project.workspace_id) == workspace_id).order_by(col(Project.name)))).all()
    )
    portfolio = await load_plans(session, projects, since=since)
    ids = [p.id for p in projects]

    current = _current_updates(ids)
    totals = await session.exec(
        select(current.c.measure_id, func.max(current.c.period_end), func.sum(current.c.value))
        .where(current.c.rank == 1)
        .group_by(current.c.measure_id)
    )
    for measure_id, reported_to, total in totals.all():
        portfolio.facts[measure_id] = MeasureFacts(reported=frozenset([reported_to]), total=total)

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
        facts = portfolio.facts.setdefault(measure_id, MeasureFacts())
        facts.latest_valued = (period_end, value)
        facts.recovery_action = recovery

    changed = await session.exec(
        select(col(Measure.project_id), func.count())
        .join(ProgressUpdate, col(ProgressUpdate.measure_id) == col(Measure.id))
        .where(col(Measure.project_id).in_(ids), col(Measure.retired_at).is_(None), col(ProgressUpdate.created_at) >= since)
        .group_by(col(Measure.project_id))
    )
    portfolio.updates_since = dict(changed.all())
    return portfolio


async def get_digest_config(session: AsyncSession, *, workspace_id: int) -> DigestConfig | None:
    return (await session.exec(select(DigestConfig).where(col(DigestConfig.workspace_id) == workspace_id))).first()


async def list_digest_configs(session: AsyncSession) -> list[DigestConfig]:
    return list(
        (await session.exec(select(DigestConfig).where(col(DigestConfig.enabled), col(DigestConfig.channel_id).is_not(None)))).all()
    )


async def latest_digest(session: AsyncSession, *, workspace_id: int, before_week: str) -> Digest | None:
    found = await session.exec(
        select(Digest)
        .where(col(Digest.workspace_id) == workspace_id, col(Digest.week) < before_week)
        .order_by(col(Digest.week).desc())
        .limit(1)
    )
    return found.first()

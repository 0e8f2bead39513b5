"""A project as it was known at a moment. `status --on` a past day and the digest of a past week
count only what was recorded by then: the answers and progress updates stored up to that
moment, the communities and measures in the plan at the time, and the plan's columns as they
stood (a target raised since is read as the old target)."""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from flows.conversation.engine import Flow, FlowState, load_state
from flows.conversation.inputs import InputKind
from flows.coverage import Coverage, coverage
from flows.handover import HANDOVER
from flows.plan import PLAN, ToColumn
from flows.progress.status import MeasureStatus, project_status, statuses_of
from storage.answers import AnswerKey, answer_history
from storage.models import Answer, Community, Measure, Need, ProgressUpdate, Project, utcnow
from storage.progress import current_updates
from storage.projects import Item, list_communities, list_measures, list_needs

FLOWS: tuple[Flow, ...] = (PLAN, HANDOVER)


def in_plan_at(rows: Iterable[Item], moment: datetime) -> list[Any]:
    """The rows that were in the plan then: made by then, and not yet removed."""
    return [row for row in rows if row.created_at <= moment and (row.retired_at is None or row.retired_at > moment)]


def answers_at(history: Iterable[Answer], moment: datetime) -> dict[AnswerKey, Answer]:
    """Each answer's version as it stood then (history ordered by version)."""
    return {(a.question, a.field, a.subject): a for a in history if a.created_at <= moment}


def known_at(
    project: Project,
    communities: list[Community],
    measures: list[Measure],
    now: dict[AnswerKey, Answer],
    then: dict[AnswerKey, Answer],
    moment: datetime,
    needs: list[Need],
) -> FlowState:
    """The plan as it stood at `moment`, from every community, need and measure there ever
    was, and the answers current now and then. Only a column whose answer changed since is put
    back, so a moment after the latest answer reads the rows as they are."""
    communities = in_plan_at(communities, moment)
    measures = in_plan_at(measures, moment)
    changed: dict[tuple[str, str, str], tuple[Answer | None, Any]] = {}  # (table, subject, attribute) -> its answer then
    for flow in FLOWS:
        for step in flow.steps:
            if not isinstance(step.store, ToColumn):
                continue
            subjects = [m.key for m in measures] if step.for_each else [""]
            for subject in subjects:
                key = (step.question, step.field, subject)
                if _id(now.get(key)) == _id(then.get(key)):
                    continue
                table, attribute = step.store.table, step.store.attribute
                answer = then.get(key)
                value = None if answer is None else _column_value(step.kind, answer.value)
                if answer is None and step.default is not None:
                    continue  # never answered then: the column's default (a catalogue measure's kind) stood
                known = changed.get((table, subject, attribute))
                if known is None or (answer is not None and (known[0] is None or answer.created_at > known[0].created_at)):
                    changed[(table, subject, attribute)] = (answer, value)  # two steps may fill one column: the later stood
    if changed:  # copies: the rows read stay as they are
        project = Project.model_validate(project.model_dump())
        measures = [Measure.model_validate(m.model_dump()) for m in measures]
        by_key = {m.key: m for m in measures}
        for (table, subject, attribute), (_, value) in changed.items():
            row = project if table == "project" else by_key.get(subject)
            if row is not None:
                setattr(row, attribute, value)
    return FlowState(project, communities, measures, then, in_plan_at(needs, moment))


def _id(answer: Answer | None) -> int | None:
    return None if answer is None else answer.id


def _column_value(kind: InputKind, value: Any) -> Any:
    """A stored answer (JSON) as its column holds it."""
    return date.fromisoformat(value) if kind == InputKind.DATE and isinstance(value, str) else value


async def state_at(db: AsyncSession, project: Project, moment: datetime) -> tuple[FlowState, dict[int, list[ProgressUpdate]]]:
    """One project's plan and current updates as they were known at `moment`."""
    history = await answer_history(db, project_id=project.id)
    state = known_at(
        project,
        await list_communities(db, project_id=project.id, retired=True),
        await list_measures(db, project_id=project.id, retired=True),
        answers_at(history, datetime.max.replace(tzinfo=moment.tzinfo)),
        answers_at(history, moment),
        moment,
        await list_needs(db, project_id=project.id, retired=True),
    )
    return state, await current_updates(db, project_id=project.id, as_of=moment)


async def status_on(db: AsyncSession, project: Project, day: date) -> list[MeasureStatus]:
    """Every measure's status on `day`: for a past day, as it was known at the end of that day
    (UTC); for today or a day ahead, from everything recorded."""
    if day >= utcnow().date():
        return await project_status(db, project, day)
    state, updates = await state_at(db, project, datetime.combine(day, time.max, tzinfo=UTC))
    return statuses_of(state, updates, day)


async def coverage_on(db: AsyncSession, project: Project, day: date) -> Coverage:
    """Which needs the plan answered on `day`, as known at the end of it (from everything
    recorded, for today or a day ahead)."""
    if day >= utcnow().date():
        return coverage(await load_state(db, project))
    state, _ = await state_at(db, project, datetime.combine(day, time.max, tzinfo=UTC))
    return coverage(state)

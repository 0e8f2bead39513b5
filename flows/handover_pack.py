"""The strategic handover pack: the plan, its evidence and its legacy, for the next custodians.

Shaped like a legacy close-out report (Tideway's): per measure what was achieved, partly
achieved or not, what was learned, what is left to do and who owns it after handover.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from flows.case_studies import Shown, project_case_studies
from flows.conversation.engine import load_state
from flows.conversation.presenting import describe
from flows.coverage import Coverage, answered_needs, coverage, is_whole
from flows.handover import HANDOVER
from flows.people import people_names
from flows.plan import PLAN
from flows.progress.status import MeasureStatus, measure_plan, measure_status
from flows.ratings import BELOW_GOOD, Rating
from flows.schedules import AFTERCARE_YEARS
from prompts import MarkupKind, render
from storage.answers import answer_history
from storage.flow_sessions import list_flow_sessions
from storage.models import Answer, Measure, Project, SessionStatus
from storage.portable import export_project
from storage.progress import current_updates

FULL_HISTORY_LIMIT = 40  # more updates than this are summarised per quarter (the JSON keeps all)
CHART_WIDTH, CHART_HEIGHT = 320, 120


@dataclass
class MeasureSection:
    measure: Measure
    needs: list[str]  # the needs it answers, as "need (community)"
    whole: bool  # it serves the project as a whole
    status: MeasureStatus
    history: list[dict[str, Any]]  # every current update, oldest first
    quarters: list[dict[str, Any]] | None  # the history per quarter, when it is long
    chart: dict[str, Any] | None  # SVG polylines: the values and the line to target
    closeout: str  # achieved, partly_achieved, not_achieved
    continues: bool
    aftercare_years: float
    aftercare_owner: str | None


@dataclass
class HandoverPack:
    project: Project
    generated_on: date
    answers: dict[str, str]  # plan and handover answers as read, by step key
    drivers: str | None
    coverage: Coverage
    measures: list[MeasureSection]
    unanswered: list[str]
    open_measures: list[dict[str, Any]]
    history: list[dict[str, Any]] = field(default_factory=list)
    case_studies: list[Shown] = field(default_factory=list)  # every one of the project's, each marked with its consent
    people: dict[str, str] = field(default_factory=dict)  # Slack user id -> name: files name people


def _closeout(status: MeasureStatus) -> str:
    percent = status.percent_of_target
    if percent is not None and percent >= 100:
        return "achieved"
    return "partly_achieved" if percent else "not_achieved"


def _chart(status: MeasureStatus, history: list[dict[str, Any]]) -> dict[str, Any] | None:
    line = status.plan.line
    points = [(h["period_end"], h["value"]) for h in history if h["value"] is not None]
    if line is None or not points:
        return None
    first = min(line.baseline_date, points[0][0])
    last = max(line.target_date, points[-1][0])
    low = min([line.baseline, line.target, *[v for _, v in points]])
    high = max([line.baseline, line.target, *[v for _, v in points]])
    span_days = max((last - first).days, 1)
    span_value = (high - low) or 1

    def xy(day: date, value: float) -> tuple[float, float]:
        x = (day - first).days / span_days * CHART_WIDTH
        return round(x, 1), round(CHART_HEIGHT - (value - low) / span_value * CHART_HEIGHT, 1)

    def joined(pairs: Iterable[tuple[float, float]]) -> str:
        return " ".join(f"{x},{y}" for x, y in pairs)

    dots = [xy(day, value) for day, value in points]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "target": joined([xy(line.baseline_date, line.baseline), xy(line.target_date, line.target)]),
        "points": joined(dots),
        "dots": dots[-60:],  # the latest values marked, so a single one shows too
    }


def _quarters(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_quarter: dict[str, dict[str, Any]] = {}
    for row in history:
        day = row["period_end"]
        key = f"{day.year} Q{(day.month - 1) // 3 + 1}"
        quarter = by_quarter.setdefault(key, {"quarter": key, "updates": 0, "last": None})
        quarter["updates"] += 1
        if row["value"] is not None:
            quarter["last"] = row["value"]
    return list(by_quarter.values())


async def build_pack(db: AsyncSession, project: Project, today: date) -> HandoverPack:
    state = await load_state(db, project)
    updates = await current_updates(db, project_id=project.id)
    communities = {c.id: c.name for c in state.communities}
    plan_coverage = coverage(state)
    answers = {}
    unanswered = []
    for flow in (PLAN, HANDOVER):
        for instance in flow.instances(state):
            if instance.step.kind == "list":
                continue
            value = state.value(instance.step.key, instance.subject)
            key = instance.id
            if value is None and instance.default(state) is not None:
                shown = describe(instance, state, instance.default(state))
                answers[key] = render("flow.j2:by_default", MarkupKind.TEXT, value=shown)
            elif value is None:
                if flow is PLAN:
                    label = render(instance.step.prompt + "_label", MarkupKind.TEXT)
                    unanswered.append(f"{label} ({state.subject_name(instance.subject)})" if instance.subject else label)
            else:
                answers[key] = describe(instance, state, value)
    sections, open_measures = [], []
    for measure in state.measures:
        current = updates.get(measure.id, [])
        status = measure_status(measure_plan(state, measure), current, today)
        history = [
            {
                "period_end": u.period_end,
                "value": u.value,
                "note": u.note,
                "author": u.author,
                "version": u.version,
                "evidence": u.evidence_url,
                "review": u.review,
                "recovery": u.recovery_action,
                "other": u.other_reason,
            }
            for u in current
        ]
        years = state.value("handover.aftercare_years", measure.key)
        sections.append(
            MeasureSection(
                measure=measure,
                needs=[
                    f"{n.name} ({communities[n.community_id]})" for n in answered_needs(state, measure) if n.community_id in communities
                ],
                whole=is_whole(measure),
                status=status,
                history=history,
                quarters=_quarters(history) if len(history) > FULL_HISTORY_LIMIT else None,
                chart=_chart(status, history),
                closeout=_closeout(status),
                continues=state.value("handover.continues", measure.key) is not False,
                aftercare_years=AFTERCARE_YEARS if years is None else years,
                aftercare_owner=state.value("handover.aftercare_owner", measure.key),
            )
        )
        if status.rating == Rating.OVERDUE or status.rating in BELOW_GOOD or not measure.owner or status.gaps:
            open_measures.append({"measure": measure.name, "rating": status.rating.value, "owner": measure.owner, "gaps": status.gaps})
    history = [
        {
            "question": a.question,
            "field": a.field,
            "subject": a.subject,
            "value": a.value,
            "author": a.author,
            "at": a.created_at,
            "version": a.version,
        }
        for a in sorted(await answer_history(db, project_id=project.id), key=_chronological)
    ]
    return HandoverPack(
        project=project,
        generated_on=today,
        answers=answers,
        drivers=answers.get("why.drivers"),
        coverage=plan_coverage,
        measures=sections,
        unanswered=unanswered,
        open_measures=open_measures,
        history=history,
        case_studies=await project_case_studies(db, project),
        people=await people_names(db, project.workspace_id),
    )


def _chronological(answer: Answer) -> tuple[datetime, int]:
    return (answer.created_at, answer.id)


FORMATS = {"md": ("handover/pack.md.j2", MarkupKind.MARKDOWN), "html": ("handover/pack.html.j2", MarkupKind.HTML)}


async def handover_document(db: AsyncSession, project: Project, fmt: str, today: date) -> str:
    """The pack as Markdown, HTML, or JSON (the project export, which the next custodian imports)."""
    if fmt == "json":
        return json.dumps(await export_project(db, project), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    template, markup = FORMATS[fmt]
    pack = await build_pack(db, project, today)
    return render(template, markup, pack=pack, people=pack.people) + "\n"


async def handover_started(db: AsyncSession, project: Project) -> bool:
    """Whether the handover conversation has been had (completed once), so later packs reuse it."""
    sessions = await list_flow_sessions(db, project_id=project.id)
    return any(s.flow == HANDOVER.name and s.status == SessionStatus.COMPLETE for s in sessions)

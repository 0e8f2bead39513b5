"""The strategic handover pack: the plan, its evidence and its legacy, for the next custodians.

Shaped like a legacy close-out report (Tideway's): per measure what was achieved, partly
achieved or not, what was learned, what is left to do and who owns it after handover.
"""

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from flows.case_studies import Shown, project_case_studies
from flows.charts import Chart, progress_chart
from flows.conversation.engine import FlowState, load_state
from flows.conversation.presenting import describe
from flows.coverage import Coverage, answered_needs, coverage, is_whole
from flows.handover import HANDOVER
from flows.people import people_names
from flows.plan import CATALOGUE, PLAN
from flows.progress.status import MeasureStatus, measure_plan, measure_status
from flows.ratings import BELOW_GOOD, Rating
from flows.schedules import AFTERCARE_YEARS
from prompts import MarkupKind, catalogue, render
from storage.answers import answer_history
from storage.flow_sessions import list_flow_sessions
from storage.models import Answer, Measure, Project, SessionStatus
from storage.portable import export_project
from storage.progress import current_updates
from storage.projects import list_communities, list_measures, list_needs

FIRST_ACTIONS = 3  # the cover's "what to do first"
FULL_HISTORY_LIMIT = 40  # more updates than this are summarised per quarter (the JSON keeps all)


@dataclass
class MeasureSection:
    measure: Measure
    outcome: str | None  # its PPN 002 outcome by name, when picked from the catalogue
    needs: list[str]  # the needs it answers, as "need (community)"
    whole: bool  # it serves the project as a whole
    status: MeasureStatus
    history: list[dict[str, Any]]  # every current update, oldest first
    quarters: list[dict[str, Any]] | None  # the history per quarter, when it is long
    chart: Chart | None  # values against the planned path, with dated axes and a legend
    closeout: str  # achieved, partly_achieved, not_achieved
    continues: bool
    aftercare_years: float
    aftercare_owner: str | None


@dataclass(frozen=True)
class Commitment:
    """A measure that continues after handover, as the next owner takes it on."""

    section: "MeasureSection"
    owner: str | None  # after handover
    first_due: date | None  # the first report due after handover
    ends: date | None  # the end of its aftercare


@dataclass(frozen=True)
class EvidenceItem:
    measure: str
    period_end: date | None  # None: the plan's own evidence
    link: str
    review: str | None  # the update's approval: submitted, approved, returned
    earlier: int = 0  # links of this measure's earlier updates left out (they are in the JSON and the returns)


@dataclass(frozen=True)
class Partner:
    """An organisation or service a community's need is signposted to."""

    signposting: str
    need: str
    community: str


@dataclass(frozen=True)
class Risk:
    risk: str
    owner: str | None
    response: str | None  # what is done about it


def risks_of(text: str | None) -> list[Risk]:
    """The handover's risks as typed, one per line: risk | owner | what is done about it."""
    risks = []
    for line in (text or "").splitlines():
        parts = [part.strip() or None for part in line.split("|", 2)]
        if parts and parts[0]:
            risks.append(Risk(parts[0], *(parts[1:] + [None, None])[:2]))
    return risks


@dataclass(frozen=True)
class FirstAction:
    """One of the things the next owner must do first; `kind` names its wording."""

    kind: str  # report_overdue, name_owner, answer_gap, recover, set_reminders, answer_questions
    subject: str
    owner: str | None = None
    day: date | None = None
    detail: str | None = None


@dataclass
class HandoverPack:
    project: Project
    generated_on: date
    answers: dict[str, str]  # plan and handover answers as read, by step key
    drivers: str | None
    coverage: Coverage
    measures: list[MeasureSection]
    unanswered: list[str]
    history: list[dict[str, Any]] = field(default_factory=list)
    case_studies: list[Shown] = field(default_factory=list)  # every one of the project's, each marked with its consent
    people: dict[str, str] = field(default_factory=dict)  # Slack user id -> name: files name people
    scorecard: dict[str, int] = field(default_factory=dict)  # measures by rating
    commitments: list[Commitment] = field(default_factory=list)
    discontinued: list["MeasureSection"] = field(default_factory=list)
    evidence: list[EvidenceItem] = field(default_factory=list)
    partners: list[Partner] = field(default_factory=list)
    actions: list[FirstAction] = field(default_factory=list)  # the open items, most pressing first
    risks: list[Risk] = field(default_factory=list)
    with_history: bool = False  # the answer history as an annex

    @property
    def first_actions(self) -> list[FirstAction]:
        """The cover's "what to do first"."""
        return self.actions[:FIRST_ACTIONS]

    @property
    def closeouts(self) -> dict[str, int]:
        counts = dict.fromkeys(("achieved", "partly_achieved", "not_achieved"), 0)
        for section in self.measures:
            counts[section.closeout] += 1
        return counts


def _closeout(status: MeasureStatus) -> str:
    percent = status.percent_of_target
    if percent is not None and percent >= 100:
        return "achieved"
    return "partly_achieved" if percent else "not_achieved"


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


async def build_pack(db: AsyncSession, project: Project, today: date, *, with_history: bool = False) -> HandoverPack:
    state = await load_state(db, project)
    outcomes = {o["key"]: o["name"] for o in catalogue(CATALOGUE)["outcomes"]}
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
    sections = []
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
                outcome=outcomes.get(measure.outcome or ""),
                needs=[
                    f"{n.name} ({communities[n.community_id]})" for n in answered_needs(state, measure) if n.community_id in communities
                ],
                whole=is_whole(measure),
                status=status,
                history=history,
                quarters=_quarters(history) if len(history) > FULL_HISTORY_LIMIT else None,
                chart=progress_chart(status, history, today),
                closeout=_closeout(status),
                continues=state.value("handover.continues", measure.key) is not False,
                aftercare_years=AFTERCARE_YEARS if years is None else years,
                aftercare_owner=state.value("handover.aftercare_owner", measure.key),
            )
        )
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
    handover = project.handover_date or today
    commitments = [
        Commitment(
            section=s,
            owner=s.aftercare_owner or s.measure.owner,
            first_due=next((p.end for p in s.status.plan.schedule if p.end > handover), None),
            ends=handover + timedelta(days=round(s.aftercare_years * 365.25)),
        )
        for s in sections
        if s.continues
    ]
    return HandoverPack(
        project=project,
        generated_on=today,
        answers=answers,
        drivers=answers.get("why.drivers"),
        coverage=plan_coverage,
        measures=sections,
        unanswered=unanswered,
        history=await _labelled(db, project, state, history) if with_history else [],
        case_studies=await project_case_studies(db, project),
        people=await people_names(db, project.workspace_id),
        scorecard={r.value: sum(1 for s in sections if s.status.rating == r) for r in Rating},
        commitments=commitments,
        discontinued=[s for s in sections if not s.continues],
        evidence=_evidence(sections),
        partners=[
            Partner(n.need.signposting, n.need.name, c.community.name)
            for c in plan_coverage.communities
            for n in c.needs
            if n.need.signposting
        ],
        actions=_actions(sections, commitments, plan_coverage, unanswered),
        risks=risks_of(state.value("handover.risks")),
        with_history=with_history,
    )


def _evidence(sections: list[MeasureSection]) -> list[EvidenceItem]:
    """Every evidence link: the plan's (when its evidence is a link) and each update's, by measure
    and period; of a long history the latest, the earlier ones counted."""
    items = []
    for s in sections:
        if (s.measure.evidence or "").strip().casefold().startswith(("http://", "https://")):
            items.append(EvidenceItem(s.measure.name, None, (s.measure.evidence or "").strip(), None))
        linked = [h for h in s.history if h["evidence"]]
        shown = linked[-FULL_HISTORY_LIMIT:]
        items += [EvidenceItem(s.measure.name, h["period_end"], h["evidence"], h["review"]) for h in shown]
        if len(linked) > len(shown):
            items[-len(shown)] = dataclasses.replace(items[-len(shown)], earlier=len(linked) - len(shown))
    return items


def _actions(
    sections: list[MeasureSection], commitments: list[Commitment], plan_coverage: Coverage, unanswered: list[str]
) -> list[FirstAction]:
    """What the next owner must do, most pressing first: reports overdue, reports never made,
    measures with no owner, needs no measure answers, recoveries not agreed, open questions,
    then the reminders to set up."""
    actions = [
        FirstAction("report_overdue", c.section.measure.name, c.owner, c.section.status.overdue.end)
        for c in commitments
        if c.section.status.overdue is not None
    ]
    actions += [FirstAction("find_reports", s.measure.name, s.measure.owner, detail=str(s.status.gaps)) for s in sections if s.status.gaps]
    actions += [FirstAction("name_owner", c.section.measure.name) for c in commitments if not c.owner]
    actions += [FirstAction("answer_gap", need.name, detail=community.name) for community, need in plan_coverage.gaps]
    actions += [
        FirstAction("recover", c.section.measure.name, c.owner)
        for c in commitments
        if c.section.status.rating in BELOW_GOOD and not any(h["recovery"] for h in c.section.history[-1:])
    ]
    if unanswered:
        actions.append(FirstAction("answer_questions", unanswered[0], detail=str(len(unanswered))))
    actions += [
        FirstAction("set_reminders", c.section.measure.name, c.owner, c.first_due, c.section.measure.cadence)
        for c in commitments
        if c.first_due is not None
    ]
    return actions


async def _labelled(db: AsyncSession, project: Project, state: FlowState, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answer history with each answer's question as people read it, and whom it is about
    by name (removed communities, needs and measures too)."""
    labels = {}
    for flow in (PLAN, HANDOVER):
        for step in flow.steps:
            labels[(step.question, step.field)] = render(step.prompt + "_label", MarkupKind.TEXT)
    names = {c.key: c.name for c in await list_communities(db, project_id=project.id, retired=True)}
    names |= {n.key: n.name for n in await list_needs(db, project_id=project.id, retired=True)}
    names |= {m.key: m.name for m in await list_measures(db, project_id=project.id, retired=True)}
    return [
        {**h, "label": labels.get((h["question"], h["field"]), f"{h['question']}.{h['field']}"), "about": names.get(h["subject"], "")}
        for h in history
    ]


def _chronological(answer: Answer) -> tuple[datetime, int]:
    return (answer.created_at, answer.id)


FORMATS = {"md": ("handover/pack.md.j2", MarkupKind.MARKDOWN), "html": ("handover/pack.html.j2", MarkupKind.HTML)}


async def handover_document(db: AsyncSession, project: Project, fmt: str, today: date, *, with_history: bool = False) -> str:
    """The pack as Markdown, HTML, or JSON (the project export, which the next custodian imports,
    holding every answer version); Markdown and HTML end with the answer history `with_history`."""
    if fmt == "json":
        document = await export_project(db, project)
        document["handover"] = handover_summary(await build_pack(db, project, today))
        return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    template, markup = FORMATS[fmt]
    pack = await build_pack(db, project, today, with_history=with_history)
    return render(template, markup, pack=pack, people=pack.people) + "\n"


def handover_summary(pack: HandoverPack) -> dict[str, Any]:
    """What the Markdown and HTML packs say beyond the rows, for the JSON pack: the page at a
    glance, the registers, partners, risks and open items (rebuilt from the rows on every pack,
    and never imported)."""

    def said(macro: str, **context: Any) -> str:
        return render(f"handover/shared.j2:{macro}", MarkupKind.TEXT, pack=pack, people=pack.people, **context)

    def day(value: date | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "prepared_on": pack.generated_on.isoformat(),
        "custodian": {"name": pack.project.next_custodian, "contact": pack.answers.get("handover.contact")},
        "measures_by_rating": {rating: count for rating, count in pack.scorecard.items() if count},
        "promised_and_achieved": pack.closeouts,
        "first_actions": [said("action_text", action=action) for action in pack.first_actions],
        "commitments": [
            {
                "measure": c.section.measure.name,
                "outcome": c.section.outcome,
                "catalogue_ref": c.section.measure.catalogue_ref,
                "commitment": said("commitment_text", c=c),
                "owner": c.owner,
                "cadence": said("cadence_text", cadence=c.section.measure.cadence),
                "first_due": day(c.first_due),
                "aftercare_ends": day(c.ends),
                "target": c.section.measure.target_value,
                "unit": c.section.measure.unit,
                "done": said("done_text", section=c.section),
            }
            for c in pack.commitments
        ],
        "not_continued": [{"measure": s.measure.name, "closeout": s.closeout, "rating": s.status.rating.value} for s in pack.discontinued],
        "evidence": [
            {"measure": e.measure, "period_end": day(e.period_end), "link": e.link, "approval": e.review, "earlier": e.earlier}
            for e in pack.evidence
        ],
        "partners": [{"signposting": p.signposting, "need": p.need, "community": p.community} for p in pack.partners],
        "risks": [{"risk": r.risk, "owner": r.owner, "response": r.response} for r in pack.risks],
        "open_items": [said("action_text", action=action) for action in pack.actions],
    }


async def handover_started(db: AsyncSession, project: Project) -> bool:
    """Whether the handover conversation has been had (completed once), so later packs reuse it."""
    sessions = await list_flow_sessions(db, project_id=project.id)
    return any(s.flow == HANDOVER.name and s.status == SessionStatus.COMPLETE for s in sessions)

"""The plan flow: the steering group's five guiding questions, one prompt at a time.

why -> what -> how -> how_long -> monitoring. Each step's wording is the macro of the same
name in prompts/plan/<question>.j2; its key is stored with every answer, so never rename one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from flows.conversation.engine import Flow, FlowState, Step
from flows.conversation.inputs import (
    CadenceGiven,
    ChannelGiven,
    Choice,
    ChoiceGiven,
    ChoicesGiven,
    DateGiven,
    InputKind,
    ItemsGiven,
    NeedsGiven,
    NumberGiven,
    ProfileGiven,
    TextGiven,
    ThresholdsGiven,
    YesNoGiven,
)
from flows.coverage import WHOLE_PROJECT
from flows.measure_table import paste_measures
from flows.outbox import OutboxJob, PlanSummary, SummaryRevised
from flows.ratings import Kind
from prompts import MarkupKind, catalogue, render, vocabulary
from storage.jobs import drop_reminders, posted_summary
from storage.models import Community, Measure, Need, Project, column_lengths
from storage.projects import add_community, add_measure, add_need, list_measures, name_key, restore, retire

CATALOGUE = "ppn002-2025"
MAX_LEGACY_YEARS = 50
# What one plan holds: a major scheme has 15-20 measures and a handful of communities. Every
# summary, status and reminder pass grows with these, so they are bounded.
MAX_COMMUNITIES = 30
MAX_NEEDS = 100  # across the communities: one menu of Slack's (100 options) offers them all
MAX_OWN_MEASURES = 50  # besides the catalogue's picks (18 at most)
COMMUNITY_FIELDS = ("name", "place", "who")
NEED_FIELDS = ("name", "evidence", "signposting")
MEASURE_FIELDS = ("name", "unit", "framework_code", "framework_name")


# -- choices ---------------------------------------------------------------------------------


def fixed(name: str) -> Callable[[FlowState, str], list[Choice]]:
    def choices(_state: FlowState, _subject: str) -> list[Choice]:
        return [Choice(c["value"], c["label"]) for c in vocabulary()[name]]

    return choices


def outcome_choices(_state: FlowState, _subject: str) -> list[Choice]:
    return [Choice(o["key"], o["name"]) for o in catalogue(CATALOGUE)["outcomes"]]


def catalogue_measure_choices(state: FlowState, _subject: str) -> list[Choice]:
    """The example measures of the chosen outcomes, and any picked before the outcomes changed."""
    outcomes = state.value("what.outcomes") or []
    picked = state.value("what.catalogue_measures") or []
    return [
        Choice(m["ref"], f"{m['name']} ({m['unit']})")
        for m in catalogue(CATALOGUE)["measures"]
        if m["outcome"] in outcomes or m["ref"] in picked
    ]


def kind_choices(state: FlowState, subject: str) -> list[Choice]:
    """How a measure's values add up, the one usual for it first (its catalogue entry's kind)."""
    kinds = fixed("measure_kinds")(state, subject)
    usual = state.measure(subject).kind if subject else Kind.TOTAL
    return sorted(kinds, key=lambda choice: choice.value != usual)


def need_choices(state: FlowState, _subject: str) -> list[Choice]:
    """Every need of every community ("Chaddesden residents: safe crossings"), then the project
    as a whole."""
    names = {c.id: c.name for c in state.communities}
    needs = [Choice(n.key, f"{names[n.community_id]}: {n.name}") for n in state.needs if n.community_id in names]
    return needs + fixed("whole_project")(state, "")


# -- conditions and validation context -----------------------------------------------------


def project_channel(state: FlowState, _subject: str) -> list[Choice]:
    """The project's channel, offered first where updates are posted."""
    channel = state.project.channel_id
    return [Choice(channel, render("plan/monitoring.j2:project_channel_choice", MarkupKind.TEXT))] if channel else []


def other_driver(state: FlowState, _subject: str) -> bool:
    return "other" in (state.value("why.drivers") or [])


def outcomes_chosen(state: FlowState, _subject: str) -> bool:
    return bool(state.value("what.outcomes"))


def need_names(state: FlowState, _subject: str) -> dict[str, Any]:
    """What a typed name means: the needs worded so, or a community's name for all its needs."""
    groups: dict[str, list[str]] = {}
    for community in state.communities:
        needs = state.needs_of(community)
        groups[name_key(community.name)] = [n.key for n in needs]
        for need in needs:
            groups.setdefault(name_key(need.name), []).append(need.key)
    return {"groups": {name: keys for name, keys in groups.items() if keys}}


def has_needs(state: FlowState, _subject: str) -> bool:
    return bool(state.needs)


def custom_thresholds(state: FlowState, _subject: str) -> bool:
    return state.value("monitoring.default_thresholds") is False


def measure_unit(state: FlowState, subject: str) -> dict[str, Any]:
    return {"unit": state.measure(subject).unit}


def usual_kind(state: FlowState, subject: str) -> str:
    return state.measure(subject).kind


def measure_profile(state: FlowState, subject: str) -> list[Any]:
    return state.measure(subject).profile or []


def not_milestone(state: FlowState, subject: str) -> bool:
    """Milestones run from none done to all done: they have no baseline or target value."""
    return state.measure(subject).kind != Kind.MILESTONE


def profile_bounds(state: FlowState, subject: str) -> dict[str, Any]:
    measure = state.measure(subject)
    return {
        "unit": measure.unit,
        "milestones": measure.kind == Kind.MILESTONE,
        "not_before": measure.baseline_date,
        "not_after": measure.target_date,
    }


def after_baseline(state: FlowState, subject: str) -> dict[str, Any]:
    baseline = state.measure(subject).baseline_date
    return {"not_before": baseline} if baseline else {}


def after_completion(state: FlowState, _subject: str) -> dict[str, Any]:
    completion = state.project.planned_completion
    return {"not_before": completion} if completion else {}


def communities(state: FlowState, _subject: str) -> list[Community]:
    return state.communities


def needs_of(state: FlowState, subject: str) -> list[Need]:
    return state.needs_of(state.community(subject))


def own_measures(state: FlowState, _subject: str) -> list[Measure]:
    return [m for m in state.measures if not m.catalogue_ref]


def needs_still_answered(state: FlowState, value: Any) -> bool:
    """A measure still answers a need in the plan (or the project as a whole): one whose needs
    were all removed is asked again."""
    return isinstance(value, list) and bool(set(value) & ({n.key for n in state.needs} | {WHOLE_PROJECT}))


def community_room(state: FlowState, _subject: str) -> dict[str, Any]:
    return {
        "room": MAX_COMMUNITIES - len(state.communities),
        "most": MAX_COMMUNITIES,
        "lengths": column_lengths(Community, COMMUNITY_FIELDS),
        "taken": [c.name for c in state.communities],  # a community is named once
    }


def need_room(state: FlowState, subject: str) -> dict[str, Any]:
    return {
        "room": MAX_NEEDS - len(state.needs),
        "most": MAX_NEEDS,
        "lengths": column_lengths(Need, NEED_FIELDS),
        "taken": [n.name for n in needs_of(state, subject)],  # a need is named once per community
    }


def measure_room(state: FlowState, subject: str) -> dict[str, Any]:
    return {
        "room": MAX_OWN_MEASURES - len(own_measures(state, subject)),
        "most": MAX_OWN_MEASURES,
        "lengths": column_lengths(Measure, MEASURE_FIELDS),
    }


def legacy_years(_state: FlowState, _subject: str) -> dict[str, Any]:
    return {"unit": "years", "maximum": MAX_LEGACY_YEARS}


# -- where values are stored besides the answer history ---------------------------------------


@dataclass(frozen=True)
class ToColumn:
    """An answer kept in a column of the project, or of the step's measure, as well as in the
    history (so a snapshot of a past moment can put the column back as it was then). A value
    its reporting periods depend on `reschedules`: when it changes, the reminders queued for the
    old periods are dropped (planning queues the new ones)."""

    table: str  # "project" or "measure"
    attribute: str
    reschedules: bool = False

    async def __call__(self, db: AsyncSession, state: FlowState, subject: str, value: Any, _author: str) -> None:
        row: Project | Measure = state.project if self.table == "project" else state.measure(subject)
        if self.reschedules and isinstance(row, Measure) and getattr(row, self.attribute) not in (None, value):
            await drop_reminders(db, measure_id=row.id, why=f"the measure's {self.attribute} changed")  # a first answer has none
        setattr(row, self.attribute, value)
        db.add(row)


def to_project(attribute: str) -> ToColumn:
    return ToColumn("project", attribute)


def to_measure(attribute: str) -> ToColumn:
    return ToColumn("measure", attribute)


def to_schedule(attribute: str) -> ToColumn:
    return ToColumn("measure", attribute, reschedules=True)


async def new_communities(db: AsyncSession, state: FlowState, _subject: str, items: list[dict[str, Any]], _author: str) -> list[str]:
    return [(await add_community(db, project_id=state.project.id, **item)).key for item in items]


async def new_needs(db: AsyncSession, state: FlowState, subject: str, items: list[dict[str, Any]], _author: str) -> list[str]:
    community = state.community(subject)
    return [(await add_need(db, project_id=state.project.id, community_id=community.id, **item)).key for item in items]


async def new_measures(db: AsyncSession, state: FlowState, _subject: str, items: list[dict[str, Any]], _author: str) -> list[str]:
    return [(await add_measure(db, project_id=state.project.id, **item)).key for item in items]


async def catalogue_measures(db: AsyncSession, state: FlowState, _subject: str, refs: list[str], author: str) -> None:
    """The plan's catalogue measures are the picked entries: one is added for a new pick, one
    deselected is retired (kept, with its answers and updates), one picked again is restored."""
    have = {m.catalogue_ref: m for m in await list_measures(db, project_id=state.project.id, retired=True) if m.catalogue_ref}
    for entry in catalogue(CATALOGUE)["measures"]:
        ref = f"{CATALOGUE}/{entry['ref']}"
        measure = have.get(ref)
        if measure is not None and entry["ref"] not in refs and measure.retired_at is None:
            await retire(db, measure, by=author)
        elif measure is not None and entry["ref"] in refs and measure.retired_at is not None:
            await restore(db, measure)
        elif measure is None and entry["ref"] in refs:
            await add_measure(
                db,
                project_id=state.project.id,
                name=entry["name"],
                unit=entry["unit"],
                catalogue_ref=ref,
                outcome=entry["outcome"],
                kind=entry.get("kind", Kind.TOTAL),
            )


async def post_summary(db: AsyncSession, state: FlowState, user: str, now: datetime) -> list[OutboxJob]:
    """The plan complete: its summary goes to the project's channel, if it has one; a plan
    completed again (a question a correction left open, answered) brings up to date the
    summary already there rather than posting a second."""
    if not state.project.channel_id:
        return []
    if await posted_summary(db, project_id=state.project.id) is not None:
        again = render("flow.j2:completed_again", MarkupKind.TEXT)
        return [SummaryRevised(project_id=state.project.id, changed_by=user, changed_at=now.isoformat(), changes=[again])]
    return [PlanSummary(project_id=state.project.id, completed_by=user, completed_at=now.isoformat())]


# -- the flow -----------------------------------------------------------------------------------

PLAN = Flow(
    name="plan",
    version=1,
    questions=("why", "what", "how", "how_long", "monitoring"),
    on_complete=post_summary,
    steps=(
        Step("why.purpose", InputKind.TEXT, TextGiven, "plan/why.j2:purpose"),
        Step("why.drivers", InputKind.MULTIPLE_CHOICE, ChoicesGiven, "plan/why.j2:drivers", choices=fixed("drivers")),
        Step(
            "why.drivers_other",
            InputKind.TEXT,
            TextGiven,
            "plan/why.j2:drivers_other",
            condition=other_driver,
        ),
        Step("why.client", InputKind.TEXT, TextGiven, "plan/why.j2:client", store=to_project("client_organisation")),
        Step(
            "why.communities",
            InputKind.LIST,
            ItemsGiven,
            "plan/why.j2:communities",
            store=new_communities,
            item_fields=COMMUNITY_FIELDS,
            items=communities,
            context=community_room,
        ),
        Step(
            "why.needs",
            InputKind.LIST,
            ItemsGiven,
            "plan/why.j2:needs",
            for_each="community",
            store=new_needs,
            item_fields=NEED_FIELDS,
            items=needs_of,
            context=need_room,
        ),
        Step("what.outcomes", InputKind.MULTIPLE_CHOICE, ChoicesGiven, "plan/what.j2:outcomes", choices=outcome_choices),
        Step(
            "what.catalogue_measures",
            InputKind.MULTIPLE_CHOICE,
            ChoicesGiven,
            "plan/what.j2:catalogue_measures",
            choices=catalogue_measure_choices,
            condition=outcomes_chosen,
            store=catalogue_measures,
        ),
        Step(
            "what.own_measures",
            InputKind.LIST,
            ItemsGiven,
            "plan/what.j2:own_measures",
            store=new_measures,
            item_fields=MEASURE_FIELDS,
            items=own_measures,
            table=paste_measures,
            context=measure_room,
            required_fields=2,
        ),
        Step(
            "what.needs",
            InputKind.MULTIPLE_CHOICE,
            NeedsGiven,
            "plan/what.j2:needs",
            for_each="measure",
            choices=need_choices,
            context=need_names,
            condition=has_needs,
            store=to_measure("needs"),
            still_valid=needs_still_answered,
        ),
        Step("how.method", InputKind.TEXT, TextGiven, "plan/how.j2:method", for_each="measure", store=to_measure("method")),
        Step(
            "how.data_source",
            InputKind.TEXT,
            TextGiven,
            "plan/how.j2:data_source",
            for_each="measure",
            store=to_measure("data_source"),
        ),
        Step(
            "how.kind",
            InputKind.SINGLE_CHOICE,
            ChoiceGiven,
            "plan/how.j2:kind",
            for_each="measure",
            choices=kind_choices,
            store=to_measure("kind"),
            default=usual_kind,
        ),
        Step(
            "how.baseline_value",
            InputKind.NUMBER,
            NumberGiven,
            "plan/how.j2:baseline_value",
            for_each="measure",
            context=measure_unit,
            condition=not_milestone,
            store=to_measure("baseline_value"),
        ),
        Step(
            "how.baseline_date",
            InputKind.DATE,
            DateGiven,
            "plan/how.j2:baseline_date",
            for_each="measure",
            store=to_schedule("baseline_date"),
        ),
        Step(
            "how.target_value",
            InputKind.NUMBER,
            NumberGiven,
            "plan/how.j2:target_value",
            for_each="measure",
            context=measure_unit,
            condition=not_milestone,
            store=to_measure("target_value"),
        ),
        Step(
            "how.target_date",
            InputKind.DATE,
            DateGiven,
            "plan/how.j2:target_date",
            for_each="measure",
            context=after_baseline,
            store=to_schedule("target_date"),
        ),
        Step(
            "how.profile",
            InputKind.PROFILE,
            ProfileGiven,
            "plan/how.j2:profile",
            for_each="measure",
            context=profile_bounds,
            store=to_measure("profile"),
            default=measure_profile,
        ),
        Step("how.evidence", InputKind.TEXT, TextGiven, "plan/how.j2:evidence", for_each="measure", store=to_measure("evidence")),
        Step("how.owner", InputKind.TEXT, TextGiven, "plan/how.j2:owner", for_each="measure", store=to_measure("owner"), person=True),
        Step("how_long.phases", InputKind.MULTIPLE_CHOICE, ChoicesGiven, "plan/how_long.j2:phases", choices=fixed("phases")),
        Step(
            "how_long.current_phase",
            InputKind.SINGLE_CHOICE,
            ChoiceGiven,
            "plan/how_long.j2:current_phase",
            choices=fixed("phases"),
            store=to_project("phase"),
        ),
        Step(
            "how_long.completion_date",
            InputKind.DATE,
            DateGiven,
            "plan/how_long.j2:completion_date",
            store=to_project("planned_completion"),
        ),
        Step(
            "how_long.handover_date",
            InputKind.DATE,
            DateGiven,
            "plan/how_long.j2:handover_date",
            context=after_completion,
            store=to_project("handover_date"),
        ),
        Step("how_long.legacy_years", InputKind.NUMBER, NumberGiven, "plan/how_long.j2:legacy_years", context=legacy_years),
        Step(
            "how_long.next_custodians",
            InputKind.TEXT,
            TextGiven,
            "plan/how_long.j2:next_custodians",
            store=to_project("next_custodian"),
        ),
        Step("how_long.inheritance", InputKind.TEXT, TextGiven, "plan/how_long.j2:inheritance"),
        Step(
            "monitoring.cadence",
            InputKind.SINGLE_CHOICE,
            CadenceGiven,
            "plan/monitoring.j2:cadence",
            for_each="measure",
            choices=fixed("cadences"),
            store=to_schedule("cadence"),
        ),
        Step("monitoring.reminded", InputKind.MULTIPLE_CHOICE, ChoicesGiven, "plan/monitoring.j2:reminded", choices=fixed("reminded")),
        Step(
            "monitoring.updates_posted",
            InputKind.CHANNEL,
            ChannelGiven,
            "plan/monitoring.j2:updates_posted",
            choices=project_channel,
        ),
        Step("monitoring.default_thresholds", InputKind.YES_NO, YesNoGiven, "plan/monitoring.j2:default_thresholds"),
        Step(
            "monitoring.thresholds",
            InputKind.TEXT,
            ThresholdsGiven,
            "plan/monitoring.j2:thresholds",
            condition=custom_thresholds,
        ),
        Step("monitoring.review_points", InputKind.TEXT, TextGiven, "plan/monitoring.j2:review_points"),
    ),
)

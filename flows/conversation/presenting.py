"""Answers as people read them: one value described, and the whole plan summarised."""

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from flows.conversation.engine import Flow, FlowState, StepInstance
from flows.conversation.inputs import InputKind, channel_of
from flows.coverage import answered_needs, coverage, is_whole
from prompts import MarkupKind, format_date, format_number, format_quantity, render, slack_user_of
from storage.models import Project
from storage.portfolio import load_plans


def describe(instance: StepInstance, state: FlowState, value: Any) -> str:
    """A stored value as plain text (escaping is the job of the template it goes into)."""
    kind = instance.step.kind
    if kind in (InputKind.SINGLE_CHOICE, InputKind.MULTIPLE_CHOICE):
        labels = {c.value: c.label for c in instance.choices(state)}
        values = value if isinstance(value, list) else [value]
        return "; ".join(str(labels.get(v, v)) for v in values)
    if kind == InputKind.NUMBER:
        unit = instance.validation_context(state).get("unit", "")
        return format_quantity(value, unit)
    if kind == InputKind.DATE:
        return format_date(value)
    if kind == InputKind.YES_NO:
        return render("flow.j2:yes_no", MarkupKind.TEXT, value=value)
    if kind == InputKind.CHANNEL and channel_of(value):
        return f"#{channel_of(value)}"
    if kind == InputKind.PROFILE:
        if not value:
            return render("flow.j2:straight_line", MarkupKind.TEXT)
        return "; ".join(f"{format_date(day)} {point[1] if len(point) > 1 else format_number(point[0])}" for day, *point in value)
    if kind == InputKind.LIST:
        items = value if isinstance(value, list) else [value]
        return "; ".join(item["name"] for item in items)
    if isinstance(value, list):
        return ", ".join(format_number(v) for v in value)
    return str(value)


def summary(flow: Flow, state: FlowState, markup: str) -> str:
    """The plan summary: every current answer by question, then what is still unanswered."""
    sections: dict[str, list[dict[str, Any]]] = {question: [] for question in flow.questions}
    unanswered = []
    for instance in flow.instances(state):
        step = instance.step
        entry = {
            "label": render(step.prompt + "_label", MarkupKind.TEXT),
            "measure": state.subject_name(instance.subject) or None,
            "question": step.question,
            "person": step.person,
        }
        if not instance.settled(state):
            unanswered.append(entry)
        elif step.kind != InputKind.LIST:  # lists are shown whole, below
            answered = instance.answered(state)
            value = state.value(step.key, instance.subject) if answered else instance.default(state)
            channel = channel_of(value) if step.kind == InputKind.CHANNEL else None
            shown = describe(instance, state, value)
            if not answered:
                shown = render("flow.j2:by_default", MarkupKind.TEXT, value=shown)
            unreminded = step.person and bool(state.project.channel_id) and slack_user_of(value) is None
            sections[step.question].append({**entry, "value": shown, "channel": channel, "unreminded": unreminded})
    return render(
        flow.summary,
        markup,
        project=state.project,
        sections=sections,
        unanswered=unanswered,
        coverage=coverage(state),
        measures=[{"measure": m, "needs": [n.name for n in answered_needs(state, m)], "whole": is_whole(m)} for m in state.measures],
    )


def completion(flow: Flow, state: FlowState) -> tuple[int, int]:
    """(answered, total) over the questions that apply now."""
    instances = flow.instances(state)
    return sum(1 for i in instances if i.settled(state)), len(instances)


@dataclass(frozen=True)
class EditTarget:
    """One form of the plan: a guiding question, or for "how" one measure of it; or one item of
    a list (a community, an own measure: change or remove it), or new items for a list."""

    question: str
    subject: str = ""
    measure: str = ""  # the measure's (or the item's) name
    fields: int = 0  # how many answers the form holds (a surface may split a long form)
    item: str = ""  # "edit": the item `subject` of the question's list; "add": new items for it
    list_label: str = ""  # the list's name, for an item's form


@dataclass(frozen=True)
class Overview:
    summary: str
    answered: int
    total: int
    edit_targets: tuple[EditTarget, ...]


def edit_targets(flow: Flow, state: FlowState) -> tuple[EditTarget, ...]:
    """One form per guiding question, and per measure for a question asked of each measure."""
    targets: list[EditTarget] = []
    counts: Counter[tuple[str, str]] = Counter()
    for instance in flow.instances(state):
        if instance.step.kind != InputKind.LIST:  # as editing.edit_form counts them
            counts[(instance.step.question, "")] += 1
            if instance.subject:
                counts[(instance.step.question, instance.subject)] += 1
    # A per-community list (the needs) is edited with its community: `community edit`.
    lists = [i for i in flow.instances(state) if i.step.items is not None and not i.step.for_each]
    for question in flow.questions:
        if all(step.for_each for step in flow.steps if step.question == question):
            targets += [EditTarget(question, m.key, m.name, counts[(question, m.key)]) for m in state.measures]
        else:
            targets.append(EditTarget(question, fields=counts[(question, "")]))
        for instance in (i for i in lists if i.step.question == question):
            label = render(instance.step.prompt + "_label", MarkupKind.TEXT)
            items = instance.step.items(state, "") if instance.step.items else []
            targets += [EditTarget(question, item.key, item.name, item="edit", list_label=label) for item in items]
            targets.append(EditTarget(question, item="add", list_label=label))
    return tuple(targets)


def overview(flow: Flow, state: FlowState, markup: str) -> Overview:
    answered, total = completion(flow, state)
    return Overview(summary(flow, state, markup), answered, total, edit_targets(flow, state))


async def plan_completions(db: AsyncSession, flow: Flow, projects: list[Project]) -> dict[int, tuple[int, int]]:
    """(answered, total) of each project's plan, read in a fixed number of queries."""
    plans = await load_plans(db, projects)
    return {
        p.id: completion(
            flow,
            FlowState(
                p, plans.communities.get(p.id, []), plans.measures.get(p.id, []), plans.answers.get(p.id, {}), plans.needs.get(p.id, [])
            ),
        )
        for p in projects
    }

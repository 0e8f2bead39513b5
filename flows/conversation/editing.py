"""Editing a plan's answers: one guiding question at once (a Slack modal: the form, and saving
it), or step by step from a line typed (the terminal's `edit`).

Every changed answer is validated by its step's own validator and stored as a new version.
An answer changed by someone else since the form was opened is refused, visibly, so that
no edit silently overwrites another.
"""

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import to_jsonable_python
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.conversation.engine import Flow, FlowState, StepInstance, load_state
from flows.conversation.inputs import Choice, InputKind, explain
from flows.conversation.items import ItemRefused, change_item, item_line, item_number, items_of, removal_of, remove_item
from flows.conversation.presenting import describe
from flows.conversation.runner import store_answer
from prompts import MarkupKind, render, vocabulary
from storage.models import Answer, Measure, Project
from storage.progress import count_updates
from storage.projects import name_key, retired_item

FORM_TEXT_LIMIT = 3000  # Slack's plain_text_input holds at most this many characters


@dataclass(frozen=True)
class FormField:
    id: str  # the step instance id, also the block id in the form
    label: str
    kind: InputKind
    choices: tuple[Choice, ...]
    value: Any  # the current stored value, or None
    text: str  # the current value as one would type it
    version: int  # of the current answer; 0 when unanswered
    editable: bool  # False when the answer is too long for a form field


class EditRefused(Exception):
    """Some fields were refused: {field id: one-line explanation}. Nothing was stored."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def _instances(flow: Flow, state: FlowState, question: str, subject: str) -> list[StepInstance]:
    return [
        i
        for i in flow.instances(state)
        if i.step.question == question and i.step.kind != InputKind.LIST and (not subject or i.subject == subject)
    ]


def edit_form(flow: Flow, state: FlowState, question: str, subject: str = "") -> list[FormField]:
    fields = []
    for instance in _instances(flow, state, question, subject):
        step = instance.step
        answer = state.answers.get((step.question, step.field, instance.subject))
        value = None if answer is None else answer.value
        text = "" if value is None else describe(instance, state, value)
        label = render(step.prompt + "_label", MarkupKind.TEXT)
        if instance.subject:
            label = f"{label}: {state.subject_name(instance.subject)}"
        fields.append(
            FormField(
                id=instance.id,
                label=label,
                kind=step.kind,
                choices=tuple(instance.choices(state)),
                value=value,
                text=text,
                version=0 if answer is None else answer.version,
                editable=len(text) <= FORM_TEXT_LIMIT,
            )
        )
    return fields


def change_of(instance: StepInstance, state: FlowState, value: Any) -> str:
    """One changed answer as people read it: "Reporting cadence (Local labour): Quarterly"."""
    label = render(instance.step.prompt + "_label", MarkupKind.TEXT)
    measure = state.subject_name(instance.subject)
    return render("flow.j2:change", MarkupKind.TEXT, label=label, measure=measure, value=describe(instance, state, value))


def latest_answer_id(state: FlowState) -> int:
    """What a form opened now has seen: answers are numbered in the order they are stored."""
    return max((answer.id for answer in state.answers.values()), default=0)


def _changed_since(answer: Answer, field: str, seen_versions: dict[str, int] | None, seen_up_to: int | None) -> bool:
    """Whether the answer changed after the form was opened: stored after the latest answer the
    form saw (or, for a form opened before, not at the version it showed)."""
    if seen_up_to is not None:
        return answer.id > seen_up_to
    return answer.version != (seen_versions or {}).get(field, 0)


async def save_edits(
    db: AsyncSession,
    flow: Flow,
    *,
    project: Project,
    user: str,
    question: str,
    subject: str,
    submitted: dict[str, str | None],
    seen_versions: dict[str, int] | None = None,
    seen_up_to: int | None = None,
) -> list[str]:
    """Store the changed answers in order, each checked against the answers before it.
    Returns what changed, as people read it; raises EditRefused (the caller's transaction
    rolls back)."""
    errors: dict[str, str] = {}
    changed: list[str] = []
    state = await load_state(db, project)
    for instance in _instances(flow, state, question, subject):
        raw = submitted.get(instance.id)
        if raw is None or not str(raw).strip():
            continue  # an empty field leaves the answer as it is
        context = instance.validation_context(state)
        try:
            value = instance.step.given.check(raw, context)
        except ValidationError as invalid:
            errors[instance.id] = explain(invalid, MarkupKind.TEXT)
            continue
        step = instance.step
        answer = state.answers.get((step.question, step.field, instance.subject))
        if answer is not None and answer.value == to_jsonable_python(value):
            continue
        if answer is not None and _changed_since(answer, instance.id, seen_versions, seen_up_to):
            errors[instance.id] = render("flow.j2:edited_meanwhile", MarkupKind.TEXT, author=answer.author)
            continue
        await store_answer(db, flow, state, instance, value, user)
        changed.append(change_of(instance, state, value))
        state = await load_state(db, project)
    if errors:
        raise EditRefused(errors)
    return changed


# -- step by step (the terminal) -------------------------------------------------------------

TARGET_STEPS = ("how.baseline_value", "how.baseline_date", "how.target_value", "how.target_date", "how.profile")
LIST_TARGETS = {"communities": "why.communities", "measures": "what.own_measures"}


def edit_steps(flow: Flow, state: FlowState, target: str | None) -> list[StepInstance] | None:
    """The questions `edit TARGET` asks again, in the plan's order: all of them; a guiding
    question (`how`); a step (`how.owner`, or `owner` for every measure's); a measure (`m2`, or
    its name); `communities` or `measures` (the lists); `targets`, every measure's baseline and
    target (a new custodian's operating-phase targets). None when TARGET means nothing here."""
    instances = flow.instances(state)
    if not target:
        return instances
    wanted = " ".join(target.split()).casefold()
    key = LIST_TARGETS.get(wanted, wanted)
    measures = {m.key for m in state.measures if m.key == wanted or name_key(m.name) == wanted}
    for matches in (
        lambda i: key == "targets" and i.step.key in TARGET_STEPS,
        lambda i: i.step.question == key or i.step.key == key or i.step.field == key,
        lambda i: i.subject in measures,
    ):
        chosen = [i for i in instances if matches(i)]
        if chosen:
            return chosen
    return None


@dataclass(frozen=True)
class LineEdit:
    notice: str
    error: bool = False
    again: bool = False  # the same step is asked again (a refusal, or a list: more may follow)
    item: int | None = None  # the next line replaces this item of the list (after `edit N`)


async def edit_line(
    db: AsyncSession, flow: Flow, *, project: Project, user: str, step_id: str, text: str, markup: str = MarkupKind.TEXT
) -> LineEdit:
    """One line typed at a step of `edit`: a new answer (a new version; the same answer changes
    nothing), or in a list new items, `remove N [yes]` or `edit N`."""
    state = await load_state(db, project)
    instance = next((i for i in flow.instances(state) if i.id == step_id), None)
    if instance is None:  # removed meanwhile (its measure, say)
        return LineEdit(render("flow.j2:step_gone", markup), error=True)
    if instance.step.items is not None:
        return await _list_line(db, flow, instance, state, user=user, text=text, markup=markup)
    try:
        value = instance.step.given.check(text, instance.validation_context(state))
    except ValidationError as invalid:
        return LineEdit(explain(invalid, markup), error=True, again=True)
    answer = state.answers.get((instance.step.question, instance.step.field, instance.subject))
    if answer is not None and answer.value == to_jsonable_python(value):
        return LineEdit(render("flow.j2:unchanged", markup))
    await store_answer(db, flow, state, instance, value, user)
    return LineEdit(render("flow.j2:saved", markup, value=describe(instance, state, value)))


async def _list_line(
    db: AsyncSession, flow: Flow, instance: StepInstance, state: FlowState, *, user: str, text: str, markup: str
) -> LineEdit:
    try:
        if (removal := removal_of(text)) is not None:
            notice = await remove_item(db, instance, state, number=removal.number, user=user, confirmed=removal.confirmed, markup=markup)
            return LineEdit(notice, again=True)
        if (number := item_number(text, "edit")) is not None:
            current = item_line(instance, state, number, markup)
            return LineEdit(render("flow.j2:item_replace", markup, line=current), again=True, item=number)
    except ItemRefused as refused:
        return LineEdit(refused.notice, error=True, again=True)
    try:
        items = instance.step.given.check(text, instance.validation_context(state))
    except ValidationError as invalid:
        return LineEdit(explain(invalid, markup), error=True, again=True)
    await store_answer(db, flow, state, instance, items, user)
    return LineEdit(render("flow.j2:items_added", markup, count=len(items), names=[i["name"] for i in items]), again=True)


async def replace_item(
    db: AsyncSession, flow: Flow, *, project: Project, user: str, step_id: str, number: int, text: str, markup: str = MarkupKind.TEXT
) -> LineEdit:
    """The line after `edit N`: item N as it should read."""
    state = await load_state(db, project)
    instance = next((i for i in flow.instances(state) if i.id == step_id), None)
    if instance is None:
        return LineEdit(render("flow.j2:step_gone", markup), error=True)
    try:
        return LineEdit(await change_item(db, flow, instance, state, number=number, text=text, user=user, markup=markup), again=True)
    except ItemRefused as refused:
        return LineEdit(refused.notice, error=True, again=True)


# -- one item of a list, or new items (a Slack modal) ------------------------------------------

ITEMS_FIELD, REMOVE_FIELD = "items", "remove"


def _list_of(flow: Flow, state: FlowState, question: str) -> StepInstance | None:
    return next(
        (i for i in flow.instances(state) if i.step.question == question and i.step.items is not None and not i.step.for_each), None
    )


async def item_form(db: AsyncSession, flow: Flow, state: FlowState, question: str, subject: str) -> list[FormField]:
    """The form of one item (its parts, and whether to remove it), or, without a subject, of new
    items (one per line, as in the conversation). Empty when the item is no longer in the plan."""
    listed = _list_of(flow, state, question)
    if listed is None:
        return []
    step = listed.step
    if not subject:
        label = render(step.prompt, MarkupKind.TEXT).strip()
        return [FormField(ITEMS_FIELD, label, InputKind.LIST, (), None, "", 0, True)]
    item = next((i for i in items_of(listed, state) if i.key == subject), None)
    if item is None:
        return []
    answer = state.answers.get((step.question, step.field, subject))
    version = answer.version if answer else 0
    labels = vocabulary()["item_fields"]
    fields = [
        FormField(name, labels[name], InputKind.TEXT, (), getattr(item, name), getattr(item, name) or "", version, True)
        for name in step.item_fields
    ]
    updates = await count_updates(db, measure_id=item.id) if isinstance(item, Measure) else 0
    remove = render("flow.j2:item_remove_label", MarkupKind.TEXT, updates=updates)
    return [*fields, FormField(REMOVE_FIELD, remove, InputKind.YES_NO, (), None, "", version, True)]


async def save_item_form(
    db: AsyncSession,
    flow: Flow,
    *,
    project: Project,
    user: str,
    question: str,
    subject: str,
    submitted: dict[str, str | None],
    seen_up_to: int | None,
) -> list[str]:
    """New items, or one item changed or removed (the form showed its updates, so removing a
    measure with updates there is confirmed). Returns what changed, as people read it; raises
    EditRefused when nothing was stored: an item removed or changed by someone else since the
    form was opened is refused, as a stale answer is."""
    state = await load_state(db, project)
    listed = _list_of(flow, state, question)
    if listed is None:
        raise EditRefused({ITEMS_FIELD: render("flow.j2:step_gone", MarkupKind.TEXT)})
    if not subject:
        try:
            items = listed.step.given.check(submitted.get(ITEMS_FIELD) or "", listed.validation_context(state))
        except ValidationError as invalid:
            raise EditRefused({ITEMS_FIELD: explain(invalid, MarkupKind.TEXT)}) from None
        await store_answer(db, flow, state, listed, items, user)
        return [render("flow.j2:items_added_change", MarkupKind.TEXT, label=_label(listed), names=[i["name"] for i in items])]
    first = listed.step.item_fields[0]
    items = items_of(listed, state)
    number = next((n for n, item in enumerate(items, 1) if item.key == subject), None)
    if number is None:
        gone = await retired_item(db, project_id=project.id, key=subject)
        who = {"author": gone.retired_by, "name": gone.name} if gone else {"author": "", "name": subject}
        raise EditRefused({first: render("flow.j2:item_retired_meanwhile", MarkupKind.TEXT, **who)})
    answer = state.answers.get((listed.step.question, listed.step.field, subject))
    if answer is not None and seen_up_to is not None and answer.id > seen_up_to:
        raise EditRefused({first: render("flow.j2:edited_meanwhile", MarkupKind.TEXT, author=answer.author)})
    if (submitted.get(REMOVE_FIELD) or "").casefold() == "yes":
        await remove_item(db, listed, state, number=number, user=user, confirmed=True, markup=MarkupKind.TEXT)
        return [render("flow.j2:item_removed_change", MarkupKind.TEXT, label=_label(listed), name=items_of(listed, state)[number - 1].name)]
    parts = [(submitted.get(name) or "").strip() for name in listed.step.item_fields]
    if barred := [name for name, part in zip(listed.step.item_fields, parts, strict=True) if "|" in part]:
        raise EditRefused({name: render("flow.j2:item_part_bar", MarkupKind.TEXT) for name in barred})
    item = items[number - 1]
    if parts == [getattr(item, name) or "" for name in listed.step.item_fields]:
        return []
    try:
        await change_item(db, flow, listed, state, number=number, text=" | ".join(parts).rstrip(" |"), user=user, markup=MarkupKind.TEXT)
    except ItemRefused as refused:
        raise EditRefused({first: refused.notice}) from None
    return [render("flow.j2:item_changed_change", MarkupKind.TEXT, label=_label(listed), line=" | ".join(p for p in parts if p))]


def _label(instance: StepInstance) -> str:
    return render(instance.step.prompt + "_label", MarkupKind.TEXT)

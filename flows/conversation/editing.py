"""Editing one guiding question's answers at once (a Slack modal): the form, and saving it.

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
from flows.conversation.presenting import describe
from flows.conversation.runner import store_answer
from prompts import MarkupKind, render
from storage.models import Answer, Project

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
            label = f"{label}: {state.measure(instance.subject).name}"
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
) -> int:
    """Store the changed answers in order, each checked against the answers before it.
    Returns how many changed; raises EditRefused (the caller's transaction rolls back)."""
    errors: dict[str, str] = {}
    changed = 0
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
        changed += 1
        state = await load_state(db, project)
    if errors:
        raise EditRefused(errors)
    return changed

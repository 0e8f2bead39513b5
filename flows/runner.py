"""Runs a flow one message at a time: (flow session, user input) -> stored answer + Reply.

Transport-free: the terminal and Slack both call `open_flow` and `answer_flow` inside one
transaction, and turn the neutral `Reply` into what they show.
"""

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import to_jsonable_python
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.engine import Flow, FlowState, StepInstance, load_state
from flows.inputs import Choice, InputKind
from flows.presenting import describe, summary
from prompts import MarkupKind, has_macro, render, vocabulary
from storage.answers import append_answer
from storage.flow_sessions import (
    get_or_create_flow_session,
    latest_flow_session,
    move_flow_session,
    place_flow_session,
)
from storage.models import FlowSession, Project

ASKING, PAUSED, COMPLETE = "asking", "paused", "complete"


@dataclass(frozen=True)
class Progress:
    index: int  # 1-based
    total: int


@dataclass(frozen=True)
class Reply:
    status: str  # asking, paused or complete
    text: str  # the question, or the pause note, or the plan summary
    notice: str = ""  # what was just stored, or why the input was refused
    error: bool = False  # the notice explains a refusal: nothing was stored
    help: str = ""
    show_help: bool = False  # the user asked for the help text
    kind: InputKind | None = None
    choices: tuple[Choice, ...] = ()
    progress: Progress | None = None
    step: str | None = None  # the id of the step asked, e.g. how.baseline_value:m2
    finished: bool = False  # this message completed the flow (not merely reopened a complete one)


def _command(text: str) -> str | None:
    word = text.strip().casefold()
    for command in ("skip", "back", "pause", "done", "help"):
        if word in vocabulary()["commands"][command]:
            return command
    return None


async def open_flow(
    db: AsyncSession, flow: Flow, *, project: Project, user: str, markup: str = MarkupKind.TEXT
) -> Reply:
    """Start the flow, or resume it where this user stopped (or at the first unanswered step)."""
    flow_session = await get_or_create_flow_session(db, project_id=project.id, flow=flow.name, user=user)
    state = await load_state(db, project)
    instances = flow.instances(state)
    current = _find(instances, flow_session.position)
    if current is None or flow_session.status == COMPLETE:
        current = next((i for i in instances if not i.answered(state)), None)
    if current is None:
        await move_flow_session(db, flow_session, position=None, status=COMPLETE)
        return _complete(flow, state, markup)
    await move_flow_session(db, flow_session, position=current.id, status="active")
    return _ask(flow, state, instances, current, markup)


async def answer_flow(
    db: AsyncSession,
    flow: Flow,
    *,
    project: Project,
    user: str,
    text: str,
    markup: str = MarkupKind.TEXT,
    expected_step: str | None = None,
) -> Reply:
    """Take one message from the user at the step they are on. A click on a button of an
    earlier question (`expected_step` no longer current) is refused: nothing is stored."""
    flow_session = await get_or_create_flow_session(db, project_id=project.id, flow=flow.name, user=user)
    state = await load_state(db, project)
    instances = flow.instances(state)
    current = _find(instances, flow_session.position)
    if current is None or flow_session.status == COMPLETE:
        return await open_flow(db, flow, project=project, user=user, markup=markup)
    if expected_step is not None and expected_step != current.id:
        notice = render("flow.j2:moved_on", markup)
        return _ask(flow, state, instances, current, markup, notice=notice, error=True)

    command = _command(text)
    if command == "pause":
        await move_flow_session(db, flow_session, position=current.id, status=PAUSED)
        return Reply(status=PAUSED, text=render("flow.j2:paused", markup, project=project.name))
    if command == "help":
        return _ask(flow, state, instances, current, markup, show_help=True)
    if command == "back":
        index = instances.index(current)
        if index == 0:
            notice = render("flow.j2:at_first_step", markup)
            return _ask(flow, state, instances, current, markup, notice=notice)
        return await _go(db, flow, flow_session, state, instances, instances[index - 1], markup)
    if command == "skip" or (command == "done" and current.step.kind == InputKind.LIST):
        return await _go(db, flow, flow_session, state, instances, _after(instances, current), markup)

    try:
        value = current.step.given.check(text, current.validation_context(state))
    except ValidationError as invalid:
        return _ask(flow, state, instances, current, markup, notice=explain(invalid, markup), error=True)

    subjects = await store_answer(db, flow, state, current, value, user)
    state = await load_state(db, project)
    instances = flow.instances(state)
    if current.step.kind == InputKind.LIST:
        notice = render("flow.j2:items_added", markup, count=len(subjects), names=[i["name"] for i in value])
        await move_flow_session(db, flow_session, position=current.id, status="active")
        return _ask(flow, state, instances, current, markup, notice=notice)
    notice = render("flow.j2:saved", markup, value=describe(current, state, value))
    return await _go(db, flow, flow_session, state, instances, _after(instances, current), markup, notice=notice)


async def store_answer(
    db: AsyncSession, flow: Flow, state: FlowState, instance: StepInstance, value: Any, author: str
) -> list[str]:
    """Append the answer to the history and apply it where the step says, in one transaction."""
    step = instance.step
    subjects = [instance.subject]
    if step.store is not None:
        subjects = await step.store(db, state, instance.subject, value) or subjects
    values = value if step.kind == InputKind.LIST else [value]
    for subject, item in zip(subjects, values, strict=True):
        await append_answer(
            db,
            project_id=state.project.id,
            flow=flow.name,
            flow_version=flow.version,
            question=step.question,
            field=step.field,
            subject=subject,
            value=to_jsonable_python(item),
            author=author,
        )
    return subjects


async def _go(
    db: AsyncSession,
    flow: Flow,
    flow_session: FlowSession,
    state: FlowState,
    instances: list[StepInstance],
    target: StepInstance | None,
    markup: str,
    notice: str = "",
) -> Reply:
    if target is None:
        await move_flow_session(db, flow_session, position=None, status=COMPLETE)
        return _complete(flow, state, markup, notice=notice, finished=True)
    await move_flow_session(db, flow_session, position=target.id, status="active")
    return _ask(flow, state, instances, target, markup, notice=notice)


def _find(instances: list[StepInstance], position: str | None) -> StepInstance | None:
    return next((i for i in instances if i.id == position), None)


def _after(instances: list[StepInstance], current: StepInstance) -> StepInstance | None:
    index = instances.index(current)
    return instances[index + 1] if index + 1 < len(instances) else None


def explain(invalid: ValidationError, markup: str) -> str:
    error = invalid.errors()[0]
    name = f"errors.j2:{error['type']}"
    if not has_macro(name):
        name = "errors.j2:invalid"
    return render(name, markup, **(error.get("ctx") or {}))


def _prompt_context(state: FlowState, instance: StepInstance) -> dict[str, Any]:
    return {
        "project": state.project,
        "measure": state.measure(instance.subject) if instance.subject else None,
    }


def _ask(
    flow: Flow,
    state: FlowState,
    instances: list[StepInstance],
    instance: StepInstance,
    markup: str,
    *,
    notice: str = "",
    error: bool = False,
    show_help: bool = False,
) -> Reply:
    step = instance.step
    context = _prompt_context(state, instance)
    current = state.value(step.key, instance.subject)
    items = [
        answer.value["name"]
        for (question, field, _), answer in state.answers.items()
        if step.kind == InputKind.LIST and (question, field) == (step.question, step.field)
    ]
    # Pieces are rendered as plain text and escaped once, by the template they go into.
    question = render(
        "flow.j2:ask",
        markup,
        question=render(step.prompt, MarkupKind.TEXT, **context),
        current=None if current is None or step.kind == InputKind.LIST else describe(instance, state, current),
        items=items,
        kind=step.kind.value,
    )
    return Reply(
        status=ASKING,
        text=question,
        notice=notice,
        error=error,
        help=render(step.prompt + "_help", markup, **context),
        show_help=show_help,
        kind=step.kind,
        choices=tuple(instance.choices(state)),
        progress=Progress(instances.index(instance) + 1, len(instances)),
        step=instance.id,
    )


def _complete(flow: Flow, state: FlowState, markup: str, notice: str = "", finished: bool = False) -> Reply:
    return Reply(status=COMPLETE, text=summary(flow, state, markup), notice=notice, finished=finished)


async def active_conversation(db: AsyncSession, *, workspace_id: int, user: str) -> tuple[Project, FlowSession] | None:
    """The conversation a message from this user belongs to: their most recent active one, of any flow."""
    return await latest_flow_session(db, workspace_id=workspace_id, user=user, status="active")


async def remember_place(
    db: AsyncSession, flow: Flow, *, project: Project, user: str, channel: str, thread_ts: str | None,
    question_ts: str | None,
) -> None:
    """Where the conversation is held now, and which message asks the current question."""
    flow_session = await get_or_create_flow_session(db, project_id=project.id, flow=flow.name, user=user)
    await place_flow_session(db, flow_session, channel=channel, thread_ts=thread_ts, question_ts=question_ts)


async def flow_session_of(db: AsyncSession, flow: Flow, *, project: Project, user: str) -> FlowSession:
    return await get_or_create_flow_session(db, project_id=project.id, flow=flow.name, user=user)

"""Runs a flow one message at a time: (flow session, user input) -> stored answer + Reply.

Transport-free: the terminal and Slack both call `open_flow` and `answer_flow` inside one
transaction, and turn the neutral `Reply` into what they show.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from markupsafe import Markup
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.conversation.engine import Flow, FlowState, StepInstance, load_state, record_answer
from flows.conversation.inputs import Choice, InputKind, explain
from flows.conversation.items import ItemRefused, Removal, items_of, removal_of, remove_item
from flows.conversation.presenting import EditTarget, describe, edit_targets, summary
from flows.outbox import OutboxJob, queue
from prompts import MarkupKind, render, vocabulary
from storage.flow_sessions import get_or_create_flow_session, latest_flow_session, move_flow_session
from storage.models import FlowSession, Project, SessionStatus, utcnow


class ReplyStatus(StrEnum):
    ASKING = "asking"  # a question is shown: the next message answers it
    PAUSED = "paused"
    COMPLETE = "complete"  # the flow's summary is shown


ASKING, PAUSED, COMPLETE = ReplyStatus.ASKING, ReplyStatus.PAUSED, ReplyStatus.COMPLETE


@dataclass(frozen=True)
class Progress:
    index: int  # 1-based
    total: int


@dataclass(frozen=True)
class Reply:
    status: ReplyStatus
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
    # The user's flow session as this message left it, for transports that keep a place in it.
    session: FlowSession | None = field(default=None, compare=False, repr=False)
    queued: tuple[OutboxJob, ...] = ()  # what completing the flow queued, in the same transaction
    edit_targets: tuple[EditTarget, ...] = ()  # with the summary: the forms that edit it
    answered: str = ""  # the question this message answered, as it was asked (`notice` says what was stored)
    same_as_above: bool = False  # a per-measure question after the first measure: "same as above" answers it
    person: bool = False  # the answer names someone: Slack offers its people to pick from


def _command(text: str) -> str | None:
    word = text.strip().casefold()
    for command in ("skip", "back", "undo", "pause", "done", "help", "show", "same"):
        if word in vocabulary()["commands"][command]:
            return command
    return None


async def open_flow(db: AsyncSession, flow: Flow, *, project: Project, user: str, markup: str = MarkupKind.TEXT) -> Reply:
    """Start the flow, or resume it where this user stopped (or at the first unanswered step)."""
    flow_session = await get_or_create_flow_session(db, project_id=project.id, flow=flow.name, user=user)
    return replace(await _open(db, flow, flow_session, await load_state(db, project), markup), session=flow_session)


async def _open(db: AsyncSession, flow: Flow, flow_session: FlowSession, state: FlowState, markup: str) -> Reply:
    instances = flow.instances(state)
    current = _find(instances, flow_session.position)
    if current is None or flow_session.status == SessionStatus.COMPLETE:
        current = next((i for i in instances if not i.settled(state)), None)
    if current is None:
        await move_flow_session(db, flow_session, position=None, status=SessionStatus.COMPLETE)
        return _complete(flow, state, markup)
    await move_flow_session(db, flow_session, position=current.id, status=SessionStatus.ACTIVE)
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
    flow_session: FlowSession | None = None,
    queue_effects: bool = False,
    now: datetime | None = None,
) -> Reply:
    """Take one message from the user at the step they are on. A click on a button of an
    earlier question (`expected_step` no longer current) is refused: nothing is stored.

    `flow_session` is the user's session when the caller has just read (and locked) it.
    With `queue_effects`, completing the flow queues what the flow declares (a surface with a
    worker; the terminal shows everything itself). A message for a question the surface could
    not show (FlowSession.unshown_step) is not taken as its answer: the question is asked, and
    nothing is stored."""
    if flow_session is None:
        flow_session = await get_or_create_flow_session(db, project_id=project.id, flow=flow.name, user=user)
    state = await load_state(db, project)
    turn = _Turn(db, flow, flow_session, state, markup, user, queue_effects, now or utcnow())
    return replace(await turn.answer(text, expected_step), session=flow_session)


@dataclass
class _Turn:
    """One message of one user, inside the caller's transaction."""

    db: AsyncSession
    flow: Flow
    flow_session: FlowSession
    state: FlowState
    markup: str
    user: str
    queue_effects: bool
    now: datetime

    async def answer(self, text: str, expected_step: str | None) -> Reply:
        flow, state, markup = self.flow, self.state, self.markup
        instances = flow.instances(state)
        current = _find(instances, self.flow_session.position)
        if current is None or self.flow_session.status == SessionStatus.COMPLETE:
            return await _open(self.db, flow, self.flow_session, state, markup)
        if self.flow_session.unshown_step == current.id:
            return _ask(flow, state, instances, current, markup, notice=render("flow.j2:not_shown", markup))
        if expected_step is not None and expected_step != current.id:
            notice = render("flow.j2:moved_on", markup)
            return _ask(flow, state, instances, current, markup, notice=notice, error=True)

        command = _command(text)
        if command == "pause":
            await move_flow_session(self.db, self.flow_session, position=current.id, status=SessionStatus.PAUSED)
            return Reply(status=PAUSED, text=render("flow.j2:paused", markup, project=state.project.name))
        if command == "help":
            return _ask(flow, state, instances, current, markup, show_help=True)
        if command == "show":  # the plan so far, then the question again
            return _ask(flow, state, instances, current, markup, notice=summary(flow, state, markup))
        if current.step.items is not None and (listed := await self.list_command(text, command, current)):
            return listed
        if command == "back":
            index = instances.index(current)
            if index == 0:
                notice = render("flow.j2:at_first_step", markup)
                return _ask(flow, state, instances, current, markup, notice=notice)
            return await self.go(instances, instances[index - 1])
        if command == "done" and current.step.kind == InputKind.LIST:  # on to what is still to answer
            return await self.go(instances, _next_unanswered(instances, current, state))
        if command == "skip":
            return await self.go(instances, _after(instances, current))

        if command == "same":
            above = _answer_above(state, current)
            if above is None:
                return _ask(flow, state, instances, current, markup, notice=render("flow.j2:nothing_above", markup), error=True)
            text = above
        if current.step.table is not None and (pasted := await current.step.table(self.db, flow, state, current, text, self.user)):
            self.state = state = await load_state(self.db, state.project)
            return _ask(flow, state, flow.instances(state), current, markup, notice=pasted.notice, error=pasted.error)
        try:
            value = current.step.given.check(text, current.validation_context(state))
        except ValidationError as invalid:
            return _ask(flow, state, instances, current, markup, notice=explain(invalid, markup), error=True)

        asked = _ask(flow, state, instances, current, markup).text  # as it was shown, before the answer
        subjects = await store_answer(self.db, flow, state, current, value, self.user)
        if current.step.store is not None:  # it changed the project, its communities or measures
            self.state = state = await load_state(self.db, state.project)
        instances = flow.instances(state)
        if current.step.kind == InputKind.LIST:
            notice = render("flow.j2:items_added", markup, count=len(subjects), names=[i["name"] for i in value])
            await move_flow_session(self.db, self.flow_session, position=current.id, status=SessionStatus.ACTIVE)
            return _ask(flow, state, instances, current, markup, notice=notice)
        notice = render("flow.j2:saved", markup, value=describe(current, state, value))
        return replace(await self.go(instances, _next_unanswered(instances, current, state), notice=notice), answered=asked)

    async def list_command(self, text: str, command: str | None, current: StepInstance) -> Reply | None:
        """Inside a list: `back` or `undo` removes the last item, `remove N` the Nth; None when
        the message is not one of these (on an empty list `back` goes to the previous question)."""
        items = items_of(current, self.state)
        removal = removal_of(text)
        if command in ("back", "undo") and items:
            removal = Removal(len(items), confirmed=False)
        elif command == "undo":
            return _ask(
                self.flow,
                self.state,
                self.flow.instances(self.state),
                current,
                self.markup,
                notice=render("flow.j2:nothing_to_undo", self.markup),
            )
        if removal is None:
            return None
        try:
            notice = await remove_item(
                self.db, current, self.state, number=removal.number, user=self.user, confirmed=removal.confirmed, markup=self.markup
            )
        except ItemRefused as refused:
            return _ask(self.flow, self.state, self.flow.instances(self.state), current, self.markup, notice=refused.notice, error=True)
        self.state = await load_state(self.db, self.state.project)
        return _ask(self.flow, self.state, self.flow.instances(self.state), current, self.markup, notice=notice)

    async def go(self, instances: list[StepInstance], target: StepInstance | None, notice: str = "") -> Reply:
        if target is None:
            await move_flow_session(self.db, self.flow_session, position=None, status=SessionStatus.COMPLETE)
            queued: list[OutboxJob] = []
            if self.queue_effects and self.flow.on_complete is not None:
                for job in await self.flow.on_complete(self.db, self.state, self.user, self.now):
                    if await queue(self.db, job, due_at=self.now, workspace_id=self.state.project.workspace_id):
                        queued.append(job)
            return replace(_complete(self.flow, self.state, self.markup, notice=notice, finished=True), queued=tuple(queued))
        await move_flow_session(self.db, self.flow_session, position=target.id, status=SessionStatus.ACTIVE)
        return _ask(self.flow, self.state, instances, target, self.markup, notice=notice)


async def store_answer(db: AsyncSession, flow: Flow, state: FlowState, instance: StepInstance, value: Any, author: str) -> list[str]:
    """Append the answer to the history and apply it where the step says, in one transaction.
    `state` was read in this transaction, so it knows each answer's current version; it is
    kept current with what is stored."""
    step = instance.step
    subjects = [instance.subject]
    if step.store is not None:
        subjects = await step.store(db, state, instance.subject, value, author) or subjects
    values = value if step.kind == InputKind.LIST else [value]
    for subject, item in zip(subjects, values, strict=True):
        await record_answer(db, flow, state, step, subject, item, author)
    return subjects


def _find(instances: list[StepInstance], position: str | None) -> StepInstance | None:
    return next((i for i in instances if i.id == position), None)


def _measure_above(state: FlowState, instance: StepInstance) -> str | None:
    """The measure (or community) asked the same question just before this one."""
    keys = [c.key for c in state.communities] if instance.step.for_each == "community" else [m.key for m in state.measures]
    index = keys.index(instance.subject) if instance.subject in keys else 0
    return keys[index - 1] if index > 0 else None


def _answer_above(state: FlowState, instance: StepInstance) -> str | None:
    """The previous measure's answer to the same question, as one would type it (it is
    checked again, in this measure's context: its unit, its baseline date)."""
    above = _measure_above(state, instance)
    value = state.value(instance.step.key, above) if above else None
    if value is None:
        return None
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _next_unanswered(instances: list[StepInstance], current: StepInstance, state: FlowState) -> StepInstance | None:
    """After an answer: the next question still to answer (back where one was, after going back
    to correct an answer); None when every later one is answered (or was skipped before)."""
    later = instances[instances.index(current) + 1 :] if current in instances else []
    return next((i for i in later if not i.answered(state)), None)


def _after(instances: list[StepInstance], current: StepInstance) -> StepInstance | None:
    index = instances.index(current)
    return instances[index + 1] if index + 1 < len(instances) else None


def _prompt_context(state: FlowState, instance: StepInstance) -> dict[str, Any]:
    by_community = instance.step.for_each == "community"
    return {
        "project": state.project,
        "measure": state.measure(instance.subject) if instance.subject and not by_community else None,
        "community": state.community(instance.subject) if by_community else None,
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
    items = [item.name for item in items_of(instance, state)]
    # The question is rendered in the reply's markup (its values escaped there, once); the
    # other pieces are plain text, escaped by the template they go into.
    question = render(
        "flow.j2:ask",
        markup,
        question=Markup(render(step.prompt, markup, **context)),
        current=None if current is None or step.kind == InputKind.LIST else describe(instance, state, current),
        items=items,
        kind=step.kind.value,
    )
    return Reply(
        status=ASKING,
        person=step.person,
        text=question,
        notice=notice,
        error=error,
        help=render(step.prompt + "_help", markup, **context),
        show_help=show_help,
        kind=step.kind,
        choices=tuple(instance.choices(state)),
        progress=Progress(instances.index(instance) + 1, len(instances)),
        step=instance.id,
        same_as_above=_measure_above(state, instance) is not None and step.kind != InputKind.LIST,
    )


def question_reply(
    flow: Flow, state: FlowState, instance: StepInstance, markup: str = MarkupKind.TEXT, *, notice: str = "", error: bool = False
) -> Reply:
    """One step's question as the conversation asks it, its current answer shown (for `edit`)."""
    return _ask(flow, state, flow.instances(state), instance, markup, notice=notice, error=error)


def _complete(flow: Flow, state: FlowState, markup: str, notice: str = "", finished: bool = False) -> Reply:
    return Reply(
        status=COMPLETE,
        text=summary(flow, state, markup),
        notice=notice,
        finished=finished,
        edit_targets=edit_targets(flow, state),
    )


async def active_conversation(
    db: AsyncSession, *, team_id: str, enterprise_id: str | None, user: str, place: tuple[str, str | None] | None = None
) -> tuple[Project, FlowSession] | None:
    """The conversation a message from this user belongs to: their most recent active one, of
    any flow, in their workspace, held in `place` when given (a DM and an assistant thread
    each keep their own). Its session is locked (on PostgreSQL) until the message is answered."""
    return await latest_flow_session(
        db, team_id=team_id, enterprise_id=enterprise_id or "", user=user, status=SessionStatus.ACTIVE, lock=True, place=place
    )

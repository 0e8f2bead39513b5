"""How a flow is declared: steps, the state they read, and the checks made when it is built.

A flow is an ordered tuple of steps. A step asks one thing, validates the reply with its
`given` model, and may store the value somewhere besides the answer history (`store`).
Steps marked `for_each="measure"` are asked once per measure (`"community"`: per community);
consecutive ones of the same question are asked measure by measure. A step's `condition`
hides it when it does not apply.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.conversation.inputs import Choice, Given, InputKind
from flows.outbox import OutboxJob
from prompts import has_macro
from storage.answers import AnswerKey, append_answer, current_answers
from storage.models import Answer, Community, Measure, Need, Project
from storage.projects import list_communities, list_measures, list_needs


@dataclass
class FlowState:
    """What a flow knows of its project when it decides what to ask next."""

    project: Project
    communities: list[Community]
    measures: list[Measure]
    answers: dict[AnswerKey, Answer]
    needs: list[Need]  # of the communities above

    def value(self, key: str, subject: str = "") -> Any:
        question, _, name = key.partition(".")
        answer = self.answers.get((question, name, subject))
        return None if answer is None else answer.value

    def measure(self, key: str) -> Measure:
        """The measure a per-measure step is asked of (its subject)."""
        found = next((m for m in self.measures if m.key == key), None)
        if found is None:
            raise LookupError(f"no measure {key} in {self.project.name}")
        return found

    def community(self, key: str) -> Community:
        """The community a per-community step is asked of."""
        found = next((c for c in self.communities if c.key == key), None)
        if found is None:
            raise LookupError(f"no community {key} in {self.project.name}")
        return found

    def subject_name(self, key: str) -> str:
        """The name of the measure or community a step is asked of ("" for the project)."""
        if not key:
            return ""
        return self.community(key).name if key.startswith("c") else self.measure(key).name

    def needs_of(self, community: Community) -> list[Need]:
        return [n for n in self.needs if n.community_id == community.id]


async def load_state(db: AsyncSession, project: Project) -> FlowState:
    return FlowState(
        project=project,
        communities=await list_communities(db, project_id=project.id),
        measures=await list_measures(db, project_id=project.id),
        answers=await current_answers(db, project_id=project.id),
        needs=await list_needs(db, project_id=project.id),
    )


# (db, state, subject, value, author): list steps return the subject of each item they created.
Store = Callable[[AsyncSession, FlowState, str, Any, str], Awaitable[list[str] | None]]
# What completing a flow sends later: (db, state, the user who completed it, now) -> jobs to queue.
OnComplete = Callable[[AsyncSession, FlowState, str, datetime], Awaitable[list[OutboxJob]]]


@dataclass(frozen=True)
class Pasted:
    """What a pasted table stored (or, with `error`, why nothing was)."""

    notice: str
    error: bool = False
    items: int = 0
    answers: int = 0  # stored besides the items


@dataclass(frozen=True)
class Step:
    key: str  # "<question>.<field>", stored with every answer: never rename
    kind: InputKind
    given: type[Given]
    prompt: str  # "file.j2:macro"; the macros "<macro>_help" and "<macro>_label" go with it
    store: Store | None = None  # list steps return the subject of each item they created
    choices: Callable[[FlowState, str], list[Choice]] | None = None
    condition: Callable[[FlowState, str], bool] | None = None
    context: Callable[[FlowState, str], dict[str, Any]] | None = None
    for_each: str | None = None  # "measure" or "community"
    item_fields: tuple[str, ...] = ()
    required_fields: int = 1
    person: bool = False  # the answer names someone: a mention in Slack, their name elsewhere
    # A list step's items as they stand (numbered in this order where they are shown), of the
    # step's subject for a per-community list.
    items: Callable[[FlowState, str], Sequence[Community | Need | Measure]] | None = None
    # An answer the plan has outgrown (the community it names was removed) is asked again.
    still_valid: Callable[[FlowState, Any], bool] | None = None
    # A list that also takes a pasted table of its items with their per-measure answers:
    # (db, flow, state, this step, text, author) -> what was stored, or None when it is no table.
    table: Callable[[AsyncSession, "Flow", FlowState, "StepInstance", str, str], Awaitable["Pasted | None"]] | None = None
    # What stands while the question is unanswered (a measure's usual kind, three years of
    # aftercare): it is still asked, but a plan without its answer is not incomplete for it.
    default: Callable[[FlowState, str], Any] | None = None

    @property
    def question(self) -> str:
        return self.key.partition(".")[0]

    @property
    def field(self) -> str:
        return self.key.partition(".")[2]


@dataclass(frozen=True)
class StepInstance:
    step: Step
    subject: str = ""  # the measure's or community's key for a for_each step

    @property
    def id(self) -> str:
        return f"{self.step.key}:{self.subject}" if self.subject else self.step.key

    def applies(self, state: FlowState) -> bool:
        return self.step.condition is None or self.step.condition(state, self.subject)

    def answered(self, state: FlowState) -> bool:
        if self.step.items is not None:  # a list: answered while it holds an item
            return bool(self.step.items(state, self.subject))
        value = state.value(self.step.key, self.subject)
        return value is not None and (self.step.still_valid is None or self.step.still_valid(state, value))

    def default(self, state: FlowState) -> Any:
        return None if self.step.default is None else self.step.default(state, self.subject)

    def settled(self, state: FlowState) -> bool:
        """Answered, or with a default that stands: not listed as unanswered."""
        return self.answered(state) or self.default(state) is not None

    def choices(self, state: FlowState) -> list[Choice]:
        return self.step.choices(state, self.subject) if self.step.choices else []

    def validation_context(self, state: FlowState) -> dict[str, Any]:
        context = self.step.context(state, self.subject) if self.step.context else {}
        return {
            "choices": self.choices(state),
            "fields": list(self.step.item_fields),
            "required": self.step.required_fields,
            **context,
        }


class FlowDefinitionError(Exception):
    pass


@dataclass(frozen=True)
class Flow:
    name: str
    version: int
    questions: tuple[str, ...]
    steps: tuple[Step, ...]
    summary: str = "plan/summary.j2"  # the template shown when the flow is complete
    on_complete: OnComplete | None = None
    _by_key: dict[str, Step] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = [step.key for step in self.steps]
        duplicates = {key for key in keys if keys.count(key) > 1}
        if duplicates:
            raise FlowDefinitionError(f"{self.name}: duplicate step keys {sorted(duplicates)}")
        for step in self.steps:
            self._check(step)
        order = [self.questions.index(step.question) for step in self.steps]
        if order != sorted(order):
            raise FlowDefinitionError(f"{self.name}: steps are not in the order of {self.questions}")
        object.__setattr__(self, "_by_key", {step.key: step for step in self.steps})

    def _check(self, step: Step) -> None:
        problem = None
        if step.question not in self.questions or not step.field:
            problem = f"key must be <question>.<field> with a question of {self.questions}"
        elif missing := [m for m in ("", "_help", "_label") if not has_macro(step.prompt + m)]:
            problem = f"prompt {step.prompt} lacks the macros {missing}"
        elif step.kind in (InputKind.SINGLE_CHOICE, InputKind.MULTIPLE_CHOICE) and step.choices is None:
            problem = "a choice step needs choices"
        elif step.kind == InputKind.LIST and (not step.item_fields or step.store is None or step.items is None):
            problem = "a list step needs item_fields, a store and its items"
        elif step.for_each not in (None, "measure", "community"):
            problem = f"unknown for_each {step.for_each}"
        if problem:
            raise FlowDefinitionError(f"{self.name}: step {step.key}: {problem}")

    def step(self, key: str) -> Step:
        return self._by_key[key]

    def instances(self, state: FlowState) -> list[StepInstance]:
        """Every step that applies now, in the order they are asked."""
        result: list[StepInstance] = []
        i = 0
        while i < len(self.steps):
            step = self.steps[i]
            if step.for_each is None:
                result.append(StepInstance(step))
                i += 1
                continue
            end = i
            while end < len(self.steps) and self.steps[end].for_each == step.for_each and self.steps[end].question == step.question:
                end += 1
            subjects: Sequence[Community | Measure] = state.communities if step.for_each == "community" else state.measures
            for subject in subjects:
                result.extend(StepInstance(s, subject.key) for s in self.steps[i:end])
            i = end
        return [instance for instance in result if instance.applies(state)]


async def record_answer(db: AsyncSession, flow: Flow, state: FlowState, step: Step, subject: str, value: Any, author: str) -> None:
    """The next version of one answer (of a list step: one item's), in the history only."""
    key = (step.question, step.field, subject)
    current = state.answers.get(key)
    state.answers[key] = await append_answer(
        db,
        project_id=state.project.id,
        flow=flow.name,
        flow_version=flow.version,
        question=step.question,
        field=step.field,
        subject=subject,
        value=to_jsonable_python(value),
        author=author,
        version=(current.version if current else 0) + 1,
    )

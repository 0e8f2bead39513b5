"""The items of a list step (the communities, the team's own measures), numbered as they are
shown: removed (retired, with who and when: kept in the history and the export), and changed
(a new version of the item's answer). The conversation and the terminal's edit both use these.
"""

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.conversation.engine import Flow, FlowState, StepInstance, record_answer
from flows.conversation.inputs import explain
from prompts import render, vocabulary
from storage.models import Measure
from storage.progress import count_updates
from storage.projects import Item, retire

# "remove 2", "remove 2 yes": the words are in prompts/vocabulary.toml
REMOVE = re.compile(r"^(?P<word>\w+)\s+(?P<number>\d{1,4})(?:\s+(?P<yes>\w+))?$")


class ItemRefused(Exception):
    """The change was not made; `notice` says why, in the markup asked for."""

    def __init__(self, notice: str) -> None:
        super().__init__(notice)
        self.notice = notice


@dataclass(frozen=True)
class Removal:
    number: int
    confirmed: bool


def removal_of(text: str) -> Removal | None:
    """`remove N` (or `remove N yes`, confirming the removal of a measure with updates)."""
    match = REMOVE.match(" ".join(text.split()).casefold())
    words = vocabulary()["commands"]
    if match is None or match["word"] not in words["remove"]:
        return None
    if match["yes"] is not None and match["yes"] not in words["yes"]:
        return None
    return Removal(int(match["number"]), match["yes"] is not None)


def item_number(text: str, command: str) -> int | None:
    """N of `<command> N` (`edit 2`), in any of the command's words."""
    words = " ".join(text.split()).casefold().split(" ")
    if len(words) == 2 and words[0] in vocabulary()["commands"][command] and words[1].isdigit() and words[1].isascii():
        return int(words[1])
    return None


def item_line(instance: StepInstance, state: FlowState, number: int, markup: str) -> str:
    """Item `number` as one would type it: its parts separated by `|`."""
    item = _item(instance, state, number, markup)
    parts = [getattr(item, name) or "" for name in instance.step.item_fields]
    while parts and not parts[-1]:
        parts.pop()
    return " | ".join(parts)


def items_of(instance: StepInstance, state: FlowState) -> list[Item]:
    return list(instance.step.items(state, instance.subject)) if instance.step.items else []


def _item(instance: StepInstance, state: FlowState, number: int, markup: str) -> Item:
    items = items_of(instance, state)
    if not 1 <= number <= len(items):
        raise ItemRefused(render("flow.j2:item_number_unknown", markup, number=number, count=len(items)))
    return items[number - 1]


async def remove_item(
    db: AsyncSession, instance: StepInstance, state: FlowState, *, number: int, user: str, confirmed: bool, markup: str
) -> str:
    """Retire item `number` (1-based). A measure with progress updates is only retired when
    the removal is confirmed: its updates are kept, but leave every summary."""
    item = _item(instance, state, number, markup)
    updates = await count_updates(db, measure_id=item.id) if isinstance(item, Measure) else 0
    if updates and not confirmed:
        raise ItemRefused(render("flow.j2:item_remove_confirm", markup, name=item.name, number=number, updates=updates))
    await retire(db, item, by=user)
    return render("flow.j2:item_removed", markup, name=item.name, updates=updates)


async def change_item(
    db: AsyncSession, flow: Flow, instance: StepInstance, state: FlowState, *, number: int, text: str, user: str, markup: str
) -> str:
    """Item `number` as one list line gives it (`name | place | ...`): its fields and a new
    version of its answer. Its name may not repeat another item's."""
    item = _item(instance, state, number, markup)
    context: dict[str, Any] = {**instance.validation_context(state), "room": None}
    if "taken" in context:
        context["taken"] = [other.name for other in items_of(instance, state) if other.id != item.id]
    try:
        [fields] = instance.step.given.check(text, context)
    except ValidationError as invalid:
        raise ItemRefused(explain(invalid, markup)) from None
    except ValueError:  # no line, or more than one
        raise ItemRefused(render("flow.j2:item_one_line", markup)) from None
    for name, value in fields.items():
        setattr(item, name, value)
    db.add(item)
    await record_answer(db, flow, state, instance.step, item.key, fields, user)
    return render("flow.j2:item_changed", markup, name=fields["name"])

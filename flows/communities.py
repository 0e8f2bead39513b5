"""One community with its needs, changed at once (`/socialvalue community` and the terminal's
`socialvalue community`): its parts, and its needs as rows, one per line, `need | evidence |
signposting`. Every change goes through the plan's list steps, so it is checked by the same
rules and kept as a new version in the history, as in the conversation."""

from dataclasses import dataclass

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.conversation.editing import latest_answer_id
from flows.conversation.engine import FlowState, StepInstance, load_state
from flows.conversation.inputs import explain
from flows.conversation.items import ItemRefused, change_item, item_line, items_of, remove_item
from flows.conversation.runner import store_answer
from flows.plan import NEED_FIELDS, PLAN
from prompts import MarkupKind, render
from storage.models import Community, Project
from storage.projects import name_key

COMMUNITY_PARTS = ("name", "place", "who")
NEEDS = "needs"


class CommunityRefused(Exception):
    """{field: why}, in the markup asked for; nothing was stored."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class CommunityForm:
    """A community as its form shows it: its parts, and its needs as rows."""

    key: str
    parts: dict[str, str | None]
    needs: str
    seen: int  # the latest answer the form has seen: a change by someone else since is not overwritten


def _instance(state: FlowState, step_id: str) -> StepInstance:
    return next(i for i in PLAN.instances(state) if i.id == step_id)


def find_community(state: FlowState, typed: str) -> Community | None:
    """A community of the plan by its key (c2) or its name, with any capitals and spaces."""
    wanted = name_key(typed)
    return next((c for c in state.communities if c.key == typed.strip() or name_key(c.name) == wanted), None)


def community_form(state: FlowState, community: Community) -> CommunityForm:
    needs = _instance(state, f"why.needs:{community.key}")
    rows = [item_line(needs, state, number, MarkupKind.TEXT) for number in range(1, len(items_of(needs, state)) + 1)]
    parts = {part: getattr(community, part) for part in COMMUNITY_PARTS}
    return CommunityForm(community.key, parts, "\n".join(rows), latest_answer_id(state))


async def save_community(
    db: AsyncSession,
    project: Project,
    *,
    user: str,
    key: str | None,
    parts: dict[str, str | None],
    needs: str | None,
    markup: str,
    seen: int | None = None,
) -> list[str]:
    """Add a community (no `key`) or change one: its parts, then its needs as the rows say. A
    row with a need's words keeps that need (its evidence and signposting changed if they
    differ); rows that match none replace, in order, the needs no row matches (a need reworded
    keeps the measures that answer it); more rows add needs; fewer retire the rest. Returns what
    changed, as people read it; raises CommunityRefused, storing nothing."""
    state = await load_state(db, project)
    listed = _instance(state, "why.communities")
    line = " | ".join((parts.get(p) or "").strip() for p in COMMUNITY_PARTS).rstrip(" |")
    if any("|" in (parts.get(p) or "") for p in COMMUNITY_PARTS):
        raise CommunityRefused({p: render("flow.j2:item_part_bar", markup) for p in COMMUNITY_PARTS if "|" in (parts.get(p) or "")})
    changes: list[str] = []
    try:
        if key is None:
            checked = listed.step.given.check(line, listed.validation_context(state)) if line else []
            if len(checked) != 1:  # no line: the name is missing
                raise CommunityRefused({"name": render("errors.j2:required", markup)})
            [fields] = checked
            [key] = await store_answer(db, PLAN, state, listed, [fields], user)
            changes.append(render("communities.j2:added", markup, name=fields["name"]))
            state = await load_state(db, project)
        else:
            community = next((c for c in state.communities if c.key == key), None)
            if community is None:
                raise CommunityRefused({"name": render("communities.j2:gone", markup)})
            number = [c.key for c in state.communities].index(key) + 1
            ours = {key} | {n.key for n in state.needs_of(community)}
            changed = [a for a in state.answers.values() if a.subject in ours and seen is not None and a.id > seen]
            if changed:
                raise CommunityRefused({"name": render("flow.j2:edited_meanwhile", markup, author=changed[0].author)})
            if [getattr(community, p) or "" for p in COMMUNITY_PARTS] != [(parts.get(p) or "").strip() for p in COMMUNITY_PARTS]:
                changes.append(await change_item(db, PLAN, listed, state, number=number, text=line, user=user, markup=markup))
        if needs is not None:
            changes += await _save_needs(db, state, key, needs, user=user, markup=markup)
    except ValidationError as invalid:
        raise CommunityRefused({"name": explain(invalid, markup)}) from None
    except ItemRefused as refused:
        raise CommunityRefused({"name": refused.notice}) from None
    return changes


async def _save_needs(db: AsyncSession, state: FlowState, key: str, text: str, *, user: str, markup: str) -> list[str]:
    instance = _instance(state, f"why.needs:{key}")
    current = items_of(instance, state)
    context = {**instance.validation_context(state), "taken": [], "room": None}
    try:
        rows = instance.step.given.check(text, context) if text.strip() else []
    except ValidationError as invalid:
        raise CommunityRefused({NEEDS: explain(invalid, markup)}) from None
    room = len(current) - len(state.needs) + context.get("most", 0)  # this community's needs may be replaced
    if context.get("most") and len(rows) > room:
        raise CommunityRefused({NEEDS: render("errors.j2:list_too_many", markup, most=context["most"], room=room, count=len(rows))})
    by_words = {name_key(n.name): number for number, n in enumerate(current, 1)}
    kept: dict[int, dict[str, str | None]] = {}
    unmatched_rows = []
    for row in rows:
        number = by_words.get(name_key(row["name"]))
        if number is not None and number not in kept:
            kept[number] = row
        else:
            unmatched_rows.append(row)
    unmatched = [number for number in range(1, len(current) + 1) if number not in kept]
    kept |= dict(zip(unmatched, unmatched_rows, strict=False))  # reworded, in order
    added = unmatched_rows[len(unmatched) :]
    changes: list[str] = []
    for number, row in kept.items():
        need = current[number - 1]
        if [getattr(need, f) for f in NEED_FIELDS] != [row[f] for f in NEED_FIELDS]:
            line = " | ".join(row[f] or "" for f in NEED_FIELDS).rstrip(" |")
            await change_item(db, PLAN, instance, state, number=number, text=line, user=user, markup=markup)
            changes.append(render("communities.j2:need_changed", markup, name=row["name"]))
    for number in range(1, len(current) + 1):
        if number not in kept:
            await remove_item(db, instance, state, number=number, user=user, confirmed=True, markup=markup)
            changes.append(render("communities.j2:need_removed", markup, name=current[number - 1].name))
    if added:
        await store_answer(db, PLAN, state, instance, added, user)
        changes += [render("communities.j2:need_added", markup, name=row["name"]) for row in added]
    return changes

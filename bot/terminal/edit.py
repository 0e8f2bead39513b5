"""`socialvalue edit`, and `edit` typed once a chat's plan is complete: each chosen question is
asked again with its current answer shown, and Enter keeps it. Each line is its own
transaction, as in the chat; every change is a new answer version."""

import asyncio
from pathlib import Path
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.terminal.monitoring import project_named
from flows.conversation.editing import LineEdit, edit_line, edit_steps, replace_item
from flows.conversation.engine import Flow, load_state
from flows.conversation.presenting import summary
from flows.conversation.runner import question_reply
from flows.measure_table import paste_measures
from flows.plan import PLAN
from flows.projects import find_project
from prompts import MarkupKind, render, vocabulary
from storage.engine import transaction

MAX_TABLE_BYTES = 1_000_000  # a few thousand rows: far more than a plan holds


async def edit_plan(
    engine: AsyncEngine, *, project: str, user: str, target: str | None, stdin: TextIO, stdout: TextIO, flow: Flow = PLAN
) -> int:
    """Ask the questions `target` names again (all of them without one). 1 if the project or
    the target is unknown; 0 otherwise, also when the person quits half way."""
    async with transaction(engine) as db:
        if (found := await project_named(db, project, stdout)) is None:
            return 1
        state = await load_state(db, found)
        steps = edit_steps(flow, state, target)
    if steps is None:
        stdout.write(render("terminal.j2:edit_unknown", target=target, measures=state.measures) + "\n")
        return 1
    stdout.write(render("terminal.j2:edit_intro", project=found.name, count=len(steps)) + "\n")
    for step_id in [instance.id for instance in steps]:
        if not await _edit_step(engine, flow, project=found.name, user=user, step_id=step_id, stdin=stdin, stdout=stdout):
            break
    async with transaction(engine) as db:
        found = await find_project(db, name=project)
        text = summary(flow, await load_state(db, found), MarkupKind.TEXT) if found else ""
    stdout.write("\n" + text + "\n")
    return 0


async def _edit_step(engine: AsyncEngine, flow: Flow, *, project: str, user: str, step_id: str, stdin: TextIO, stdout: TextIO) -> bool:
    """One question, until its answer is kept or stored (a list: until Enter). False: quit."""
    result = LineEdit("")
    while True:
        async with transaction(engine) as db:
            found = await find_project(db, name=project)
            state = await load_state(db, found) if found else None
            instance = next((i for i in flow.instances(state) if i.id == step_id), None) if state else None
        if state is None or instance is None:
            return True  # removed meanwhile: nothing to ask
        reply = question_reply(flow, state, instance, notice=result.notice, error=result.error)
        is_list = instance.step.items is not None
        stdout.write(
            "\n"
            + render("terminal.j2:show_reply", reply=reply)
            + "\n"
            + render("terminal.j2:edit_keep", is_list=is_list, item=result.item)
            + "\n> "
        )
        stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line or line.strip().casefold() in vocabulary()["commands"]["quit"]:
            return False
        text = line.strip()
        if result.item is not None and not text:
            result = LineEdit(render("flow.j2:unchanged", MarkupKind.TEXT))
            continue
        if not text or (is_list and text.casefold() in vocabulary()["commands"]["done"]):
            return True
        async with transaction(engine) as db:
            found = await find_project(db, name=project)
            if found is None:
                return False
            if result.item is not None:
                result = await replace_item(db, flow, project=found, user=user, step_id=step_id, number=result.item, text=text)
            else:
                result = await edit_line(db, flow, project=found, user=user, step_id=step_id, text=text)
        if not result.again:
            stdout.write(("! " if result.error else "") + result.notice + "\n")
            return True


async def import_measures(engine: AsyncEngine, *, project: str, user: str, path: Path, stdout: TextIO, flow: Flow = PLAN) -> int:
    """A CSV (or tab-separated) file of measures into the plan, as if pasted into its list:
    every row checked first, nothing stored if any is refused (exit code 1)."""
    why, text = "", ""
    try:
        if path.stat().st_size > MAX_TABLE_BYTES:
            why = render("terminal.j2:import_too_large", most=MAX_TABLE_BYTES // 1_000_000)
        else:
            text = path.read_bytes().decode("utf-8-sig")
    except OSError as unreadable:
        why = unreadable.strerror or type(unreadable).__name__
    except UnicodeDecodeError:
        why = render("terminal.j2:table_not_text")
    if why:
        stdout.write(render("terminal.j2:table_unreadable", path=str(path), why=why) + "\n")
        return 1
    async with transaction(engine) as db:
        if (found := await project_named(db, project, stdout)) is None:
            return 1
        state = await load_state(db, found)
        listed = next(i for i in flow.instances(state) if i.step.table is not None)
        pasted = await paste_measures(db, flow, state, listed, text, user, whole_file=True)
    assert pasted is not None
    stdout.write(("! " if pasted.error else "") + pasted.notice + "\n")
    return 1 if pasted.error else 0

"""Fast entry for big plans: a table of measures pasted into the own-measures list (or read from
a CSV file by `socialvalue import-measures`) creates every measure and stores the answers its
cells give, so the conversation asks only what is still missing.

Rows are tab-separated (as a spreadsheet copies them) or comma-separated, with an optional
header row naming the columns in any order. Every cell is checked by the validator of the
question it answers, with that question's context (the measure's unit, its baseline date),
before anything is stored: one refused cell refuses the whole table, each problem named by
row and column.
"""

import csv
from dataclasses import replace
from io import StringIO
from typing import Any

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.conversation.engine import Flow, FlowState, Pasted, StepInstance, load_state
from flows.conversation.inputs import explain
from flows.conversation.runner import store_answer
from prompts import MarkupKind, render
from storage.models import Measure

# The columns, in the order a table without a header row gives them: a part of the list's item,
# or the per-measure question the cell answers.
COLUMNS: dict[str, str] = {
    "name": "name",
    "unit": "unit",
    "framework code": "framework_code",
    "needs": "what.needs",
    "method": "how.method",
    "data source": "how.data_source",
    "baseline": "how.baseline_value",
    "baseline date": "how.baseline_date",
    "target": "how.target_value",
    "target date": "how.target_date",
    "evidence": "how.evidence",
    "owner": "how.owner",
    "cadence": "monitoring.cadence",
    "kind": "how.kind",  # after the first thirteen, so a table made before kinds reads the same
    "profile": "how.profile",
}
ITEM_PARTS = ("name", "unit", "framework code")
ALIASES = {"community": "needs"}  # a header of a table made before needs were records
MAX_ROWS = 200  # more than any plan holds: the plan's own limit names the real one
PROBLEMS_SHOWN = 10


def is_table(text: str) -> bool:
    """A pasted table rather than list lines: tabs, or (without any `|`) three or more
    comma-separated cells on its first line."""
    if "\t" in text:
        return True
    first = text.strip().splitlines()[0] if text.strip() else ""
    return "|" not in text and len(next(csv.reader([first]), [])) >= 3


def _header(cells: list[str]) -> list[str] | None:
    names = [" ".join(cell.replace("_", " ").split()).casefold() for cell in cells]
    names = [ALIASES.get(name, name) for name in names]
    return names if sum(name in COLUMNS for name in names) >= 2 else None


def _rows(text: str) -> list[tuple[int, list[str]]]:
    delimiter = "\t" if "\t" in text else ","
    reader = csv.reader(StringIO(text.strip("\n")), delimiter=delimiter)
    return [(reader.line_num, [cell.strip() for cell in row]) for row in reader if any(cell.strip() for cell in row)]


async def paste_measures(
    db: AsyncSession, flow: Flow, state: FlowState, listed: StepInstance, text: str, user: str, *, whole_file: bool = False
) -> Pasted | None:
    """Create a measure per row and store its cells' answers; None when `text` is not a table
    (a file is read as one whatever its columns). Nothing is stored when any row or cell is refused."""
    if not (whole_file or is_table(text)):
        return None
    markup = MarkupKind.TEXT
    rows = _rows(text)
    columns = _header(rows[0][1]) if rows else None
    if columns is not None:
        rows = rows[1:]
    columns = columns or list(COLUMNS)
    problems: list[str] = []
    if unknown := [name for name in columns if name and name not in COLUMNS]:
        problems.append(render("flow.j2:table_unknown_columns", markup, names=unknown, known=list(COLUMNS)))
    if not rows:
        problems.append(render("flow.j2:table_empty", markup))
    if len(rows) > MAX_ROWS:
        problems.append(render("flow.j2:list_too_many_rows", markup, most=MAX_ROWS))
    if problems:
        return Pasted(render("flow.j2:table_refused", markup, problems=problems, more=0), error=True)

    trial = replace(state, measures=list(state.measures), answers=dict(state.answers))
    items: list[dict[str, Any]] = []
    answers: list[list[tuple[str, Any]]] = []
    for line, cells in rows:
        if len(cells) > len(columns):
            problems.append(render("flow.j2:table_row_columns", markup, row=line, count=len(cells), columns=len(columns)))
            continue
        given = {name: cell for name, cell in zip(columns, cells, strict=False) if name in COLUMNS and cell}
        item, row_answers = _check_row(flow, trial, listed, line, given, problems)
        if item is not None:
            items.append(item)
            answers.append(row_answers)
    if len(items) > (room := listed.validation_context(state).get("room", MAX_ROWS)):
        problems.append(render("flow.j2:table_too_many", markup, count=len(items), room=max(room, 0)))
    if problems:
        shown = problems[:PROBLEMS_SHOWN]
        return Pasted(render("flow.j2:table_refused", markup, problems=shown, more=len(problems) - len(shown)), error=True)

    subjects = await store_answer(db, flow, state, listed, items, user)
    state = await load_state(db, state.project)
    stored = 0
    for subject, row_answers in zip(subjects, answers, strict=True):
        for key, value in row_answers:
            await store_answer(db, flow, state, StepInstance(flow.step(key), subject), value, user)
            stored += 1
        state = await load_state(db, state.project)  # a stored baseline date is the next row's context
    names = [item["name"] for item in items]
    return Pasted(render("flow.j2:table_added", markup, count=len(items), answers=stored, names=names), items=len(items), answers=stored)


def _check_row(
    flow: Flow, trial: FlowState, listed: StepInstance, line: int, given: dict[str, str], problems: list[str]
) -> tuple[dict[str, Any] | None, list[tuple[str, Any]]]:
    """One row checked as the conversation would check its answers, against a measure made up
    for the check (never stored): its unit and baseline date are the next cells' context."""
    markup = MarkupKind.TEXT
    parts = [given.get(name, "") for name in ITEM_PARTS]
    if any("|" in part for part in parts):
        problems.append(render("flow.j2:table_cell", markup, row=line, column="name", why=render("flow.j2:item_part_bar", markup)))
        return None, []
    try:
        [item] = listed.step.given.check(" | ".join(parts).rstrip(" |"), {**listed.validation_context(trial), "room": None})
    except ValidationError as invalid:
        problems.append(render("flow.j2:table_cell", markup, row=line, column="name, unit", why=explain(invalid, markup)))
        return None, []
    measure = Measure(project_id=trial.project.id, key=f"row{line}", name=item["name"], unit=item["unit"])
    trial.measures.append(measure)
    row_answers: list[tuple[str, Any]] = []
    for column, key in COLUMNS.items():
        if column in ITEM_PARTS or column not in given:
            continue
        instance = StepInstance(flow.step(key), measure.key)
        try:
            value = instance.step.given.check(given[column], instance.validation_context(trial))
        except ValidationError as invalid:
            problems.append(render("flow.j2:table_cell", markup, row=line, column=column, why=explain(invalid, markup)))
            continue
        if key in ("how.baseline_date", "how.baseline_value", "how.target_value", "how.target_date"):
            setattr(measure, key.partition(".")[2], value)
        row_answers.append((key, value))
    return item, row_answers

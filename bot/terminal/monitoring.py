"""Progress from the terminal: `socialvalue status` prints the measure table,
`socialvalue update` records an update (from options, or asking for each part)."""

import asyncio
from datetime import date, timedelta
from typing import Any, TextIO

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.progress.updates import UpdateRefused, record_update
from flows.projects import find_project, near_miss
from flows.snapshots import coverage_on, status_on
from prompts import render, vocabulary
from storage.engine import transaction
from storage.models import Project
from storage.projects import LOCAL_TEAM_ID

REMINDED_AHEAD = timedelta(days=7)  # Slack's first reminder of a period comes a week before it is due


async def no_project(db: AsyncSession, name: str, team_id: str = LOCAL_TEAM_ID) -> str:
    """There is no such project: said in one line, with the name of a close one if there is."""
    return render("terminal.j2:no_project", name=name, similar=await near_miss(db, name=name, team_id=team_id))


async def project_named(db: AsyncSession, name: str, stdout: TextIO) -> Project | None:
    """The terminal's project of this name; None once the person was told there is none."""
    found = await find_project(db, name=name)
    if found is None:
        stdout.write(await no_project(db, name) + "\n")
    return found


async def print_status(engine: AsyncEngine, *, project: str, on: date, stdout: TextIO) -> int:
    async with transaction(engine) as db:
        if (found := await project_named(db, project, stdout)) is None:
            return 1
        statuses = await status_on(db, found, on)
        needs = await coverage_on(db, found, on)
    stdout.write(render("terminal.j2:status_table", project=project, statuses=statuses, on=on, coverage=needs) + "\n")
    return 0


async def print_reminders(engine: AsyncEngine, *, project: str, on: date, stdout: TextIO) -> int:
    """What Slack would remind people of, for a team without Slack: each measure due within a
    week or overdue, its owner, and since when."""
    async with transaction(engine) as db:
        if (found := await project_named(db, project, stdout)) is None:
            return 1
        statuses = await status_on(db, found, on)
    due = [s for s in statuses if s.overdue or (s.next_due and s.next_due <= on + REMINDED_AHEAD)]
    stdout.write(render("terminal.j2:reminders", project=found.name, due=due, on=on, ahead=on + REMINDED_AHEAD) + "\n")
    return 0


async def _ask(stdin: TextIO, stdout: TextIO, prompt: str) -> str | None:
    stdout.write(prompt + "\n> ")
    stdout.flush()
    line = await asyncio.to_thread(stdin.readline)
    if not line or line.strip().casefold() in vocabulary()["commands"]["quit"]:
        return None
    return line.strip()


async def update(
    engine: AsyncEngine,
    *,
    project: str,
    user: str,
    on: date,
    fields: dict[str, Any],
    stdin: TextIO,
    stdout: TextIO,
    interactive: bool,
) -> int:
    """Record one update. With every part given as options, a refusal ends with exit code 1;
    otherwise each refused part is asked again."""
    async with transaction(engine) as db:
        found = await find_project(db, name=project)
        statuses = await status_on(db, found, on) if found else []
    if found is None:
        stdout.write(await no_project(db, project) + "\n")
        return 1
    if not fields.get("measure_key"):
        if not interactive:
            return 1
        answer = await _ask(stdin, stdout, render("terminal.j2:pick_measure", statuses=statuses))
        if answer is None:
            return 1
        pick = int(answer) - 1 if answer.isdigit() and 0 < int(answer) <= len(statuses) else None
        fields["measure_key"] = statuses[pick].measure.key if pick is not None else answer
    if interactive and fields.get("value") is None and not fields.get("nothing_to_report"):
        for part in ("value", "note", "evidence"):
            answer = await _ask(stdin, stdout, render(f"terminal.j2:ask_{part}"))
            if answer is None:
                return 1
            fields[part] = answer
    while True:
        try:
            async with transaction(engine) as db:
                stored, status = await record_update(db, found, author=user, today=on, **fields)
        except UpdateRefused as refused:
            for message in refused.errors.values():
                stdout.write(f"! {message}\n")
            if not interactive:
                return 1
            if refused.confirm:
                answer = await _ask(stdin, stdout, render("terminal.j2:ask_confirm"))
                if answer is None or answer.casefold() not in vocabulary()["commands"]["yes"]:
                    return 1
                fields["confirmed"] = True
                continue
            for field in refused.errors:
                answer = await _ask(stdin, stdout, render(f"terminal.j2:ask_{field}"))
                if answer is None:
                    return 1
                fields["measure_key" if field == "measure" else field] = answer
            continue
        stdout.write(render("terminal.j2:update_saved", update=stored, status=status) + "\n")
        return 0

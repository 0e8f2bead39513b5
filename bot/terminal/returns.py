"""`socialvalue export --format csv|xlsx`: the returns of one project or the whole workspace,
one row per measure per reporting period, for a spreadsheet."""

import argparse
from pathlib import Path
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.terminal.monitoring import no_project
from flows.projects import find_project, workspace_of
from flows.returns import ReturnsRefused, project_returns, returns_csv, returns_xlsx, workspace_returns
from prompts import render
from storage.engine import transaction
from storage.models import utcnow


async def export_returns(engine: AsyncEngine, args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
    today = utcnow().date()
    async with transaction(engine) as db:
        if args.all:
            rows = await workspace_returns(db, await workspace_of(db, team_id=args.team), today)
        else:
            project = await find_project(db, name=args.project, team_id=args.team)
            if project is None:
                stderr.write(await no_project(db, args.project, team_id=args.team) + "\n")
                return 1
            rows = await project_returns(db, project, today)
    try:
        data = returns_xlsx(rows) if args.format == "xlsx" else returns_csv(rows).encode()
    except ReturnsRefused as refused:
        stderr.write(render(f"terminal.j2:{refused.reason}", **refused.context) + "\n")
        return 1
    if args.out is None:
        stdout.flush()
        stdout.buffer.write(data)
        stdout.buffer.flush()
    else:
        Path(args.out).write_bytes(data)
        stderr.write(render("terminal.j2:returns_written", rows=len(rows), format=args.format, path=args.out) + "\n")
    return 0

"""`socialvalue workspace export TEAM_ID` and `socialvalue workspace delete TEAM_ID --confirm`:
everything the app holds of a Slack workspace, as JSON, or deleted (the data-deletion path,
for a workspace that asks, typically after uninstalling the app)."""

import argparse
import json
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncEngine

from flows.workspaces import export_workspace
from prompts import render
from storage.engine import transaction
from storage.workspaces import delete_workspace, workspaces_with_team


async def workspace_command(engine: AsyncEngine, args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
    async with transaction(engine) as db:
        found = await workspaces_with_team(db, team_id=args.team)
        if not found:
            stderr.write(render("terminal.j2:workspace_unknown", team=args.team) + "\n")
            return 1
        if args.workspace_command == "export":
            document = {"workspaces": [await export_workspace(db, workspace) for workspace in found]}
        elif not args.confirm:
            stderr.write(render("terminal.j2:workspace_delete_confirm", team=args.team) + "\n")
            return 2
        else:
            installed = [w for w in found if w.uninstalled_at is None]
            counts: dict[str, int] = {}
            for workspace in found:
                for table, count in (await delete_workspace(db, workspace)).items():
                    counts[table] = counts.get(table, 0) + count
    if args.workspace_command == "export":
        text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        if args.out is None:
            stdout.write(text)
        else:
            args.out.write_text(text, encoding="utf-8")
            stderr.write(render("terminal.j2:workspace_exported", team=args.team, path=args.out) + "\n")
        return 0
    stdout.write(render("terminal.j2:workspace_deleted", team=args.team, counts=counts, installed=bool(installed)) + "\n")
    return 0

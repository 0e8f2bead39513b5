"""`socialvalue project editors [add|remove] PERSON… --project NAME` and `socialvalue project
lead PERSON --project NAME`: the terminal's way to the roles Slack's `/socialvalue project`
manages. Whoever runs the terminal holds the database, so it is not refused by them."""

import argparse
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.terminal.monitoring import no_project
from flows.projects import ProjectRefused, find_project
from flows.roles import add_editors, choose_lead, remove_editors, team_of
from prompts import MarkupKind, render
from storage.engine import transaction

COMMAND = "socialvalue"


def words(macro: str, **context: object) -> str:
    return render(f"slack.j2:{macro}", MarkupKind.TEXT, cmd=COMMAND, **context)


async def project_team(engine: AsyncEngine, args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
    if args.project_command == "editors" and bool(args.action) != bool(args.people):
        stderr.write(render("terminal.j2:team_usage") + "\n")
        return 2
    async with transaction(engine) as db:
        project = await find_project(db, name=args.project)
        if project is None:
            stderr.write(await no_project(db, args.project) + "\n")
            return 1
        try:
            if args.project_command == "lead":
                before = await choose_lead(db, project, args.person, by=args.user)
                shown = words("lead_chosen", name=project.name, lead=args.person, before=before)
            elif args.action == "add":
                shown = words("editors_added", name=project.name, added=await add_editors(db, project, args.people, by=args.user))
            elif args.action == "remove":
                removed = await remove_editors(db, project, args.people)
                shown = words("editors_removed", name=project.name, removed=removed, lead_named=project.lead in args.people)
            else:
                team = await team_of(db, project)
                shown = words("team_listing", name=project.name, lead=team.lead, editors=team.editors)
        except ProjectRefused as refused:
            stderr.write(words(refused.reason, **refused.context) + "\n")
            return 1
    stdout.write(shown + "\n")
    return 0

"""`socialvalue community list|add|edit`: a project's communities and their needs, as Slack's
`/socialvalue community` shows and changes them."""

import argparse
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.terminal.monitoring import no_project
from flows.communities import COMMUNITY_PARTS, CommunityRefused, community_form, find_community, save_community
from flows.conversation.engine import load_state
from flows.coverage import coverage
from flows.projects import find_project
from prompts import MarkupKind, render
from storage.engine import transaction


async def community(engine: AsyncEngine, args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
    async with transaction(engine) as db:
        project = await find_project(db, name=args.project)
        if project is None:
            stderr.write(await no_project(db, args.project) + "\n")
            return 1
        state = await load_state(db, project)
        if args.community_command == "list":
            covered = coverage(state)
            shown = [render("communities.j2:listing", coverage=covered, project=project.name, named=True)]
            shown += [render("communities.j2:community", c=c) for c in covered.communities]
            stdout.write("\n\n".join(shown) + "\n")
            return 0
        key, parts = None, {part: getattr(args, part) for part in COMMUNITY_PARTS}
        if args.community_command == "edit":
            found = find_community(state, args.community)
            if found is None:
                names = [c.name for c in state.communities]
                stderr.write(render("communities.j2:unknown", typed=args.community, project=project.name, names=names) + "\n")
                return 1
            current = community_form(state, found)
            key, parts = found.key, {part: value if value is not None else current.parts[part] for part, value in parts.items()}
        needs = "\n".join(args.need) if args.need is not None else None
        try:
            changes = await save_community(db, project, user=args.user, key=key, parts=parts, needs=needs, markup=MarkupKind.TEXT)
        except CommunityRefused as refused:
            stderr.write(render("terminal.j2:fields_refused", errors=refused.errors) + "\n")
            return 1
    name = parts.get("name") or ""
    if not changes:
        stdout.write(render("communities.j2:nothing_changed", name=name) + "\n")
    else:
        stdout.write(render("communities.j2:saved", project=project.name, name=name, changes=changes) + "\n")
    return 0

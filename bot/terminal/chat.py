"""The terminal chat: the plan flow one line at a time, from a keyboard or a pipe."""

import asyncio
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncEngine

from flows.conversation.engine import Flow
from flows.conversation.runner import ASKING, COMPLETE, Reply, answer_flow, open_flow
from flows.plan import PLAN
from flows.projects import local_project
from prompts import render, vocabulary
from storage.engine import transaction


def show(reply: Reply) -> str:
    return render("terminal.j2:show_reply", reply=reply)


async def chat(engine: AsyncEngine, *, project: str, user: str, stdin: TextIO, stdout: TextIO, flow: Flow = PLAN) -> bool:
    """Run `flow` line by line; True if it was completed."""
    async with transaction(engine) as db:
        found = await local_project(db, name=project, lead=user)
        reply = await open_flow(db, flow, project=found, user=user)
    stdout.write(render(f"terminal.j2:welcome_{flow.name}", project=project) + "\n\n" + show(reply) + "\n")
    quit_words = vocabulary()["commands"]["quit"]
    while reply.status == ASKING:
        stdout.write("> ")
        stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line or line.strip().casefold() in quit_words:
            stdout.write("\n" + render("terminal.j2:left") + "\n")
            return False
        async with transaction(engine) as db:
            found = await local_project(db, name=project, lead=user)
            reply = await answer_flow(db, flow, project=found, user=user, text=line.rstrip("\n"))
        stdout.write("\n" + show(reply) + "\n")
    stdout.flush()
    return reply.status == COMPLETE

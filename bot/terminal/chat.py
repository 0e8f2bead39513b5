"""The terminal chat: the plan flow one line at a time, from a keyboard or a pipe."""

import asyncio
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.terminal.edit import edit_plan
from flows.conversation.engine import Flow
from flows.conversation.runner import ASKING, COMPLETE, Reply, answer_flow, open_flow
from flows.plan import PLAN
from flows.projects import local_project, near_miss
from prompts import render, vocabulary
from storage.engine import transaction


def show(reply: Reply) -> str:
    return render("terminal.j2:show_reply", reply=reply)


async def chat(engine: AsyncEngine, *, project: str, user: str, stdin: TextIO, stdout: TextIO, flow: Flow = PLAN) -> bool:
    """Run `flow` line by line; True if it was completed. Once it is, `edit` goes through its
    answers again and `show` prints it, until quit or the end of input. A name close to an
    existing project's (a typo) is asked about before a new project is made."""
    async with transaction(engine) as db:
        similar = await near_miss(db, name=project)
    if similar is not None:
        stdout.write(render("terminal.j2:did_you_mean", name=project, similar=similar) + "\n> ")
        stdout.flush()
        line = (await asyncio.to_thread(stdin.readline)).strip().casefold()
        if line in vocabulary()["commands"]["yes"]:
            project = similar
        elif line not in vocabulary()["commands"]["no"]:
            stdout.write("\n" + render("terminal.j2:left") + "\n")
            return False
    async with transaction(engine) as db:
        found = await local_project(db, name=project, lead=user)
        reply = await open_flow(db, flow, project=found, user=user)
    stdout.write(render(f"terminal.j2:welcome_{flow.name}", project=project) + "\n\n" + show(reply) + "\n")
    commands = vocabulary()["commands"]
    while reply.status in (ASKING, COMPLETE):
        if reply.status == COMPLETE:
            stdout.write("\n" + render("terminal.j2:complete_commands") + "\n")
        stdout.write("> ")
        stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line or line.strip().casefold() in commands["quit"]:
            if reply.status == ASKING:
                stdout.write("\n" + render("terminal.j2:left") + "\n")
            stdout.flush()
            return reply.status == COMPLETE
        if reply.status == COMPLETE:
            word, _, target = line.strip().partition(" ")
            if word.casefold() in commands["edit"]:
                await edit_plan(engine, project=project, user=user, target=target.strip() or None, stdin=stdin, stdout=stdout, flow=flow)
            elif word.casefold() in commands["show"]:
                stdout.write("\n" + reply.text + "\n")
            async with transaction(engine) as db:  # an edit may have left a question to answer
                found = await local_project(db, name=project, lead=user)
                reply = await open_flow(db, flow, project=found, user=user)
            if reply.status == ASKING:
                stdout.write("\n" + show(reply) + "\n")
            continue
        async with transaction(engine) as db:
            found = await local_project(db, name=project, lead=user)
            reply = await answer_flow(db, flow, project=found, user=user, text=line.rstrip("\n"))
        stdout.write("\n" + show(reply) + "\n")
    stdout.flush()
    return reply.status == COMPLETE

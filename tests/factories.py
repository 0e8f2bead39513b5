"""Rows and conversations that tests start from."""

from flows.plan import PLAN
from flows.projects import local_project
from flows.runner import Reply, answer_flow, open_flow
from storage.engine import transaction


async def start_plan(engine, project: str = "A38 Derby Junctions", user: str = "alice") -> Reply:
    async with transaction(engine) as db:
        found = await local_project(db, name=project, lead=user)
        return await open_flow(db, PLAN, project=found, user=user)


async def say(engine, text: str, project: str = "A38 Derby Junctions", user: str = "alice") -> Reply:
    """One message from `user`, in its own transaction, as every transport sends it."""
    async with transaction(engine) as db:
        found = await local_project(db, name=project, lead=user)
        return await answer_flow(db, PLAN, project=found, user=user, text=text)


async def say_all(engine, *texts: str, **kwargs) -> Reply:
    reply = None
    for text in texts:
        reply = await say(engine, text, **kwargs)
    return reply

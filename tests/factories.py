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


async def plan_in_slack(
    engine, answers: list[str], *, team: str = "T0001", channel: str = "C0001", lead: str = "ULEAD",
    name: str = "A38 Derby Junctions",
):
    """A project created in a Slack workspace, its plan answered by its lead through the runner."""
    from flows.projects import new_project, workspace_of

    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id=team)
        project = await new_project(db, workspace, name=name, channel=channel, lead=lead)
        await open_flow(db, PLAN, project=project, user=lead)
        for answer in answers:
            await answer_flow(db, PLAN, project=project, user=lead, text=answer)
    return project

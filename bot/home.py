"""App Home: each user's projects and how far their plans are."""

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.blocks import HomeProject, home_view
from flows.plan import PLAN
from flows.presenting import plan_completions
from flows.projects import user_projects, workspace_of
from storage.engine import transaction


async def publish_home(
    engine: AsyncEngine, client: AsyncWebClient, *, team_id: str, enterprise_id: str | None, user: str
) -> None:
    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id=team_id, enterprise_id=enterprise_id)
        projects = await user_projects(db, workspace, user)
        done = await plan_completions(db, PLAN, projects)
        shown = [HomeProject(p.id, p.name, p.channel_id, *done[p.id]) for p in projects]
    await client.views_publish(user_id=user, view=home_view(shown))

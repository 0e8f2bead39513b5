"""App Home: each user's projects and how far their plans are."""

from bot.slack.blocks.case_studies import words
from bot.slack.blocks.home import HomeProject, home_view
from bot.slack.scope import Request, workspace_scope
from bot.slack.services.rights import as_member_or_guest
from flows.case_studies import ON_HOME, case_study_listing, reader_of
from flows.conversation.presenting import plan_completions
from flows.plan import PLAN
from flows.projects import user_projects
from storage.engine import transaction


async def publish_home(request: Request) -> None:
    request = await as_member_or_guest(request)
    user = request.caller.user
    async with transaction(request.engine) as db:
        workspace = await workspace_scope(db, request.caller)
        projects = await user_projects(db, workspace, user)
        done = await plan_completions(db, PLAN, projects)
        reader = await reader_of(db, workspace, user, guest=request.caller.guest)
        latest = await case_study_listing(db, workspace, project=None, scale=None, reader=reader, limit=ON_HOME)
    shown = [HomeProject(p.id, p.name, p.channel_id, *done[p.id]) for p in projects]
    case_studies = words("on_home", studies=latest.studies, total=latest.total)
    await request.client.views_publish(user_id=user, view=home_view(shown, case_studies))

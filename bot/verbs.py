"""What users ask of the app, by slash command or in a direct message: new, plan, status,
projects, help. Each returns what to show the caller; the listener decides where."""

from dataclasses import dataclass
from datetime import date, datetime

from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.blocks import edit_buttons, mrkdwn, summary_messages
from bot.conversation import deliver, open_dm, post_messages
from bot.slack_text import text_from_message
from flows.plan import PLAN
from flows.presenting import overview, plan_completions
from flows.progress import project_status
from flows.projects import (
    ProjectRefused,
    new_project,
    project_by_id,
    project_meant,
    workspace_of,
    workspace_projects,
)
from flows.registry import FLOWS, flow_of_step
from flows.runner import active_conversation, answer_flow, open_flow
from prompts import MarkupKind
from storage.engine import transaction
from storage.slack_events import claim_event


@dataclass(frozen=True)
class Caller:
    team_id: str
    enterprise_id: str | None
    user: str
    channel: str  # where the caller spoke


@dataclass(frozen=True)
class Answer:
    """What to show the caller: messages of blocks (or one text), visible to the channel or not."""

    text: str
    groups: tuple[list[Block], ...] = ()
    public: bool = False


def split_verb(text: str) -> tuple[str, str]:
    verb, _, rest = text.strip().partition(" ")
    return verb.casefold(), rest.strip()


def refusal(refused: ProjectRefused) -> Answer:
    return Answer(mrkdwn(refused.reason, **refused.context))


async def create(engine: AsyncEngine, caller: Caller, name: str) -> Answer:
    try:
        async with transaction(engine) as db:
            workspace = await workspace_of(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)
            project = await new_project(db, workspace, name=name, channel=caller.channel, lead=caller.user)
    except ProjectRefused as refused:
        return refusal(refused)
    return Answer(mrkdwn("project_created", name=project.name, lead=caller.user), public=True)


async def plan(
    engine: AsyncEngine, client: AsyncWebClient, caller: Caller, name: str, *, thread_ts: str | None = None,
    in_place: bool = False, project_id: int | None = None, now: datetime,
) -> Answer | None:
    """Start or resume the plan: in the caller's DM, or where they are (`in_place`)."""
    try:
        async with transaction(engine) as db:
            workspace = await workspace_of(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)
            if project_id is not None:
                project = await project_by_id(db, workspace, project_id)
            else:
                project = await project_meant(db, workspace, name=name, channel=caller.channel, user=caller.user)
            reply = await open_flow(db, PLAN, project=project, user=caller.user, markup=MarkupKind.MRKDWN)
    except ProjectRefused as refused:
        return refusal(refused)
    channel = caller.channel if in_place else await open_dm(client, caller.user)
    await deliver(client, engine, project=project, user=caller.user, reply=reply, channel=channel, thread_ts=thread_ts, now=now)
    return None if in_place else Answer(mrkdwn("plan_sent", name=project.name))


async def status(engine: AsyncEngine, caller: Caller, name: str, today: date) -> Answer:
    """Each measure's rating and progress, then the plan summary with its Edit buttons."""
    try:
        async with transaction(engine) as db:
            workspace = await workspace_of(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)
            project = await project_meant(db, workspace, name=name, channel=caller.channel, user=caller.user)
            summary = await overview(db, PLAN, project, MarkupKind.MRKDWN)
            statuses = await project_status(db, project, today)
    except ProjectRefused as refused:
        return refusal(refused)
    text = (mrkdwn("measures_status", statuses=statuses) + "\n\n" if statuses else "") + summary.summary
    groups = summary_messages(text, edit_buttons(project.id, summary.edit_targets))
    return Answer(summary.summary, tuple(groups))


async def projects(engine: AsyncEngine, caller: Caller) -> Answer:
    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)
        projects = await workspace_projects(db, workspace)
        done = await plan_completions(db, PLAN, projects)
        listed = [{"name": p.name, "channel": p.channel_id, "answered": done[p.id][0], "total": done[p.id][1]} for p in projects]
    return Answer(mrkdwn("project_list", projects=listed))


def help_answer() -> Answer:
    return Answer(mrkdwn("help"))


async def converse(
    engine: AsyncEngine, client: AsyncWebClient, *, team_id: str, enterprise_id: str | None, user: str,
    text: str, channel: str, thread_ts: str | None, event_id: str | None, now: datetime,
) -> None:
    """A message in the app's DM or assistant thread: an answer to the user's open plan, or,
    with no plan open, one of the verbs. A delivery Slack retries is handled once."""
    text = text_from_message(text)
    reply = None
    async with transaction(engine) as db:
        if event_id and not await claim_event(db, event_id):
            return
        workspace = await workspace_of(db, team_id=team_id, enterprise_id=enterprise_id)
        conversation = await active_conversation(db, workspace_id=workspace.id, user=user)
        if conversation is not None:
            project, flow = conversation[0], FLOWS[conversation[1].flow]
            reply = await answer_flow(db, flow, project=project, user=user, text=text, markup=MarkupKind.MRKDWN)
    if reply is not None:
        await deliver(client, engine, project=project, user=user, reply=reply, channel=channel, thread_ts=thread_ts, now=now, flow=flow)
        return
    caller = Caller(team_id, enterprise_id, user, channel)
    verb, rest = split_verb(text)
    if verb == "plan":
        answer = await plan(engine, client, caller, rest, thread_ts=thread_ts, in_place=True, now=now)
    elif verb == "status":
        answer = await status(engine, caller, rest, now.date())
    elif verb == "projects":
        answer = await projects(engine, caller)
    elif verb == "help":
        answer = help_answer()
    else:
        answer = Answer(mrkdwn("not_in_a_plan"))
    if answer is not None:
        await post_answer(client, answer, channel=channel, thread_ts=thread_ts)


async def post_answer(client: AsyncWebClient, answer: Answer, *, channel: str, thread_ts: str | None) -> None:
    if answer.groups:
        await post_messages(client, channel=channel, thread_ts=thread_ts, groups=list(answer.groups), text=answer.text)
    else:
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=answer.text)


async def click(
    engine: AsyncEngine, client: AsyncWebClient, caller: Caller, *, project_id: int, step: str, text: str,
    thread_ts: str | None, now: datetime,
) -> None:
    """A button or menu of a question message: the answer to that step, if it is still current."""
    try:
        async with transaction(engine) as db:
            workspace = await workspace_of(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)
            project = await project_by_id(db, workspace, project_id)
            flow = flow_of_step(step)
            reply = await answer_flow(
                db, flow, project=project, user=caller.user, text=text, markup=MarkupKind.MRKDWN, expected_step=step
            )
    except ProjectRefused as refused:
        await post_answer(client, refusal(refused), channel=caller.channel, thread_ts=thread_ts)
        return
    await deliver(
        client, engine, project=project, user=caller.user, reply=reply, channel=caller.channel, thread_ts=thread_ts,
        now=now, flow=flow,
    )

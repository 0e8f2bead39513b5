"""What users ask of the app about plans, by slash command or in a direct message: new, plan,
status, projects, help; and the answers to a plan's questions, typed or clicked. Each returns
what to show the caller (the handler shows it) or shows the conversation itself."""

import logging

from bot.slack.blocks.summaries import edit_buttons
from bot.slack.blocks.text import mrkdwn, summary_messages
from bot.slack.ids import StepRef
from bot.slack.message_text import split_verb, text_from_message
from bot.slack.scope import Answer, Request, project_scope, workspace_scope
from bot.slack.services.channels import channel_check
from bot.slack.services.conversation import deliver, open_dm
from bot.slack.services.rights import as_member_or_guest, handover_refusal
from flows.conversation.engine import Flow, load_state
from flows.conversation.presenting import overview, plan_completions
from flows.conversation.registry import FLOWS, flow_of_step
from flows.conversation.runner import Reply, ReplyStatus, active_conversation, answer_flow, open_flow
from flows.handover import HANDOVER
from flows.people import unreminded
from flows.plan import PLAN
from flows.progress.status import project_status
from flows.projects import ProjectRefused, new_project, workspace_projects
from flows.roles import check_may_change, readable, team_of
from prompts import MarkupKind
from storage.engine import transaction
from storage.models import Project
from storage.slack_events import claim_event

logger = logging.getLogger(__name__)


async def create(request: Request, name: str) -> Answer:
    """A project for the caller's channel, once the app can post there."""
    caller = request.caller
    if caller.guest:  # told apart by the command handler (bot/slack/services/rights.py)
        return Answer(mrkdwn("guest_cannot_create"))
    refused, private = await channel_check(request, caller.channel)
    if refused is not None:
        return refused
    async with transaction(request.engine) as db:
        workspace = await workspace_scope(db, caller)
        project = await new_project(db, workspace, name=name, channel=caller.channel, lead=caller.user, private=private)
    return Answer(mrkdwn("project_created", name=project.name, lead=caller.user), public=True)


async def plan(request: Request, name: str, *, in_place: bool = False, project_id: int | None = None) -> Answer | None:
    """Start or resume the plan: in the caller's DM, or where they are (`in_place`)."""
    caller = request.caller
    async with transaction(request.engine) as db:
        project = (await project_scope(db, caller, project_id=project_id, name=name)).project
        await check_may_change(db, project, caller.user)
        reply = await open_flow(db, PLAN, project=project, user=caller.user, markup=MarkupKind.MRKDWN)
    channel = caller.channel if in_place else await open_dm(request.client, caller.user)
    thread_ts = request.thread_ts if in_place else None
    await deliver(request.client, request.engine, project=project, reply=reply, channel=channel, thread_ts=thread_ts, flow=PLAN)
    return None if in_place else Answer(mrkdwn("plan_sent", name=project.name))


async def status(request: Request, name: str) -> Answer:
    """Each measure's rating and progress, then the plan summary with its Edit buttons."""
    async with transaction(request.engine) as db:
        scope = await project_scope(db, request.caller, name=name)
        project = scope.project
        state = await load_state(db, project)
        summary = overview(PLAN, state, MarkupKind.MRKDWN)
        statuses = await project_status(db, project, request.now().date(), state=state)
        silent = await unreminded(db, scope.workspace, state.measures)
        team = await team_of(db, project)
    text = (mrkdwn("measures_status", statuses=statuses, unreminded=silent) + "\n\n" if statuses else "") + summary.summary
    text += "\n\n" + mrkdwn("team_line", lead=team.lead, editors=team.editors)
    groups = summary_messages(text, edit_buttons(project.id, summary.edit_targets))
    return Answer(summary.summary, tuple(groups))


async def projects(request: Request) -> Answer:
    async with transaction(request.engine) as db:
        workspace = await workspace_scope(db, request.caller)
        caller = request.caller
        found = await readable(db, await workspace_projects(db, workspace), caller.user, channel=caller.channel, guest=caller.guest)
        done = await plan_completions(db, PLAN, found)
    listed = [{"name": p.name, "channel": p.channel_id, "answered": done[p.id][0], "total": done[p.id][1]} for p in found]
    text = mrkdwn("project_list", projects=listed)
    return Answer(text, tuple(summary_messages(text)))  # hundreds of projects: several messages, or the DM


def help_answer() -> Answer:
    return Answer(mrkdwn("help"))


async def converse(request: Request, text: str) -> Answer | None:
    """A message in the app's DM or assistant thread: an answer to the user's open
    conversation, or, with none open, one of the verbs. A delivery Slack retries is handled
    once: the event is claimed in the transaction that stores the answer. The worker's replay
    of one already handled asks the current question again, in case it was never posted."""
    caller, event_id = request.caller, request.body.get("event_id")
    if caller.outsider:
        raise ProjectRefused("outsider_refused")
    text = text_from_message(text)
    async with transaction(request.engine) as db:
        first = not event_id or await claim_event(db, event_id)
        if not first and not request.replayed:
            return None
        conversation = await active_conversation(
            db, team_id=caller.team_id, enterprise_id=caller.enterprise_id, user=caller.user, place=(caller.channel, request.thread_ts)
        )
        elsewhere = conversation is None and await active_conversation(
            db, team_id=caller.team_id, enterprise_id=caller.enterprise_id, user=caller.user
        )
        if conversation is not None:
            project, session = conversation
            # The next question goes where the conversation is held (a reply under a question's
            # thread does not move it into that thread).
            place = (session.channel or caller.channel, session.thread_ts)
            flow = FLOWS[session.flow]
            if flow is PLAN:  # begun before the lead took their editing away
                await check_may_change(db, project, caller.user)
            if first:
                reply = await answer_flow(
                    db,
                    flow,
                    project=project,
                    user=caller.user,
                    text=text,
                    markup=MarkupKind.MRKDWN,
                    flow_session=session,
                    queue_effects=True,
                    now=request.now(),
                )
            else:  # stored by a process that may have died before it asked the next question
                reply = await open_flow(db, flow, project=project, user=caller.user, markup=MarkupKind.MRKDWN)
        elif not first:
            return None
    if conversation is not None:
        return await show_reply(request, project, reply, flow, place=place)
    verb, rest = split_verb(text)
    if verb in ("plan", "status", "projects"):
        request = await as_member_or_guest(request)  # typed in the DM, read as the slash command reads
    if verb == "plan":
        return await plan(request, rest, in_place=True)
    if verb == "status":
        return await status(request, rest)
    if verb == "projects":
        return await projects(request)
    if verb == "help":
        return help_answer()
    return Answer(mrkdwn("answer_elsewhere" if elsewhere else "not_in_a_plan"))


async def click(request: Request, asked: StepRef, text: str) -> Answer | None:
    """A button or menu of a question message: the answer to that step, if it is still current."""
    caller = request.caller
    flow = flow_of_step(asked.step)
    if flow is HANDOVER and (refused := await handover_refusal(request, project_id=asked.project)):
        return Answer(refused)
    async with transaction(request.engine) as db:
        project = (await project_scope(db, caller, project_id=asked.project)).project
        if flow is PLAN:
            await check_may_change(db, project, caller.user)
        reply = await answer_flow(
            db,
            flow,
            project=project,
            user=caller.user,
            text=text,
            markup=MarkupKind.MRKDWN,
            expected_step=asked.step,
            queue_effects=True,
            now=request.now(),
        )
    return await show_reply(request, project, reply, flow)


async def show_reply(
    request: Request, project: Project, reply: Reply, flow: Flow, place: tuple[str, str | None] | None = None
) -> Answer | None:
    """Show a reply whose answer is already stored, where the caller acted or in `place`. If
    Slack refuses the next question, the user is told their answer was kept; the question was
    not marked shown, so their next message asks it again rather than being taken as its answer."""
    channel, thread_ts = place or (request.caller.channel, request.thread_ts)
    try:
        await deliver(request.client, request.engine, project=project, reply=reply, channel=channel, thread_ts=thread_ts, flow=flow)
    except Exception:
        logger.exception("showing the reply to %s failed", request.caller.user)
        return Answer(mrkdwn("next_question_not_shown")) if reply.status == ReplyStatus.ASKING and not reply.error else None
    return None

"""Case studies in Slack: `/socialvalue casestudy [NAME]`, the message shortcut "Save as case
study", the form (saved before its ack), `/socialvalue casestudies [NAME|all] [scale]` with
each study's Edit button."""

from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.slack.blocks.case_studies import case_study_view, listing_blocks, words
from bot.slack.blocks.text import messages, shorten
from bot.slack.handler import FormResult, submission_key
from bot.slack.ids import CaseStudyForm, CaseStudyRef
from bot.slack.message_text import text_from_message
from bot.slack.scope import Answer, Request, project_scope, workspace_scope
from bot.slack.services.edits import submitted_values
from bot.worker.kinds import queue_dm
from bot.worker.loop import send_now
from flows.case_studies import (
    MAX_STORY,
    CaseStudyInvalid,
    CaseStudyRefused,
    beneficiaries,
    case_study_listing,
    find_case_study,
    may_edit,
    parse_scale,
    reader_of,
    record_case_study,
    story_of,
)
from flows.projects import ProjectRefused, project_by_id
from prompts import MarkupKind, render
from storage.engine import transaction
from storage.models import Project
from storage.slack_events import claim_event

TITLE_FROM_MESSAGE = 80  # a message's first words, as a title to start from
ALL = "all"


async def _project_meant(db: AsyncSession, request: Request, name: str) -> Project | None:
    """The project named (refused if there is none of that name), else the channel's or the
    caller's only one, else none: the case study is organisation-wide."""
    if name:
        return (await project_scope(db, request.caller, name=name)).project
    try:
        return (await project_scope(db, request.caller)).project
    except ProjectRefused as refused:
        if refused.reason == "outsider_refused":
            raise
        return None


async def open_case_study_form(request: Request, name: str) -> Answer | None:
    """`/socialvalue casestudy [NAME]`: the empty form, dated today."""
    async with transaction(request.engine) as db:
        project = await _project_meant(db, request, name)
        choices = await beneficiaries(db, project)
    metadata = CaseStudyForm(project=project.id if project else None)
    initial: dict[str, str | None] = {"happened_on": request.now().date().isoformat()}
    view = case_study_view(metadata=metadata, project=project.name if project else None, beneficiaries=choices, initial=initial)
    await request.client.views_open(trigger_id=request.body["trigger_id"], view=view)
    return None


async def open_from_message(request: Request) -> Answer | None:
    """The message shortcut: a draft holding the message's text and permalink. Only for a
    message the app may read: in a conversation it is a member of, never a private one."""
    channel = str((request.body.get("channel") or {}).get("id", ""))
    message = request.body.get("message") or {}
    try:
        info = (await request.client.conversations_info(channel=channel))["channel"]
    except SlackApiError:  # channel_not_found, missing_scope for a direct message: not one the app is in
        return Answer(words("shortcut_unreadable", private=channel.startswith(("D", "G"))))
    if info.get("is_im") or info.get("is_mpim"):
        return Answer(words("shortcut_private"))
    if not info.get("is_member"):
        return Answer(words("shortcut_unreadable", private=False))
    try:
        permalink = str((await request.client.chat_getPermalink(channel=channel, message_ts=str(message.get("ts", ""))))["permalink"])
    except SlackApiError:  # message_not_found: deleted meanwhile, or in a thread the app cannot see
        return Answer(words("shortcut_unreadable", private=False))
    async with transaction(request.engine) as db:
        project = await _project_meant(db, request, "")
        choices = await beneficiaries(db, project)
    text = text_from_message(str(message.get("text", ""))).strip()
    initial: dict[str, str | None] = {
        "title": shorten(text.splitlines()[0], TITLE_FROM_MESSAGE) if text else None,
        "what_happened": shorten(text, MAX_STORY) if text else None,
        "happened_on": request.now().date().isoformat(),
    }
    metadata = CaseStudyForm(project=project.id if project else None, permalink=permalink[:500])
    view = case_study_view(metadata=metadata, project=project.name if project else None, beneficiaries=choices, initial=initial)
    await request.client.views_open(trigger_id=request.body["trigger_id"], view=view)
    return None


async def open_edit_form(request: Request, ref: CaseStudyRef) -> Answer | None:
    """A listed study's Edit: the form filled with it, for its author or its project's lead."""
    async with transaction(request.engine) as db:
        workspace = await workspace_scope(db, request.caller)
        try:
            study = await find_case_study(db, workspace, ref.study)
        except CaseStudyRefused as refused:
            return Answer(words(refused.reason, **refused.context))
        project = await project_by_id(db, workspace, study.project_id) if study.project_id else None
        if not may_edit(study, project, request.caller.user):
            return Answer(words("case_study_not_yours", author=study.author, lead=project.lead if project else None))
        choices = await beneficiaries(db, project)
    metadata = CaseStudyForm(project=study.project_id, study=study.id, permalink=study.permalink)
    view = case_study_view(metadata=metadata, project=project.name if project else None, beneficiaries=choices, initial=story_of(study))
    await request.client.views_open(trigger_id=request.body["trigger_id"], view=view)
    return None


async def save_case_study_form(request: Request) -> tuple[FormResult, Callable[[], Awaitable[object]] | None]:
    """Check and store the form before the ack (refusals show under their fields), and queue
    the author's confirmation; the same submission sent twice is stored once."""
    view, caller, now = request.body["view"], request.caller, request.now()
    metadata = CaseStudyForm.decode(view.get("private_metadata"))
    raw = submitted_values(view) | {"permalink": metadata.permalink}
    blocks = {block.get("block_id") for block in view.get("blocks", [])}
    try:
        async with transaction(request.engine) as db:
            if not await claim_event(db, submission_key(view)):
                return None, None
            workspace = await workspace_scope(db, caller)
            project = await project_by_id(db, workspace, metadata.project) if metadata.project else None
            study = await record_case_study(
                db, workspace, project=project, raw=raw, author=caller.user, now=now, markup=MarkupKind.TEXT, study_id=metadata.study
            )
            saved = words("saved", study=study, project=project.name if project else None, new=metadata.study is None)
            key = await queue_dm(
                db, key=f"saved:case_study:{study.id}:{now.isoformat()}", to=caller.user, text=saved, now=now, workspace_id=workspace.id
            )
    except CaseStudyInvalid as invalid:
        errors: dict[str, str] = {}
        for field, message in invalid.errors.items():
            block = field if field in blocks else ("benefited" if field == "benefited_key" else "title")
            errors[block] = shorten(f"{errors[block]} {message}" if block in errors else message, 2000)
        return {"response_action": "errors", "errors": errors}, None
    except (CaseStudyRefused, ProjectRefused) as refused:
        template = "case_studies.j2" if isinstance(refused, CaseStudyRefused) else "slack.j2"
        return {
            "response_action": "errors",
            "errors": {"title": render(f"{template}:{refused.reason}", MarkupKind.TEXT, **refused.context)},
        }, None
    return None, lambda: send_now(request.engine, request.client, request.clock, [key])


def _listing_args(rest: str) -> tuple[str, str | None]:
    """`[NAME|all] [scale]`: the name (or all, or nothing), and the scale if the words end with one."""
    parts = rest.split()
    for size in (2, 1):
        if len(parts) >= size:
            try:
                return " ".join(parts[:-size]), parse_scale(" ".join(parts[-size:]))
            except ValueError:
                continue
    return rest.strip(), None


async def list_case_studies(request: Request, rest: str) -> Answer:
    """`/socialvalue casestudies [NAME|all] [scale]`: the newest the caller may read."""
    name, scale = _listing_args(rest)
    async with transaction(request.engine) as db:
        workspace = await workspace_scope(db, request.caller)
        project = None if name.casefold() == ALL else await _project_meant(db, request, name)
        here = project if project is not None and project.channel_id == request.caller.channel else None
        reader = await reader_of(db, workspace, request.caller.user, also=here, guest=request.caller.guest)
        listing = await case_study_listing(db, workspace, project=project, scale=scale, reader=reader)
    heading = words("listing", studies=listing.studies, total=listing.total, project=project.name if project else None, scale=scale)
    return Answer(heading, tuple(messages(listing_blocks(heading, listing.studies))))

"""`/socialvalue assessment YEAR [NAME]`: the year's performance assessment draft, built by the
worker and sent to the lead who asked, as a document and a spreadsheet."""

from bot.slack.blocks.text import mrkdwn
from bot.slack.scope import Answer, Request, project_scope
from bot.slack.services.rights import handover_refusal
from flows.conversation.inputs import EARLIEST_YEAR, LATEST_YEAR
from flows.outbox import AssessmentDraft, queue
from storage.engine import transaction


async def assessment(request: Request, rest: str) -> Answer:
    year, _, name = rest.strip().partition(" ")
    if not (year.isascii() and year.isdigit() and EARLIEST_YEAR <= int(year) <= LATEST_YEAR):
        return Answer(mrkdwn("assessment_year_invalid", name=name.strip()))
    refused = await handover_refusal(request, name=name.strip(), refusal="assessment_refused")
    if refused is not None:
        return Answer(refused)
    async with transaction(request.engine) as db:
        project = (await project_scope(db, request.caller, name=name.strip())).project
        draft = AssessmentDraft(project_id=project.id, year=int(year), requested_by=request.caller.user)
        await queue(db, draft, due_at=request.now(), workspace_id=project.workspace_id)
    return Answer(mrkdwn("assessment_coming", name=project.name, year=year))

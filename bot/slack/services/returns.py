"""`/socialvalue export [NAME|all] [csv|xlsx]`: the returns as a spreadsheet, built by the
worker and uploaded to the DM of who asked (a project's lead or an admin; every project: admins)."""

from bot.slack.blocks.text import mrkdwn
from bot.slack.scope import Answer, Request, project_scope, workspace_scope
from bot.slack.services.rights import handover_refusal, is_admin
from flows.outbox import ReturnsExport, queue
from flows.returns import FORMATS
from storage.engine import transaction

ALL = "all"


async def export_returns(request: Request, rest: str) -> Answer:
    words = rest.split()
    fmt = words.pop().casefold() if words and words[-1].casefold() in FORMATS else "xlsx"
    name = " ".join(words)
    everything = name.casefold() == ALL
    if everything and not await is_admin(request):
        return Answer(mrkdwn("export_all_refused"))
    if not everything:
        refused = await handover_refusal(request, name=name, refusal="export_refused")
        if refused is not None:
            return Answer(refused)
    async with transaction(request.engine) as db:
        workspace = await workspace_scope(db, request.caller)
        project = None if everything else (await project_scope(db, request.caller, name=name)).project
        export = ReturnsExport(workspace.id, project.id if project else None, fmt, request.caller.user)
        await queue(db, export, due_at=request.now(), workspace_id=workspace.id)
    return Answer(mrkdwn("export_coming", all=everything, name=project.name if project else "", format=fmt))

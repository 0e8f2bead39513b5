"""The handover conversation: what the next custodians need to know, asked of the project
lead the first time a handover pack is wanted, and editable after (same flow engine)."""

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from flows.conversation.engine import Flow, FlowState, Step
from flows.conversation.inputs import DateGiven, InputKind, NumberGiven, TextGiven, YesNoGiven
from flows.outbox import HandoverPack, OutboxJob
from flows.plan import to_project

AFTERCARE_YEARS = 3  # Government Soft Landings: three years of aftercare after handover
MAX_AFTERCARE_YEARS = 50


def continues(state: FlowState, subject: str) -> bool:
    return state.value("handover.continues", subject) is not False


def aftercare_years(_state: FlowState, _subject: str) -> dict[str, Any]:
    return {"unit": "years", "maximum": MAX_AFTERCARE_YEARS}


async def prepare_pack(_db: AsyncSession, state: FlowState, user: str, _now: datetime) -> list[OutboxJob]:
    """The handover answers complete: the pack is built and shared by the worker."""
    return [HandoverPack(project_id=state.project.id, requested_by=user)]


HANDOVER = Flow(
    name="handover",
    version=1,
    questions=("handover",),
    summary="handover/summary.j2",
    on_complete=prepare_pack,
    steps=(
        Step("handover.date", InputKind.DATE, DateGiven, "handover/flow.j2:date", store=to_project("handover_date")),
        Step("handover.custodian", InputKind.TEXT, TextGiven, "handover/flow.j2:custodian", store=to_project("next_custodian")),
        Step("handover.contact", InputKind.TEXT, TextGiven, "handover/flow.j2:contact"),
        Step("handover.lessons", InputKind.TEXT, TextGiven, "handover/flow.j2:lessons"),
        Step("handover.continues", InputKind.YES_NO, YesNoGiven, "handover/flow.j2:continues", for_each="measure"),
        Step(
            "handover.aftercare_years",
            InputKind.NUMBER,
            NumberGiven,
            "handover/flow.j2:aftercare_years",
            for_each="measure",
            condition=continues,
            context=aftercare_years,
        ),
        Step(
            "handover.aftercare_owner",
            InputKind.TEXT,
            TextGiven,
            "handover/flow.j2:aftercare_owner",
            for_each="measure",
            condition=continues,
            person=True,
        ),
    ),
)

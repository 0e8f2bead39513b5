"""The handover conversation: what the next custodians need to know, asked of the project
lead the first time a handover pack is wanted, and editable after (same flow engine)."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.conversation.engine import Flow, FlowState, Step, StepInstance, load_state
from flows.conversation.inputs import DateGiven, InputKind, NumberGiven, TextGiven, YesNoGiven
from flows.conversation.runner import store_answer
from flows.outbox import HandoverPack, OutboxJob
from flows.plan import PLAN, to_project
from flows.schedules import AFTERCARE_YEARS
from storage.models import Answer, Project
from storage.projects import retire

# The phases a project is in once handed over: the handing-over team's copy, and the next
# custodian's (who runs the asset). Neither is handed over again.
AFTER_HANDOVER, OPERATION = "after_handover", "operation"
MAX_AFTERCARE_YEARS = 50


def continues(state: FlowState, subject: str) -> bool:
    return state.value("handover.continues", subject) is not False


def aftercare_years(_state: FlowState, _subject: str) -> dict[str, Any]:
    return {"unit": "years", "maximum": MAX_AFTERCARE_YEARS}


def usual_aftercare(_state: FlowState, _subject: str) -> int:
    return AFTERCARE_YEARS


async def prepare_pack(db: AsyncSession, state: FlowState, user: str, now: datetime) -> list[OutboxJob]:
    """The handover answers complete: the pack is built and shared by the worker, and a
    handover already due (its date today or past) is carried out at once."""
    handover = state.project.handover_date
    if handover is not None and handover <= now.date() and state.project.phase not in (AFTER_HANDOVER, OPERATION):
        await hand_over(db, state, by=user, phase=AFTER_HANDOVER)
    return [HandoverPack(project_id=state.project.id, requested_by=user)]


@dataclass(frozen=True)
class HandedOver:
    retired: list[str]  # measure names: monitoring does not continue
    new_owners: dict[str, str]  # measure name -> its owner after handover


async def hand_over(db: AsyncSession, state: FlowState, *, by: str, phase: str) -> HandedOver:
    """What the handover conversation decided, done, so that the schedule does what the pack
    promises: measures whose monitoring does not continue are retired (their history kept, no
    more reminders), the others move to their owners after handover, and the project is in
    `phase`. Owners and phase are new versions of the plan's answers, so the summary, status,
    digest and pack all read the same."""
    retired, owners = [], {}
    for measure in list(state.measures):
        if state.value("handover.continues", measure.key) is False:
            await retire(db, measure, by=by)
            retired.append(measure.name)
            continue
        after = state.value("handover.aftercare_owner", measure.key)
        if after and after != measure.owner:
            await store_answer(db, PLAN, state, StepInstance(PLAN.step("how.owner"), measure.key), after, by)
            owners[measure.name] = after
    state.measures[:] = [m for m in state.measures if m.retired_at is None]
    if state.value("how_long.current_phase") != phase:
        await store_answer(db, PLAN, state, StepInstance(PLAN.step("how_long.current_phase")), phase, by)
    return HandedOver(retired, owners)


async def take_over(db: AsyncSession, project: Project, *, custodian: str) -> HandedOver:
    """A project imported by its next custodian: they lead it, it is in operation, and the
    handover's decisions hold in their copy too."""
    project.lead, project.channel_id = custodian, None
    db.add(project)
    return await hand_over(db, await load_state(db, project), by=custodian, phase=OPERATION)


async def handovers_due(db: AsyncSession, today: date) -> list[Project]:
    """Projects whose handover date has come, whose handover conversation was held (it decided
    which measures continue), and which are not handed over yet."""
    decided = select(Answer.project_id).where(col(Answer.question) == "handover", col(Answer.field) == "continues")
    query = select(Project).where(
        col(Project.handover_date) <= today,
        col(Project.phase).is_(None) | col(Project.phase).not_in((AFTER_HANDOVER, OPERATION)),
        col(Project.id).in_(decided),
    )
    return list((await db.exec(query.order_by(col(Project.id)))).all())


async def carry_out_handovers(db: AsyncSession, today: date) -> int:
    """The worker's daily part: each handover due is carried out, in the lead's name."""
    due = await handovers_due(db, today)
    for project in due:
        await hand_over(db, await load_state(db, project), by=project.lead or "handover", phase=AFTER_HANDOVER)
    return len(due)


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
            default=usual_aftercare,
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
        # Risks and issues the next owners inherit, one per line: risk | owner | what is done about it.
        Step("handover.risks", InputKind.TEXT, TextGiven, "handover/flow.j2:risks"),
    ),
)

"""Every conversation the app holds, by name: a stored flow session names its flow."""

from flows.conversation.engine import Flow
from flows.handover import HANDOVER
from flows.plan import PLAN

FLOWS: dict[str, Flow] = {flow.name: flow for flow in (PLAN, HANDOVER)}


def flow_of_step(step_id: str) -> Flow:
    """The flow a step belongs to (step keys are unique across flows: <question>.<field>)."""
    key = step_id.partition(":")[0]
    return next((flow for flow in FLOWS.values() if any(step.key == key for step in flow.steps)), PLAN)


def flow_of_question(question: str) -> Flow:
    return next((flow for flow in FLOWS.values() if question in flow.questions), PLAN)

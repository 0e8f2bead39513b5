"""The flow engine on a toy flow: definition checks, expansion per measure, conditions."""

from pathlib import Path

import pytest

from flows.conversation.diagram import mermaid
from flows.conversation.engine import Flow, FlowDefinitionError, FlowState, Step
from flows.conversation.inputs import ChoiceGiven, InputKind, ItemsGiven, TextGiven, YesNoGiven
from flows.plan import PLAN
from storage.models import Measure, Project

PURPOSE = Step("why.purpose", InputKind.TEXT, TextGiven, "plan/why.j2:purpose")
METHOD = Step("how.method", InputKind.TEXT, TextGiven, "plan/how.j2:method", for_each="measure")
SOURCE = Step("how.data_source", InputKind.TEXT, TextGiven, "plan/how.j2:data_source", for_each="measure")
OWNER = Step("how.owner", InputKind.TEXT, TextGiven, "plan/how.j2:owner")
THRESHOLDS = Step(
    "monitoring.default_thresholds",
    InputKind.YES_NO,
    YesNoGiven,
    "plan/monitoring.j2:default_thresholds",
    condition=lambda state, _: state.project.name != "no thresholds",
)


def toy(*steps: Step) -> Flow:
    return Flow(name="toy", version=1, questions=("why", "how", "monitoring"), steps=steps)


def state(*measure_keys: str, name: str = "Toy") -> FlowState:
    measures = [Measure(project_id=1, key=k, name=k, unit="FTE") for k in measure_keys]
    return FlowState(project=Project(workspace_id=1, name=name), communities=[], measures=measures, answers={}, needs=[])


def test_per_measure_steps_are_asked_measure_by_measure():
    flow = toy(PURPOSE, METHOD, SOURCE, OWNER)
    assert [i.id for i in flow.instances(state("m1", "m2"))] == [
        "why.purpose",
        "how.method:m1",
        "how.data_source:m1",
        "how.method:m2",
        "how.data_source:m2",
        "how.owner",
    ]
    assert [i.id for i in flow.instances(state())] == ["why.purpose", "how.owner"]


def test_a_condition_hides_a_step_that_does_not_apply():
    flow = toy(PURPOSE, THRESHOLDS)
    assert [i.id for i in flow.instances(state(name="no thresholds"))] == ["why.purpose"]
    assert len(flow.instances(state())) == 2


@pytest.mark.parametrize(
    "steps, problem",
    [
        ((PURPOSE, PURPOSE), "duplicate step keys"),
        ((OWNER, PURPOSE), "not in the order"),
        ((Step("why.nothing", InputKind.TEXT, TextGiven, "plan/why.j2:nothing"),), "lacks the macros"),
        ((Step("elsewhere.x", InputKind.TEXT, TextGiven, "plan/why.j2:purpose"),), "key must be"),
        ((Step("why.purpose", InputKind.SINGLE_CHOICE, ChoiceGiven, "plan/why.j2:purpose"),), "needs choices"),
        ((Step("why.purpose", InputKind.LIST, ItemsGiven, "plan/why.j2:purpose"),), "needs item_fields"),
        ((Step("why.purpose", InputKind.TEXT, TextGiven, "plan/why.j2:purpose", for_each="person"),), "unknown for_each"),
    ],
)
def test_a_broken_definition_fails_when_the_flow_is_built(steps, problem):
    with pytest.raises(FlowDefinitionError, match=problem):
        toy(*steps)


def test_the_committed_diagram_matches_the_plan_flow():
    committed = (Path(__file__).parents[2] / "docs" / "plan-flow.md").read_text()
    assert committed == mermaid(PLAN), "run: python -m flows.conversation.diagram > docs/plan-flow.md"

"""Which needs the plan answers: per community, each need with the measures in the plan that
answer it. A need no measure answers (or only a removed one) is a gap."""

from dataclasses import dataclass, field

from flows.conversation.engine import FlowState
from storage.models import Community, Measure, Need

WHOLE_PROJECT = "project"  # a measure's deliberate answer: it serves the project as a whole


@dataclass(frozen=True)
class NeedCover:
    need: Need
    measures: list[str]  # the names of the measures answering it

    @property
    def gap(self) -> bool:
        return not self.measures


@dataclass(frozen=True)
class CommunityCover:
    community: Community
    needs: list[NeedCover]


@dataclass(frozen=True)
class Coverage:
    communities: list[CommunityCover] = field(default_factory=list)
    whole_project: list[str] = field(default_factory=list)  # measures serving the project as a whole

    @property
    def gaps(self) -> list[tuple[Community, Need]]:
        return [(c.community, n.need) for c in self.communities for n in c.needs if n.gap]

    @property
    def needs(self) -> int:
        return sum(len(c.needs) for c in self.communities)


def is_whole(measure: Measure) -> bool:
    return WHOLE_PROJECT in (measure.needs or [])


def answered_needs(state: FlowState, measure: Measure) -> list[Need]:
    """The needs in the plan a measure answers."""
    keys = set(measure.needs or [])
    return [n for n in state.needs if n.key in keys]


def coverage(state: FlowState) -> Coverage:
    """The coverage of the plan as `state` holds it (its measures are those in the plan)."""
    in_plan = {n.key for n in state.needs} | {WHOLE_PROJECT}
    answering: dict[str, list[str]] = {}
    for measure in state.measures:
        for key in measure.needs or []:
            if key in in_plan:  # a removed need answers nothing
                answering.setdefault(key, []).append(measure.name)
    communities = [
        CommunityCover(community, [NeedCover(need, answering.get(need.key, [])) for need in state.needs_of(community)])
        for community in state.communities
    ]
    return Coverage(communities, answering.get(WHOLE_PROJECT, []))

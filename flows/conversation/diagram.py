"""A Mermaid diagram of a flow, generated from its declaration, for reviewers.

`python -m flows.conversation.diagram > docs/plan-flow.md` refreshes the committed copy; a test fails when
the copy and the declaration differ.
"""

import sys
from itertools import pairwise

from flows.conversation.engine import Flow
from flows.plan import PLAN


def mermaid(flow: Flow) -> str:
    lines = [f"# The {flow.name} flow (version {flow.version})", "", "```mermaid", "flowchart TD"]
    for question in flow.questions:
        lines.append(f"  subgraph {question}")
        for step in (s for s in flow.steps if s.question == question):
            notes = [step.kind.value] + ([f"per {step.for_each}"] if step.for_each else []) + (["if it applies"] if step.condition else [])
            lines.append(f'    {step.key.replace(".", "_")}["{step.key}<br/><small>{", ".join(notes)}</small>"]')
        lines.append("  end")
    keys = [step.key.replace(".", "_") for step in flow.steps]
    lines += [f"  {a} --> {b}" for a, b in pairwise(keys)]
    lines += ["  " + keys[-1] + " --> summary([plan summary])", "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(mermaid(PLAN))

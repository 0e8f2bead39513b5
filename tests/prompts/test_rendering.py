"""Wording comes from the templates; user text in Slack markup is escaped, and only there."""

import pytest
from jinja2 import UndefinedError

from flows.conversation.runner import answer_flow, open_flow
from flows.plan import PLAN
from flows.projects import local_project
from prompts import MarkupKind, escape_mrkdwn, render
from storage.engine import transaction
from storage.models import Community, Measure, Project

HOSTILE = "<!channel> <@U123> <https://evil.example|your bank> & {{ 7*7 }} {% for x in y %}"


def test_mrkdwn_escapes_exactly_slacks_three_control_characters():
    assert escape_mrkdwn("<!here> & \"quotes\" 'stay'") == "&lt;!here&gt; &amp; \"quotes\" 'stay'"


def test_every_value_in_slack_text_is_escaped_and_the_terminal_shows_it_as_typed():
    assert render("flow.j2:saved", MarkupKind.MRKDWN, value=HOSTILE) == (
        "Saved: &lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|your bank&gt; &amp; {{ 7*7 }} {% for x in y %}"
    )
    assert render("flow.j2:saved", MarkupKind.TEXT, value=HOSTILE) == f"Saved: {HOSTILE}"


def test_a_missing_variable_is_an_error_not_an_empty_string():
    with pytest.raises(UndefinedError):
        render("flow.j2:saved", MarkupKind.TEXT)


@pytest.mark.parametrize("markup", list(MarkupKind))
def test_every_step_of_the_plan_renders_its_prompt_help_and_label(markup):
    context = {
        "project": Project(workspace_id=1, name=HOSTILE),
        "measure": Measure(project_id=1, key="m1", name=HOSTILE, unit="FTE"),
        "community": Community(project_id=1, key="c1", name=HOSTILE),
    }
    for step in PLAN.steps:
        for suffix in ("", "_help", "_label"):
            text = render(step.prompt + suffix, markup, **context)
            assert text
            if markup == MarkupKind.MRKDWN:
                assert "<!channel>" not in text and "<@U123>" not in text


async def test_hostile_answers_reach_slack_markup_as_text(engine):
    async with transaction(engine) as db:
        project = await local_project(db, name=HOSTILE, lead="alice")
        await open_flow(db, PLAN, project=project, user="alice", markup=MarkupKind.MRKDWN)
        reply = await answer_flow(db, PLAN, project=project, user="alice", text=HOSTILE, markup=MarkupKind.MRKDWN)
        for _ in range(16):
            reply = await answer_flow(db, PLAN, project=project, user="alice", text="skip", markup=MarkupKind.MRKDWN)
    assert reply.status == "complete"
    for live in ("<!channel>", "<@U123>", "<https://evil.example"):
        assert live not in reply.text
    assert "Purpose: &lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|your bank&gt; &amp; {{ 7*7 }}" in reply.text
    assert "49" not in reply.text


@pytest.mark.parametrize(
    "markup, shown",
    [
        (MarkupKind.MRKDWN, "*Social value plan: A38 &lt;!here&gt; &amp; co*"),
        (MarkupKind.TEXT, "Social value plan: A38 <!here> & co"),
        (MarkupKind.MARKDOWN, r"**Social value plan: A38 \<!here\> \& co**"),
        (MarkupKind.HTML, "<strong>Social value plan: A38 &lt;!here&gt; &amp; co</strong>"),
    ],
)
def test_emphasis_is_each_surfaces_own_and_escapes_once(markup, shown):
    assert (
        render(
            "plan/summary.j2",
            markup,
            project=Project(workspace_id=1, name="A38 <!here> & co"),
            sections={},
            unanswered=[],
            communities=[],
            measures=[],
        ).splitlines()[0]
        == shown
    )


async def test_the_terminal_shows_no_slack_markup_and_slack_keeps_its_bold(engine):
    async with transaction(engine) as db:
        project = await local_project(db, name="A38", lead="alice")
        terminal = await open_flow(db, PLAN, project=project, user="alice")
        slack = await open_flow(db, PLAN, project=project, user="alice", markup=MarkupKind.MRKDWN)
    assert "*" not in terminal.text and "*" not in render("flow.j2:items_added", MarkupKind.TEXT, count=1, names=["x"])
    assert slack.text.startswith("*Why are we measuring social value on A38?*")

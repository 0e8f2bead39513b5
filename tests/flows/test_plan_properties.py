"""Random input at every step of the plan flow: the runner never raises, and what is stored
stays valid (every current answer passes its step's own validator again)."""

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.conversation.engine import load_state
from flows.plan import PLAN
from flows.projects import local_project
from storage.engine import create_engine, transaction
from tests.factories import WHOLE_PLAN, say, start_plan

MESSAGES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(WHOLE_PLAN),
    st.sampled_from(WHOLE_PLAN),
    st.sampled_from(
        [
            "skip",
            "back",
            "done",
            "pause",
            "help",
            "1",
            "2, 3",
            "0",
            "yes",
            "no",
            "31/02/2027",
            "01/04/2026",
            "2030-01-01",
            "12",
            "-3",
            "ten",
            "a | b",
            "x | y | z",
            "<!channel>",
            "{{ 7*7 }}",
            "100, 90, 70",
            "x" * 5001,
            "🚧",
            "مشروع",
        ]
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(MESSAGES, min_size=1, max_size=80))
async def test_random_conversations_never_break_the_plan(sqlite_template, messages):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.db"
        path.write_bytes(Path(sqlite_template).read_bytes())
        url = f"sqlite+aiosqlite:///{path}"
        engine = create_engine(url)
        try:
            reply = await start_plan(engine)
            for message in messages:
                if reply.status != "asking":
                    reply = await start_plan(engine)
                    if reply.status == "complete":
                        break
                reply = await say(engine, message)
                assert reply.text
                assert reply.status in ("asking", "paused", "complete")
                if reply.status == "asking":
                    assert 1 <= reply.progress.index <= reply.progress.total
            await assert_stored_state_is_valid(engine)
        finally:
            await engine.dispose()


async def assert_stored_state_is_valid(engine):
    async with transaction(engine) as db:
        project = await local_project(db, name="A38 Derby Junctions", lead="alice")
        state = await load_state(db, project)
    for instance in PLAN.instances(state):
        value = state.value(instance.step.key, instance.subject)
        if value is None or instance.step.kind == "list":
            continue
        raw = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        context = instance.validation_context(state)
        if instance.step.kind in ("single_choice", "multiple_choice", "yes_no", "date"):
            continue  # stored as values, not as typed: checked below
        instance.step.given.check(raw, context)
    for measure in state.measures:
        if measure.baseline_date and measure.target_date:
            # a target date is never stored before its baseline date (unless the baseline moved later)
            assert measure.target_date >= measure.baseline_date or _baseline_changed_after(state, measure)
    choices_ok = all(
        set(v if isinstance(v, list) else [v]) <= {c.value for c in i.choices(state)}
        for i in PLAN.instances(state)
        if i.step.kind in ("single_choice", "multiple_choice") and (v := state.value(i.step.key, i.subject))
    )
    assert choices_ok


def _baseline_changed_after(state, measure) -> bool:
    baseline = state.answers[("how", "baseline_date", measure.key)]
    target = state.answers[("how", "target_date", measure.key)]
    return baseline.id > target.id

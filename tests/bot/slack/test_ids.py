"""Typed refs: what a builder writes into a button, block id or form is read back as it was,
and anything a member could alter it into is refused as stale, never trusted."""

import pytest

from bot.slack.ids import EditForm, EditRef, MeasureRef, ProjectRef, ReturnForm, StaleRef, StepRef, UpdateForm, UpdateRef


@pytest.mark.parametrize(
    "ref",
    [
        ProjectRef(project=7),
        StepRef(project=7, step="how.baseline_value:m2"),
        StepRef(project=7, step="why.purpose"),
        EditRef(project=7, question="how", subject="m1"),
        MeasureRef(project=7, measure="m1", period="2026-12-01"),
        MeasureRef(project=7, measure="m1", period=None),
        UpdateRef(project=7, update=12),
        EditForm(project=7, question="why", seen=41),
        EditForm(project=7, question="why", versions={"why.purpose": 2}),  # opened by an earlier version
        UpdateForm(project=7, measure="m1", period="2026-12-01", name="Local labour", confirm="9e9"),
        ReturnForm(project=7, update=12, channel="C0001", thread_ts="1700000000.000100"),
    ],
)
def test_a_ref_reads_back_as_it_was_written(ref):
    assert type(ref).decode(ref.encode()) == ref


def test_the_formats_of_buttons_already_posted_still_read():
    assert ProjectRef.decode("42") == ProjectRef(project=42)
    assert StepRef.decode("controls:3:what.community:m1") == StepRef(project=3, step="what.community:m1")
    assert EditRef.decode('{"project": 3, "question": "how", "subject": "m2"}').subject == "m2"
    assert MeasureRef.decode('{"project":3,"measure":"m1","period":"2026-11-01"}').period == "2026-11-01"


@pytest.mark.parametrize(
    "kind, raw",
    [
        (ProjectRef, "0"),
        (ProjectRef, "-1"),
        (ProjectRef, "99999999999999999999"),
        (ProjectRef, "7; DROP TABLE project"),
        (ProjectRef, None),
        (StepRef, "plan:7"),
        (StepRef, "plan:x:why.purpose"),
        (StepRef, "other:7:why.purpose"),
        (StepRef, "plan:7:why.purpose:M1;"),
        (StepRef, "plan:999999999999:why.purpose"),
        (EditRef, '{"project": "7", "question": "how"}'),  # a string where a number goes
        (EditRef, '{"project": 7, "question": "how", "admin": true}'),  # an unknown field
        (EditRef, '{"project": 7, "question": "' + "x" * 33 + '"}'),
        (MeasureRef, '{"project": 7, "measure": "m1", "period": "tomorrow"}'),
        (UpdateRef, '{"project": 7, "update": 0}'),
        (UpdateRef, "[1, 2]"),
        (EditForm, '{"project": 7, "question": "why", "versions": {"a": "b"}}'),
        (UpdateForm, '{"project": 7, "confirm": "' + "9" * 201 + '"}'),
        (ReturnForm, '{"project": 7, "update": 1, "channel": "<!here>", "thread_ts": "1.1"}'),
        (ReturnForm, '{"project": 7, "update": 1, "channel": "C1", "thread_ts": "now"}'),
    ],
)
def test_an_altered_ref_is_refused_as_stale(kind, raw):
    with pytest.raises(StaleRef):
        kind.decode(raw)


def test_an_edit_form_says_what_it_saw_in_one_number_whatever_its_size():
    assert len(EditForm(project=2**31 - 1, question="monitoring", subject="", seen=10**12).encode()) < 100

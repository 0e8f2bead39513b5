"""Fast entry for a major scheme: a table of measures pasted into the own-measures list, and
"same as above" at a per-measure question. Checked by prompts counted, what is stored and what
the user is told."""

from datetime import date

from flows.projects import local_project
from storage.answers import current_answers
from storage.engine import transaction
from storage.projects import list_measures
from tests.factories import HOW_LONG, PROJECT, WHY, say, start_plan

HEADER = "name\tunit\tframework code\tcommunity\tmethod\tdata source\tbaseline\tbaseline date\ttarget\ttarget date\tevidence\towner\tcadence\tkind\tprofile"


def row(n: int, **cells: str) -> str:
    values = {
        "name": f"Measure {n}",
        "unit": "FTE",
        "code": f"NH-{n:02}",
        "community": "Spondon" if n % 2 else "1",
        "method": "Headcount",
        "source": "Payroll",
        "baseline": "0",
        "baseline_date": "01/04/2026",
        "target": str(10 * n),
        "target_date": "31/03/2028",
        "evidence": "Payroll extracts",
        "owner": "Tom Evans",
        "cadence": "quarterly",
        "kind": "level at a date" if n % 2 else "running total",
        "profile": "30/09/2026 5; 31/12/2027 12" if n == 3 else "none",
    }
    values.update(cells)
    return "\t".join(values.values())


async def stored(engine):
    async with transaction(engine) as db:
        project = await local_project(db, name=PROJECT, lead="alice")
        return await list_measures(db, project_id=project.id), await current_answers(db, project_id=project.id)


async def test_a_20_measure_plan_from_a_pasted_table_takes_under_40_prompts(engine):
    table = "\n".join([HEADER, *(row(n) for n in range(1, 21))])
    prompts = [*WHY, "2", "skip", table, "done", *HOW_LONG, "1, 2", "#a38-social-value", "yes", "Quarterly at the steering group"]
    reply = await start_plan(engine)
    for text in prompts:
        reply = await say(engine, text)
        if text == table:
            assert "Added 20 measures from the table, with 240 answers" in reply.notice and not reply.error
    assert reply.status == "complete", (reply.step, reply.notice)
    assert len(prompts) < 40
    assert reply.text.split("Still unanswered (1)")[1].strip() == "• Catalogue measures"  # none picked: every other question is answered

    measures, answers = await stored(engine)
    assert len(measures) == 20
    tenth = measures[9]
    assert (tenth.name, tenth.unit, tenth.framework_code, tenth.target_value, tenth.target_date) == (
        "Measure 10",
        "FTE",
        "NH-10",
        100,
        date(2028, 3, 31),
    )
    assert (tenth.owner, tenth.cadence, tenth.needs) == ("Tom Evans", "quarterly", ["n1"])
    assert answers[("how", "baseline_date", "m10")].value == "2026-04-01"
    assert [m.kind for m in measures[:4]] == ["level", "total", "level", "total"]
    assert measures[2].profile == [["2026-09-30", 5], ["2027-12-31", 12]] and measures[3].profile == []
    # a community's name answers all its needs (Spondon has one), a number the need listed so
    assert answers[("what", "needs", "m1")].value == ["n3"] and answers[("what", "needs", "m2")].value == ["n1"]


async def test_a_table_without_a_header_and_with_empty_cells_leaves_those_questions_to_ask(engine):
    await start_plan(engine)
    for text in [*WHY, "skip"]:
        await say(engine, text)
    reply = await say(engine, "Local spend,£,,,,,,,,,,,monthly\nLocal labour,FTE,NH-SV-03")
    assert "Added 2 measures from the table, with 1 answer" in reply.notice
    reply = await say(engine, "done")
    assert reply.step == "what.needs:m1"  # the first question a cell left empty
    measures, _ = await stored(engine)
    assert [(m.name, m.unit, m.cadence) for m in measures] == [("Local spend", "£", "monthly"), ("Local labour", "FTE", None)]


async def test_a_table_with_bad_cells_is_refused_whole_with_row_and_column_named(engine):
    await start_plan(engine)
    for text in [*WHY, "skip"]:
        await say(engine, text)
    table = "\n".join(
        [
            HEADER,
            row(1),
            row(2, community="Nowhere"),
            row(3, target_date="01/01/2026"),
            row(4, target="lots"),
            row(5) + "\textra",
            row(6, cadence="FREQ=SECONDLY"),
        ]
    )
    reply = await say(engine, table)
    assert reply.error and reply.step == "what.own_measures"
    assert "The table was not added (5 problems), so nothing was stored" in reply.notice
    for problem in (
        'row 3, needs: "Nowhere" is not one of the choices',
        "row 4, target date: ",
        "before 1 Apr 2026",
        "row 5, target: Please give a number in FTE",
        "row 6 has 16 columns; the table has 15",
        "row 7, cadence: ",
    ):
        assert problem in reply.notice, problem
    measures, answers = await stored(engine)
    assert measures == [] and not [key for key in answers if key[0] in ("how", "what")]


async def test_same_as_above_answers_with_the_previous_measures_answer_checked_again(engine):
    await start_plan(engine)
    for text in [*WHY, "skip", "Local spend | £\nLocal labour | FTE", "done", "1", "same as above"]:
        reply = await say(engine, text)
    assert reply.step == "how.method:m1" and "Saved: Chaddesden residents" in reply.notice
    for text in ["Invoices", "Finance system", "1", "0", "01/04/2026", "100", "31/03/2027", "none", "Ledger", "Tom Evans"]:
        await say(engine, text)
    reply = await say(engine, "same")  # m2's method: m1's
    assert "Saved: Invoices" in reply.notice and reply.step == "how.data_source:m2"
    await say(engine, "same")
    reply = await say(engine, "same")  # its kind: a running total too
    assert "Saved: Running total" in reply.notice
    reply = await say(engine, "same as above")  # m1's baseline in £ is checked as FTE for m2: it is a number, so it stands
    assert "Saved: 0 FTE" in reply.notice
    measures, answers = await stored(engine)
    assert answers[("how", "method", "m2")].value == "Invoices" and answers[("how", "data_source", "m2")].value == "Finance system"

    await start_plan(engine)
    for _ in range(5):  # back from m2's baseline value, its kind, data source, method
        reply = await say(engine, "back")
    assert reply.step == "how.owner:m1"
    reply = await say(engine, "same")
    assert reply.error and "no measure above" in reply.notice


async def test_a_table_over_the_plans_room_for_own_measures_is_refused_whole(engine):
    await start_plan(engine)
    for text in [*WHY, "skip"]:
        await say(engine, text)
    reply = await say(engine, "\n".join([HEADER, *(row(n) for n in range(1, 52))]))  # 51: the plan holds 50 of its own
    assert reply.error and "the table has 51 measures and the plan has room for 50 more of the team's own" in reply.notice
    measures, _ = await stored(engine)
    assert measures == []
    reply = await say(engine, "\n".join([HEADER, *(row(n) for n in range(1, 51))]))  # 50 exactly: at the bound
    assert "Added 50 measures from the table" in reply.notice

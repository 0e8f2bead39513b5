"""The returns for a spreadsheet: one row per measure per reporting period, the same facts as
the status, written as CSV and XLSX and read back cell by cell, formula injection kept as text."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from flows.conversation.runner import answer_flow, open_flow
from flows.plan import PLAN
from flows.progress.status import project_status
from flows.progress.updates import record_update
from flows.projects import new_project, workspace_of
from flows.returns import COLUMNS, ReturnsRefused, project_returns, returns_csv, returns_xlsx, workspace_returns
from storage.engine import transaction
from tests.factories import HOW, HOW_LONG, MONITORING, WHAT, WHY

TODAY = date(2026, 7, 15)
EVIL = '=HYPERLINK("http://evil.example","click")'


async def planned(engine, name="A38 Derby Junctions"):
    async with transaction(engine) as db:
        project = await new_project(db, await workspace_of(db, team_id="T0001"), name=name, channel=None, lead="alice")
        await open_flow(db, PLAN, project=project, user="alice")
        for text in [*WHY, *WHAT, *HOW, *HOW_LONG, *MONITORING]:
            reply = await answer_flow(db, PLAN, project=project, user="alice", text=text)
        assert reply.status == "complete", reply.notice
        for period, value in (("2026-05-01", "30"), ("2026-07-01", "70")):
            await record_update(db, project, measure_key="m1", author="alice", today=TODAY, value=value, period=period, evidence=None)
        await record_update(
            db,
            project,
            measure_key="m2",
            author="alice",
            today=TODAY,
            value="14",
            note=EVIL,
            evidence="https://example.org/p",
            period="2026-07-01",
            recovery_action="Recruit locally",
        )
    return project


async def test_one_row_per_measure_per_period_agreeing_with_the_status(engine):
    project = await planned(engine)
    async with transaction(engine) as db:
        rows = await project_returns(db, project, TODAY)
        statuses = {s.measure.name: s for s in await project_status(db, project, TODAY)}
    apprenticeships = [r for r in rows if r.measure == "Apprenticeships on the contract"]
    assert [(str(r.period_end), r.reported, r.rating) for r in apprenticeships] == [
        ("2026-05-01", 30, "Good"),
        ("2026-06-01", None, "not reported"),
        ("2026-07-01", 70, "Good"),
    ]
    assert (apprenticeships[0].community, apprenticeships[0].need) == ("Chaddesden residents", "safe crossings; quiet nights")
    assert (apprenticeships[0].outcome, apprenticeships[0].kind, apprenticeships[0].owner) == (
        "Skills for growth",
        "running total",
        "Priya Shah",
    )
    last = apprenticeships[-1]
    assert last.planned == round(statuses[last.measure].plan.line.expected(last.period_end), 2)
    assert last.rating == statuses[last.measure].rating.value.capitalize()  # the status rates the same value the same way
    labour = [r for r in rows if r.measure == "Local labour"]
    assert (labour[-1].reported, labour[-1].evidence, labour[-1].review) == (14, "https://example.org/p", "awaiting the lead")


async def test_csv_and_xlsx_read_back_cell_by_cell_with_formulas_kept_as_text(engine):
    project = await planned(engine)
    await planned(engine, name=EVIL)  # a project whose name is a formula
    async with transaction(engine) as db:
        rows = await project_returns(db, project, TODAY)
        every = await workspace_returns(db, await workspace_of(db, team_id="T0001"), TODAY)
    table = list(csv.reader(io.StringIO(returns_csv(every))))
    assert table[0] == list(COLUMNS) and len(table) == len(every) + 1
    assert {row[0] for row in table[1:]} == {"A38 Derby Junctions", "'" + EVIL}  # a spreadsheet shows it, never runs it
    first = table[1 + [r.project for r in every].index("A38 Derby Junctions")]
    assert first[8:13] == ["2026-04-01", "2026-05-01", str(rows[0].planned).rstrip("0").rstrip("."), "30", "Good"]

    sheet = load_workbook(io.BytesIO(returns_xlsx(every))).active
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0] == COLUMNS and len(cells) == len(every) + 1
    evil = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == EVIL)
    assert evil[0].data_type == "s"  # text, not a formula
    ours = next(row for row in cells[1:] if row[0] == "A38 Derby Junctions")
    assert (ours[8].date(), ours[9].date(), ours[10], ours[11], ours[12]) == (
        date(2026, 4, 1),
        date(2026, 5, 1),
        rows[0].planned,
        30,
        "Good",
    )


async def test_a_workbook_past_a_sheets_rows_is_refused_by_name(engine):
    project = await planned(engine)
    async with transaction(engine) as db:
        rows = await project_returns(db, project, TODAY)
    assert returns_xlsx(rows, most=len(rows))  # at the bound: written
    with pytest.raises(ReturnsRefused) as refused:
        returns_xlsx(rows, most=len(rows) - 1)
    assert refused.value.context == {"count": len(rows), "most": len(rows) - 1}

"""`socialvalue export --format csv|xlsx` as a user runs it, on the A38 sample."""

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.terminal import ON, PROJECT, run, seeded


def test_the_returns_of_a_project_or_the_workspace_open_in_a_spreadsheet(database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("the terminal's wording does not depend on the database: flows and Slack tests run both")
    seeded(database_url)
    now = f"{ON}T09:00:00+00:00"
    table = list(csv.DictReader(io.StringIO(run(database_url, "export", "--project", PROJECT, "--format", "csv", now=now).stdout)))
    reported = [(r["Measure"], r["Period end (due)"], r["Reported"], r["Rating"]) for r in table if r["Reported"]]
    assert ("Apprenticeships on the contract", "2026-11-01", "180", "Good") in reported
    assert {r["Need"] for r in table if r["Measure"] == "Local labour"} == {"local jobs"}

    written = run(database_url, "export", "--all", "--format", "xlsx", "--out", str(tmp_path / "returns.xlsx"), now=now)
    assert written.returncode == 0 and f"Wrote {len(table)} rows of returns" in written.stderr
    rows = list(load_workbook(tmp_path / "returns.xlsx").active.iter_rows(values_only=True))
    assert len(rows) == len(table) + 1 and rows[1][0] == PROJECT

    refused = run(database_url, "export", "--all")
    assert refused.returncode == 1 and "A JSON export is of one project" in refused.stderr
    unknown = run(database_url, "export", "--project", "A83", "--format", "csv")
    assert unknown.returncode == 1 and unknown.stdout == ""

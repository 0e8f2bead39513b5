"""`socialvalue casestudy` and `socialvalue casestudies export` as a user runs them, on the A38
sample (which holds a public case study and one not to be shared)."""

import csv
import io

import pytest

from tests.terminal import PROJECT, run, seeded


def test_a_case_study_is_added_listed_shown_changed_by_its_author_only_and_exported_if_public(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the terminal's wording does not depend on the database: flows and Slack tests run both")
    seeded(database_url)
    added = run(
        database_url,
        *("casestudy", "add", "--project", PROJECT, "--user", "sam", "--title", "Safer crossing at Chaddesden"),
        *("--what", "Marshals walked pupils across during the works", "--benefited", "safe crossings", "--scale", "project"),
        *("--link", "https://example.org/marshals", "--consent", "organisation", "--consent-by", "Chaddesden Primary"),
    )
    assert added.returncode == 0, added.stderr
    assert "Saved case study #3, Safer crossing at Chaddesden (A38 Derby Junctions): within the organisation." in added.stdout

    listed = run(database_url, "casestudy", "list", "--scale", "project")
    assert "Safer crossing at Chaddesden (#3)" in listed.stdout and "Site canteen" in listed.stdout and "laptops" not in listed.stdout
    shown = run(database_url, "casestudy", "show", "3")
    assert "Who benefited: Need: safe crossings (Chaddesden residents)" in shown.stdout
    assert "Consent: within the organisation, given by Chaddesden Primary on 1 Apr 2026" in shown.stdout

    refused = run(database_url, "casestudy", "edit", "3", "--outcome", "40 pupils", "--user", "mallory")
    assert refused.returncode == 1 and "Only the case study's author (sam) or the project's lead" in refused.stderr
    changed = run(database_url, "casestudy", "edit", "3", "--outcome", "40 pupils a day", "--user", "sam")
    assert changed.returncode == 0 and "Outcome: 40 pupils a day" in run(database_url, "casestudy", "show", "3").stdout
    missing = run(database_url, "casestudy", "show", "99")
    assert missing.returncode == 1 and "no case study #99" in missing.stderr

    markdown = run(database_url, "casestudies", "export", "--shareable").stdout
    assert "## Old site laptops for Littleover school" in markdown
    assert "Site canteen" not in markdown and "Safer crossing" not in markdown  # not to be shared; within the organisation only
    rows = list(csv.DictReader(io.StringIO(run(database_url, "casestudies", "export", "--shareable", "--format", "csv").stdout)))
    assert [r["title"] for r in rows] == ["Old site laptops for Littleover school"]


def test_a_refused_case_study_names_each_problem_and_stores_nothing(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the terminal's wording does not depend on the database: flows and Slack tests run both")
    seeded(database_url)
    done = run(
        database_url,
        *("casestudy", "add", "--project", PROJECT, "--title", '=HYPERLINK("http://evil")', "--what", "x" * 3001),
        *("--scale", "huge", "--consent", "public", "--on", "2027-01-01", "--benefited", "n99"),
    )
    assert done.returncode == 1
    for said in (
        "what happened: That answer is 3001 characters long; please keep it to 3000",
        "scale: Please say how far",
        "happened on: That date is after today",
        "consent by: A case study that may be shared needs who gave the consent",
    ):
        assert said in done.stderr
    assert "#3" not in run(database_url, "casestudy", "list").stdout

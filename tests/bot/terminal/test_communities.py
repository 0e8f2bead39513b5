"""`socialvalue community` as a user runs it, on the A38 sample."""

import pytest

from tests.terminal import PROJECT, run, seeded


def test_communities_are_listed_and_changed_from_the_terminal(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the terminal's wording does not depend on the database: flows and Slack tests run both")
    seeded(database_url)
    listed = run(database_url, "community", "list", "--project", PROJECT)
    assert "safe walking routes to the station during the works: GAP, no measure answers it" in listed.stdout
    changed = run(
        database_url,
        *("community", "edit", "chaddesden residents", "--project", PROJECT, "--user", "priya"),
        *("--need", "safe crossings | Ward profile 2024", "--need", "safe walking routes to the station | ward consultation"),
    )
    assert changed.returncode == 0, changed.stderr
    assert "Need changed: safe walking routes to the station" in changed.stdout
    assert "Derby DE21" in run(database_url, "community", "list", "--project", PROJECT).stdout  # parts not given are kept
    refused = run(database_url, "community", "add", "--project", PROJECT, "--name", "SPONDON")
    assert refused.returncode == 1 and "already in the plan" in refused.stderr

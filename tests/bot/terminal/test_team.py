"""`socialvalue project editors|lead` as a user runs it, on the A38 sample."""

import pytest

from tests.terminal import PROJECT, run, seeded


def test_the_team_is_listed_and_changed_from_the_terminal(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the terminal's wording does not depend on the database: flows and Slack tests run both")
    seeded(database_url)
    added = run(database_url, "project", "editors", "add", "priya", "tom", "--project", PROJECT, "--user", "alice")
    assert (added.returncode, added.stdout) == (0, f"priya, tom can now change the plan of {PROJECT}.\n")
    usage = run(database_url, "project", "editors", "remove", "--project", PROJECT)
    assert usage.returncode == 2 and "Name the people to add or remove" in usage.stderr
    chosen = run(database_url, "project", "lead", "priya", "--project", PROJECT)
    assert chosen.returncode == 0 and "priya now leads" in chosen.stdout and "stays an editor" in chosen.stdout
    run(database_url, "project", "editors", "remove", "tom", "--project", PROJECT)
    listed = run(database_url, "project", "editors", "--project", PROJECT).stdout
    assert listed.startswith(f"{PROJECT} is led by priya. Its editors: ") and "tom" not in listed
    unknown = run(database_url, "project", "editors", "--project", "A83 Derby Junctions")
    assert unknown.returncode == 1 and "A38 Derby Junctions" in unknown.stderr  # the near miss named

"""`socialvalue workspace export|delete` as whoever runs the deployment uses them, when a
workspace asks for its data, then for it to be deleted."""

import json

import pytest

from tests.terminal import PROJECT, run

FIXTURE = "tests/data/handover/a38-export.json"


def test_a_workspace_is_exported_then_deleted_only_when_confirmed(database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("the terminal's wording does not depend on the database: the flows test runs both")
    for team in ("T0GONE", "T0KEPT"):
        assert run(database_url, "import", FIXTURE, "--team", team).returncode == 0
    out = tmp_path / "gone.json"
    exported = run(database_url, "workspace", "export", "T0GONE", "--out", str(out))
    assert exported.returncode == 0 and "Wrote everything of workspace T0GONE" in exported.stderr
    [workspace] = json.loads(out.read_text())["workspaces"]
    assert workspace["workspace"]["team_id"] == "T0GONE" and [p["project"]["name"] for p in workspace["projects"]] == [PROJECT]

    unconfirmed = run(database_url, "workspace", "delete", "T0GONE")
    assert unconfirmed.returncode == 2 and "Nothing was deleted" in unconfirmed.stderr
    assert run(database_url, "workspace", "export", "T0GONE").returncode == 0  # still there

    deleted = run(database_url, "workspace", "delete", "T0GONE", "--confirm")
    assert deleted.returncode == 0 and deleted.stdout.startswith("Deleted workspace T0GONE: ") and "1 project" in deleted.stdout
    gone = run(database_url, "workspace", "export", "T0GONE")
    assert gone.returncode == 1 and "No Slack workspace T0GONE" in gone.stderr
    assert run(database_url, "export", "--project", PROJECT, "--team", "T0KEPT").returncode == 0
    refused = run(database_url, "workspace", "delete", "not-a-team", "--confirm")
    assert refused.returncode == 2

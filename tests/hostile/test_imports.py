"""Files a member could import: each is checked whole against the rules the conversation
applies, refused with every problem and its JSON path, and nothing of it is stored. Ids never
come from a file, the workspace is the importer's, and a bad row already stored cannot stop
the worker's pass."""

import json
from datetime import UTC, datetime

from sqlmodel import select

from bot.worker.loop import plan_jobs
from storage.engine import transaction
from storage.models import Measure, Project, Workspace
from tests.factories import PROJECT
from tests.terminal import FIXTURE, export, run


def fixture() -> dict:
    return json.loads(FIXTURE.read_text())


def imported(database_url, tmp_path, document, *args: str, raw: str | None = None):
    path = tmp_path / "hostile.json"
    path.write_text(raw if raw is not None else json.dumps(document))
    return run(database_url, "import", str(path), *args)


def nothing_stored(database_url) -> bool:
    return run(database_url, "export", "--project", PROJECT).returncode == 1


def test_every_problem_is_listed_with_its_path_and_nothing_is_stored(database_url, tmp_path):
    document = fixture()
    document["measures"][0]["target_date"] = "9999-12-25"  # made every later worker pass crash
    document["measures"][1]["cadence"] = "FREQ=SECONDLY"  # took the service down
    document["measures"][1]["unit"] = "u" * 65  # failed in PostgreSQL, lost silently
    document["measures"][0]["name"] = "Jobs \x1b[31mred\x1b[0m"  # a terminal escape code
    document["project"]["client_organisation"] = "x" * 10_000_000  # 10 MB of text
    document["progress_updates"][0]["evidence_url"] = "javascript:alert(1)"
    document["answers"][0]["value"] = [[[[[["deep"]]]]]]
    done = imported(database_url, tmp_path, document)
    problems = [line.strip() for line in done.stderr.splitlines()[1:]]
    print(f"\na file with 7 problems: {done.stderr.splitlines()[0]}")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"Cannot import {tmp_path / 'hostile.json'}: 7 problems, so nothing was stored:")
    assert problems == [
        "$.project.client_organisation: That answer is 10000000 characters long; please keep it to 5000 characters.",
        "$.measures[0].name: That answer contains control characters that cannot be stored. Please type it again as plain text.",
        "$.measures[0].target_date: Please give a date between 1990 and 2150.",
        "$.measures[1].unit: That answer is 65 characters long; please keep it to 64 characters.",
        "$.measures[1].cadence: Reporting can come at most once a week (53 times a year): give a rule with FREQ=DAILY,"
        " WEEKLY, MONTHLY or YEARLY that comes no more often than that, such as FREQ=WEEKLY;INTERVAL=2.",
        "$.answers[0].value: This answer's value is nested deeper than any answer can be.",
        "$.progress_updates[0].evidence_url: The evidence must be a web link starting with http:// or https://.",
    ]
    assert nothing_stored(database_url)


def test_ids_nan_and_broken_references_are_refused(database_url, tmp_path):
    document = fixture()
    document["project"]["id"] = 2_000_000  # ahead of PostgreSQL's sequences: every later insert failed
    document["measures"][0]["id"] = 99
    done = imported(database_url, tmp_path, document)
    assert "$.project.id: Extra inputs are not permitted" in done.stderr
    assert "$.measures[0].id: Extra inputs are not permitted" in done.stderr
    dangling = fixture()
    dangling["progress_updates"][0]["measure"] = "m9"
    done = imported(database_url, tmp_path, dangling)
    assert "$: A progress update's measure names a community or measure the file does not have." in done.stderr
    unknown_need = fixture()
    unknown_need["measures"][0]["needs"] = ["n1", "n99"]
    done = imported(database_url, tmp_path, unknown_need)
    assert "$: A measure's need names a community or measure the file does not have." in done.stderr
    orphan = fixture()
    orphan["needs"][0]["community"] = "c9"
    done = imported(database_url, tmp_path, orphan)
    assert "$: A need's community names a community or measure the file does not have." in done.stderr
    too_many = fixture()
    too_many["measures"][0]["needs"] = [f"n{n}" for n in range(1, 103)]
    assert "$.measures[0].needs: List should have at most 101 items" in imported(database_url, tmp_path, too_many).stderr
    old = json.loads((FIXTURE.parent / "a38-export-v1.json").read_text())
    old["communities"][0]["needs"] = {"not": "text"}  # a version 1 file: its needs text is converted, or refused
    assert "$.communities[0].needs: Extra inputs are not permitted" in imported(database_url, tmp_path, old).stderr
    nan = imported(database_url, tmp_path, None, raw=FIXTURE.read_text().replace('"baseline_value": 0', '"baseline_value": NaN'))
    assert nan.returncode == 1 and "it is not a JSON document" in nan.stderr
    assert nothing_stored(database_url)


def test_a_file_over_the_size_limit_is_refused_unread(database_url, tmp_path):
    path = tmp_path / "huge.json"
    with path.open("wb") as file:
        file.write(b'{"format": "socialvalue-project", "pad": "' + b"x" * (17 * 1024 * 1024) + b'"}')
    done = run(database_url, "import", str(path))
    assert done.returncode == 1 and "the file is larger than 16 MB" in done.stderr


async def test_the_project_goes_to_the_importers_workspace_with_new_ids(database_url, engine, tmp_path):
    document = fixture()
    document["workspace"] = {"enterprise_id": "", "team_id": "TVICTIM", "name": "Someone else's"}
    document["project"]["channel_id"] = "CVICTIM"
    document["project"]["lead"] = "UATTACKER"
    earlier = imported(database_url, tmp_path, {**fixture(), "project": {**fixture()["project"], "name": "Earlier scheme"}})
    assert earlier.returncode == 0, earlier.stderr  # rows exist before it
    done = imported(database_url, tmp_path, document, "--user", "sam")
    assert done.returncode == 0, done.stderr
    async with transaction(engine) as db:
        workspaces = {w.team_id for w in (await db.exec(select(Workspace))).all()}
        project = (await db.exec(select(Project).where(Project.name == PROJECT))).one()
        ids = [m.id for m in (await db.exec(select(Measure).where(Measure.project_id == project.id))).all()]
    assert "TVICTIM" not in workspaces
    assert (project.lead, project.channel_id) == ("sam", None)
    assert len(set(ids)) == 2
    again = imported(database_url, tmp_path, {**document, "project": {**document["project"], "name": "Second copy"}})
    assert again.returncode == 0, again.stderr  # the sequences were never pushed ahead
    assert export(database_url)["flow_sessions"] == []  # nobody's place in a conversation came with it

    restore = imported(database_url, tmp_path, document, "--keep-slack-places")
    assert restore.returncode == 1
    assert "--keep-slack-places restores a project into the workspace it came from (TVICTIM), not into local" in restore.stderr


async def test_a_bad_row_already_stored_does_not_stop_the_workers_pass(database_url, engine):
    assert run(database_url, "import", str(FIXTURE), "--team", "T0001").returncode == 0  # a Slack workspace: the worker plans it
    async with transaction(engine) as db:  # as an import before files were checked left it
        measure = (await db.exec(select(Measure))).first()
        measure.target_date = datetime(9999, 12, 25).date()
        db.add(measure)
    await plan_jobs(engine, datetime(2026, 11, 28, 10, tzinfo=UTC))  # completes
    assert run(database_url, "import", str(FIXTURE)).returncode == 0
    async with transaction(engine) as db:
        measure = (await db.exec(select(Measure).order_by(Measure.id.desc()))).first()
        measure.target_date = datetime(9999, 12, 25).date()
        db.add(measure)
    status = run(database_url, "status", "--project", PROJECT, "--on", "2026-11-28")
    assert status.returncode == 0, status.stderr

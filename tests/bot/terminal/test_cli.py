"""The `socialvalue` command as a user runs it: a real process, a real database file or server."""

import csv
import io
import json
import os

import pytest

from tests.factories import BAD_INPUT, PROJECT, WHOLE_PLAN
from tests.terminal import chat, export, run


def test_a_purpose_then_skips_from_a_pipe_reaches_the_summary_and_is_kept(database_url):
    done = chat(database_url, "To leave lasting jobs in Derby", *["skip"] * 16)
    assert done.returncode == 0, done.stderr
    assert "[1 of 17]" in done.stdout
    assert "Social value plan: A38 Derby Junctions" in done.stdout
    assert "Purpose: To leave lasting jobs in Derby" in done.stdout
    assert "Still unanswered (16)" in done.stdout

    document = export(database_url)
    purposes = [a for a in document["answers"] if a["field"] == "purpose"]
    assert [(a["value"], a["author"], a["version"]) for a in purposes] == [("To leave lasting jobs in Derby", "alice", 1)]

    again = chat(database_url, "1", "quit", user="alice")  # resumes at the first unanswered question
    assert again.returncode == 0, again.stderr
    assert "[2 of 17] What drives this?" in again.stdout
    after = export(database_url)
    assert [a for a in after["answers"] if a["field"] == "purpose"] == purposes
    assert [a["value"] for a in after["answers"] if a["field"] == "drivers"] == [["statutory"]]


def test_the_whole_plan_in_the_terminal(database_url):
    done = chat(database_url, *WHOLE_PLAN)
    assert done.returncode == 0, done.stderr
    assert "Every question is answered." in done.stdout
    document = export(database_url)
    assert [m["name"] for m in document["measures"]] == ["Apprenticeships on the contract", "Local labour"]
    assert document["measures"][1]["needs"] == ["n3"]
    assert [(n["key"], n["community"], n["name"]) for n in document["needs"]] == [
        ("n1", "c1", "safe crossings"),
        ("n2", "c1", "quiet nights"),
        ("n3", "c2", "local jobs"),
    ]
    assert document["project"]["handover_date"] == "2027-10-31"


def test_bad_input_in_the_terminal_is_explained_and_not_stored(database_url):
    done = chat(database_url, "", "Purpose", "ten", "quit")
    assert done.returncode == 0, done.stderr
    assert "! The answer is empty." in done.stdout
    assert '! "ten" is not one of the choices.' in done.stdout
    assert "Saved. Run the same command again" in done.stdout
    answers = export(database_url)["answers"]
    assert [(a["field"], a["value"]) for a in answers] == [("purpose", "Purpose")]


def test_bad_input_of_every_kind_in_the_terminal_changes_nothing(database_url, tmp_path):
    """The whole plan with a bad answer before each good one: the same plan is stored as without."""
    lines = []
    for index, good in enumerate(WHOLE_PLAN):
        lines += [bad for before, bad, _, _ in BAD_INPUT if len(before) == index]
        lines.append(good)
    done = chat(database_url, *lines)
    assert done.returncode == 0, done.stderr
    for _, _, _, explanation in BAD_INPUT:
        assert explanation in done.stdout
    assert "Every question is answered." in done.stdout

    clean_url = f"sqlite+aiosqlite:///{tmp_path / 'clean.db'}"
    chat(clean_url, *WHOLE_PLAN)

    def plan_of(url):
        return sorted((a["question"], a["field"], a["subject"], json.dumps(a["value"]), a["version"]) for a in export(url)["answers"])

    assert plan_of(database_url) == plan_of(clean_url)


def test_end_of_input_saves_and_leaves(database_url):
    done = chat(database_url, "Purpose")
    assert done.returncode == 0 and "Saved." in done.stdout


def test_export_of_an_unknown_project_is_one_line_and_exit_code_1(database_url):
    done = run(database_url, "export", "--project", "Nowhere Bypass")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ['No project named "Nowhere Bypass" in this workspace.']
    assert done.stdout == ""


def test_export_import_export_is_identical(database_url, tmp_path, request):
    chat(database_url, *WHOLE_PLAN)
    for value in ("180", "190"):  # an update and its correction
        run(
            database_url,
            "update",
            "--project",
            PROJECT,
            "--measure",
            "m1",
            "--value",
            value,
            "--period",
            "2026-11-01",
            "--note",
            "Register <b>&</b>",
            "--on",
            "2026-11-28",
        )
    chat(database_url, "back", "An edited answer", "pause")
    first = run(database_url, "export", "--project", PROJECT, "--out", str(tmp_path / "a38.json"))
    assert first.returncode == 0, first.stderr

    exported = json.loads((tmp_path / "a38.json").read_text())
    assert [(u["measure"], u["value"], u["version"]) for u in exported["progress_updates"]] == [("m1", 180, 1), ("m1", 190, 2)]
    empty = _fresh_copy(request, tmp_path)
    imported = run(empty, "import", str(tmp_path / "a38.json"), "--keep-slack-places")
    assert imported.returncode == 0, imported.stderr
    assert 'Imported "A38 Derby Junctions"' in imported.stdout
    assert export(empty) == json.loads((tmp_path / "a38.json").read_text())

    again = run(empty, "import", str(tmp_path / "a38.json"))
    assert again.returncode == 1 and "already exists" in again.stderr


def _fresh_copy(request, tmp_path) -> str:
    """A second, empty database on the same backend as this test's."""
    url = request.node.callspec.params["database_url"]
    if url == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    from tests.conftest import POSTGRES_URL, _pg_admin, _with_database

    name = f"socialvalue_import_{os.getpid()}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    request.addfinalizer(lambda: _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return _with_database(POSTGRES_URL, name)


@pytest.mark.parametrize("content", ["not json", '{"format": "something else"}', '{"format": "socialvalue-project", "format_version": 1}'])
def test_import_of_a_broken_file_is_refused_and_stores_nothing(database_url, tmp_path, content):
    path = tmp_path / "broken.json"
    path.write_text(content)
    done = run(database_url, "import", str(path))
    assert done.returncode == 1 and done.stderr.startswith(f"Cannot import {path}:")
    assert run(database_url, "export", "--project", PROJECT).returncode == 1


def test_db_upgrade(database_url):
    done = run(database_url, "db", "upgrade")
    assert done.returncode == 0 and "up to date" in done.stdout


def test_a_setting_out_of_bounds_is_refused_in_one_line_and_nothing_runs(database_url, monkeypatch):
    monkeypatch.setenv("WORKER_LEASE_SECONDS", "1")
    done = run(database_url, "worker", "--once")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "The setting WORKER_LEASE_SECONDS is not valid: Input should be greater than or equal to 3."
        " Change it in the environment or in .env (the README lists every setting)."
    ]
    assert "sent" not in done.stdout


def test_who_handles_requests_is_one_of_two_and_refused_otherwise(database_url, monkeypatch):
    monkeypatch.setenv("HANDLE_REQUESTS_IN", "both")
    done = run(database_url, "serve", "--port", "0")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("The setting HANDLE_REQUESTS_IN is not valid: Input should be 'web' or 'worker'.")


def planned(database_url):
    done = chat(database_url, *WHOLE_PLAN)
    assert done.returncode == 0, done.stderr


def test_status_prints_each_measure_with_its_rating(database_url):
    planned(database_url)
    done = run(database_url, "status", "--project", PROJECT, "--on", "2026-11-28")
    assert done.returncode == 0, done.stderr
    assert "m1   Apprenticeships on the contract (owner: Priya Shah)" in done.stdout
    assert "Overdue · ░░░░░░░░░░ · latest none" in done.stdout
    assert "next due 1 Dec 2026" in done.stdout


def test_update_from_options_then_status(database_url):
    planned(database_url)
    done = run(
        database_url,
        "update",
        "--project",
        PROJECT,
        "--user",
        "priya",
        "--measure",
        "m1",
        "--value",
        "180",
        "--period",
        "2026-11-01",
        "--evidence",
        "https://example.org/register",
        "--on",
        "2026-11-28",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Saved the update for the period due 1 Nov 2026" in done.stdout
    status = run(database_url, "status", "--project", PROJECT, "--on", "2026-11-28")
    assert "Good · ▓▓▓░░░░░░░ 35% · latest 180 apprenticeship weeks" in status.stdout


def test_a_refused_update_from_options_exits_1_and_stores_nothing(database_url):
    planned(database_url)
    done = run(
        database_url, "update", "--project", PROJECT, "--measure", "m1", "--value", "ten", "--evidence", "ftp://x", "--on", "2026-11-28"
    )
    assert done.returncode == 1
    assert "! Please give a number in apprenticeship weeks" in done.stdout
    assert "! The evidence must be a web link" in done.stdout
    assert "latest none" in run(database_url, "status", "--project", PROJECT, "--on", "2026-11-28").stdout


def test_an_update_rated_other_with_its_reason_shows_in_status_and_the_digest(database_url):
    planned(database_url)
    reason = "Works paused by the client for a public inquiry"
    args = ("update", "--project", PROJECT, "--measure", "m1", "--value", "40", "--period", "01/11/2026", "--on", "2026-11-28")
    done = run(database_url, *args, "--other", "x" * 5001)
    assert (
        done.returncode == 1
        and "5001 characters long" in done.stdout
        and "latest none" in run(database_url, "status", "--project", PROJECT, "--on", "2026-11-28").stdout
    )
    done = run(database_url, *args, "--other", reason)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is now rated Other" in done.stdout
    assert "Other · " in run(database_url, "status", "--project", PROJECT, "--on", "2026-11-28").stdout
    digest = run(database_url, "digest", "--preview", "--week", "2026-W48")
    assert "Other 1" in digest.stdout, digest.stdout


def test_an_interactive_update_asks_again_for_what_was_refused(database_url):
    planned(database_url)
    done = run(
        database_url, "update", "--project", PROJECT, "--on", "2026-11-28", stdin="1\nten\nSix apprentices\n\n100\nMore from January\n"
    )
    assert done.returncode == 0, done.stdout
    assert "1. Apprenticeships on the contract (Overdue, due 1 Dec 2026)" in done.stdout
    assert "! Please give a number" in done.stdout
    assert "please say what will be done to recover" in done.stdout
    assert "Saved the update for the period due 1 Dec 2026" in done.stdout


def test_digest_preview_in_the_terminal(database_url):
    planned(database_url)
    done = run(database_url, "digest", "--preview", "--week", "2026-W49")
    assert done.returncode == 0, done.stderr
    assert "Social value digest, week 2026-W49" in done.stdout
    assert "1 project: 1 plan complete, 0 in progress, 0 not started." in done.stdout
    assert "Local labour (A38 Derby Junctions), due 1 Oct 2026: Tom Evans" in done.stdout
    bad = run(database_url, "digest", "--preview", "--week", "49")
    assert bad.returncode == 1 and "is not an ISO week" in bad.stderr


def test_a_project_name_typed_with_other_capitals_or_spaces_is_the_same_project(database_url):
    assert chat(database_url, "To leave lasting jobs in Derby", "quit").returncode == 0
    again = run(database_url, "chat", "--project", "a38  derby JUNCTIONS", "--user", "alice", stdin="quit\n")
    assert again.returncode == 0 and "[2 of 17]" in again.stdout  # resumed, not a new plan
    status = run(database_url, "status", "--project", " A38 derby junctions ")
    assert status.returncode == 0, status.stderr
    assert [p["name"] for p in [export(database_url)["project"]]] == [PROJECT]


def test_a_near_miss_of_a_project_name_is_asked_about_before_a_new_project_is_made(database_url):
    assert chat(database_url, "To leave lasting jobs in Derby", "quit").returncode == 0
    typo = run(database_url, "chat", "--project", "A38 Derby Junction", "--user", "alice", stdin="yes\nquit\n")
    assert typo.returncode == 0
    assert 'There is no project called "A38 Derby Junction", but there is "A38 Derby Junctions"' in typo.stdout
    assert "[2 of 17]" in typo.stdout  # the existing plan, resumed

    status = run(database_url, "status", "--project", "A38 Derby Junktions")
    assert status.returncode == 1 and 'Did you mean "A38 Derby Junctions"?' in status.stdout
    assert "Did you mean" not in run(database_url, "status", "--project", "M1 Smart Motorway").stdout

    other = run(database_url, "chat", "--project", "A38 Derby Junction", "--user", "alice", stdin="no\nquit\n")
    assert "[1 of 17]" in other.stdout  # a new project, as asked
    names = run(database_url, "export", "--project", "A38 Derby Junction")
    assert names.returncode == 0 and json.loads(names.stdout)["project"]["name"] == "A38 Derby Junction"


def test_reminders_list_who_to_tell_for_a_team_without_slack(database_url):
    assert chat(database_url, *WHOLE_PLAN).returncode == 0
    done = run(database_url, "reminders", "--project", PROJECT, "--on", "2026-11-28")
    assert done.returncode == 0, done.stderr
    assert "Reminders for A38 Derby Junctions on 28 Nov 2026 (the terminal sends none: tell these people)" in done.stdout
    assert (
        "- Priya Shah: Apprenticeships on the contract, overdue since 1 Nov 2026 (7 periods never reported), due 1 Dec 2026" in done.stdout
    )
    assert "- Tom Evans: Local labour, overdue since 1 Oct 2026" in done.stdout
    quiet = run(database_url, "reminders", "--project", PROJECT, "--on", "2026-04-02")
    assert "Nothing is due by 9 Apr 2026 and nothing is overdue." in quiet.stdout
    status = run(database_url, "status", "--project", PROJECT)
    assert "The terminal sends no reminders: socialvalue reminders" in status.stdout
    assert run(database_url, "reminders", "--project", "Nowhere").returncode == 1


def test_a_past_status_and_a_past_digest_show_what_was_known_then(database_url):
    planned(database_url)  # on 28 Nov
    update = ("update", "--project", PROJECT, "--measure", "m1", "--value", "180", "--period", "2026-12-01")
    assert run(database_url, *update, now="2026-12-03T10:00:00+00:00").returncode == 0
    edit = run(database_url, "edit", "--project", PROJECT, "m1", now="2026-12-05T10:00:00+00:00", stdin="\n" * 6 + "600\n" + "\n" * 6)
    assert edit.returncode == 0, edit.stdout

    def status(on: str) -> str:
        done = run(database_url, "status", "--project", PROJECT, "--on", on, now="2026-12-20T10:00:00+00:00")
        assert done.returncode == 0, done.stderr
        return done.stdout.split("m2 ")[0]  # m1's lines

    assert "latest none · target 520 apprenticeship weeks" in status("2026-12-02")  # before the update was recorded
    assert "latest 180 apprenticeship weeks · target 520 apprenticeship weeks" in status("2026-12-04")  # before the target changed
    assert "latest 180 apprenticeship weeks · target 600 apprenticeship weeks" in status("2026-12-20")

    def digest(week: str) -> str:
        done = run(database_url, "digest", "--preview", "--week", week, now="2026-12-20T10:00:00+00:00")
        assert done.returncode == 0, done.stderr
        return done.stdout

    week49, week50 = digest("2026-W49"), digest("2026-W50")
    assert "🟩 Good 0" in week49 and "⏰ Overdue 2" in week49  # 30 Nov: the update of 3 Dec was not known yet
    # 7 Dec: the update and the target raised to 600 are known: 180 of the 200 now planned
    assert "🟨 Approaching target 1" in week50 and "⏰ Overdue 1" in week50


def test_the_annual_assessment_drafts_each_kpi_with_its_missing_quarter_in_markdown_and_csv(database_url, tmp_path):
    planned(database_url)
    report = ("update", "--project", PROJECT, "--measure", "m2", "--value", "20", "--period", "2026-07-01")
    assert run(database_url, *report, "--evidence", "https://example.org/q2").returncode == 0
    later = "2027-01-10T09:00:00+00:00"  # the quarter due 1 Oct 2026 was never reported

    markdown = run(database_url, "assessment", "--project", PROJECT, "--year", "2026", now=later)
    assert markdown.returncode == 0, markdown.stderr
    labour = markdown.stdout.split("## Local labour")[1]
    assert "Periods due in the year: 2; reported: 1; missed: 1 Oct 2026" in labour
    assert "Evidence: 1 Jul 2026 https://example.org/q2" in labour and "Authority's comment:" in labour
    assert "this tool's default" not in markdown.stdout and "set in its monitoring answers" in markdown.stdout  # 100/85/60

    out = tmp_path / "a38-2026.csv"
    written = run(database_url, "assessment", "--project", PROJECT, "--year", "2026", "--format", "csv", "--out", str(out), now=later)
    assert written.returncode == 0 and str(out) in written.stdout
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [row["KPI"] for row in rows] == ["Apprenticeships on the contract", "Local labour"]
    assert (rows[1]["Periods due"], rows[1]["Periods reported"], rows[1]["Periods missed"]) == ("2", "1", "2026-10-01")
    assert rows[1]["Evidence"] == "2026-07-01 https://example.org/q2" and rows[1]["Authority's comment"] == ""

    for bad in ("26", "twenty", "3000"):
        refused = run(database_url, "assessment", "--project", PROJECT, "--year", bad)
        assert refused.returncode == 2 and "is not a year from 1990 to 2150" in refused.stderr
    unknown = run(database_url, "assessment", "--project", "Nowhere Bypass", "--year", "2026")
    assert unknown.returncode == 1 and 'No project named "Nowhere Bypass"' in unknown.stderr


def test_an_assessment_csv_cell_that_a_spreadsheet_would_run_is_kept_as_text(database_url):
    chat(database_url, *[("=HYPERLINK(1) | FTE" if line.startswith("Local labour |") else line) for line in WHOLE_PLAN])
    done = run(database_url, "assessment", "--project", PROJECT, "--year", "2026", "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert [row["KPI"] for row in csv.DictReader(io.StringIO(done.stdout))][1] == "'=HYPERLINK(1)"


def test_an_encryption_key_that_is_not_a_fernet_key_is_refused_in_one_line(database_url, monkeypatch):
    monkeypatch.setenv("SOCIALVALUE_ENCRYPTION_KEY", "correct horse battery staple")
    done = run(database_url, "worker", "--once")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(
        "The setting SOCIALVALUE_ENCRYPTION_KEY is not valid: Value error, each key must be 32 url-safe base64-encoded bytes"
    )
    assert "correct horse" not in done.stderr  # a secret, even a wrong one, is not printed


def test_distributed_mode_without_its_client_secret_is_refused(database_url, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_CLIENT_ID", "1111.2222")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    done = run(database_url, "serve", "--port", "0")
    assert done.returncode == 2
    assert done.stderr.startswith("The setting SLACK_CLIENT_SECRET is empty: `socialvalue serve` needs it.")


def test_a_new_key_seals_the_stored_tokens_and_reseal_moves_them_to_it(database_url, monkeypatch):
    import asyncio

    from slack_sdk.oauth.installation_store import Installation

    from storage.engine import create_engine
    from storage.installations import Installations, Sealer

    done = run(database_url, "key", "reseal")
    assert done.returncode == 2 and "SOCIALVALUE_ENCRYPTION_KEY is empty" in done.stderr
    old, new = run(database_url, "key", "new").stdout.strip(), run(database_url, "key", "new").stdout.strip()
    assert old != new and len(old) == 44

    async def stored_with(key: str | None) -> None:
        engine = create_engine(database_url)
        store = Installations("1111.2222", engine, Sealer([key] if key else []))
        await store.async_save(Installation(app_id="A1", team_id="T2", bot_token="xoxb-two", user_id="U1"))
        await engine.dispose()

    async def found_with(keys: list[str]) -> str | None:
        engine = create_engine(database_url)
        bot = await Installations("1111.2222", engine, Sealer(keys)).bot_of(enterprise_id="", team_id="T2")
        await engine.dispose()
        return bot.bot_token if bot else None

    asyncio.run(stored_with(old))
    monkeypatch.setenv("SLACK_CLIENT_ID", "1111.2222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "s")
    monkeypatch.setenv("SOCIALVALUE_ENCRYPTION_KEY", new)  # the old key removed too soon
    done = run(database_url, "worker", "--once")
    assert done.returncode == 2 and done.stderr.startswith(
        "2 stored Slack tokens are sealed with a key SOCIALVALUE_ENCRYPTION_KEY does not hold"
    )
    monkeypatch.setenv("SOCIALVALUE_ENCRYPTION_KEY", f"{new},{old}")
    done = run(database_url, "key", "reseal")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2 stored Slack tokens sealed with the first key")  # the installation's and the bot's
    assert asyncio.run(found_with([new])) == "xoxb-two"  # the old key is no longer needed
    monkeypatch.setenv("SOCIALVALUE_ENCRYPTION_KEY", new)
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")  # no Slack: the pass has nothing to send
    assert run(database_url, "worker", "--once").returncode == 0  # starts without the old key

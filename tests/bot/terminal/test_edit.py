"""Correcting a finished plan from the terminal, as a practitioner does months later: a real
process on a real database. Checked by what status, the summary and the export then say."""

from tests.factories import PROJECT, WHOLE_PLAN, WHY
from tests.terminal import chat, export, run


def edit(database_url, *lines: str, target: tuple[str, ...] = (), user: str = "bob"):
    return run(database_url, "edit", "--project", PROJECT, "--user", user, *target, stdin="".join(f"{line}\n" for line in lines))


def answers_of(document, field: str, subject: str = "") -> list[tuple]:
    return [(a["value"], a["author"], a["version"]) for a in document["answers"] if (a["field"], a["subject"]) == (field, subject)]


def test_a_cadence_typed_wrong_is_corrected_and_the_schedule_follows(database_url):
    assert chat(database_url, *WHOLE_PLAN).returncode == 0
    before = run(database_url, "status", "--project", PROJECT, "--on", "2026-05-10").stdout.splitlines()
    assert "overdue since 1 May 2026" in before[2] and "next due 1 Jun 2026" in before[2]  # monthly from 1 Apr

    done = edit(database_url, "quarterly", "", target=("monitoring.cadence",))
    assert done.returncode == 0, done.stderr
    assert "Editing A38 Derby Junctions: 2 questions" in done.stdout
    assert "Current answer: Monthly" in done.stdout and "Saved: Quarterly" in done.stdout
    assert "(Enter keeps the current answer)" in done.stdout

    after = run(database_url, "status", "--project", PROJECT, "--on", "2026-05-10").stdout.splitlines()
    assert "No data" in after[2] and "next due 1 Jul 2026" in after[2]  # quarterly: nothing due yet
    document = export(database_url)
    assert answers_of(document, "cadence", "m1") == [("monthly", "alice", 1), ("quarterly", "bob", 2)]  # the old one is kept
    assert answers_of(document, "cadence", "m2")[-1][2] == 1  # Enter kept it: no new version
    assert document["measures"][0]["cadence"] == "quarterly"


def test_a_bad_correction_is_explained_asked_again_and_nothing_is_stored(database_url):
    assert chat(database_url, *WHOLE_PLAN).returncode == 0
    done = edit(database_url, "ten", "", target=("baseline_value",))
    assert done.returncode == 0, done.stderr
    assert "! Please give a number in apprenticeship weeks" in done.stdout
    assert answers_of(export(database_url), "baseline_value", "m1") == [(0, "alice", 1)]

    unknown = edit(database_url, target=("budget",))
    assert unknown.returncode == 1
    assert 'Nothing in the plan is called "budget"' in unknown.stdout and "m2 (Local labour)" in unknown.stdout
    missing = run(database_url, "edit", "--project", "Nowhere")
    assert missing.returncode == 1 and 'No project named "Nowhere"' in missing.stdout


def test_communities_are_changed_and_removed_and_every_output_agrees(database_url):
    assert chat(database_url, *WHOLE_PLAN).returncode == 0
    done = edit(database_url, "remove 2", "edit 1", "Chaddesden residents | Derby DE22", "remove 9", "", target=("communities",))
    assert done.returncode == 0, done.stderr
    assert "So far: 1. Chaddesden residents; 2. Spondon" in done.stdout
    assert "Removed Spondon from the plan" in done.stdout
    assert "Item as it reads now: Chaddesden residents | Derby DE21 | 12,000 households" in done.stdout
    assert "Changed: Chaddesden residents" in done.stdout
    assert "! There is no item 9: the list has 1" in done.stdout

    document = export(database_url)
    [kept, removed] = document["communities"]
    assert (kept["place"], kept["retired_at"]) == ("Derby DE22", None)
    assert (removed["name"], removed["retired_by"]) == ("Spondon", "bob") and removed["retired_at"]
    assert [v for v, _, _ in answers_of(document, "communities", "c1")] == [
        {"name": "Chaddesden residents", "place": "Derby DE21", "who": "12,000 households"},
        {"name": "Chaddesden residents", "place": "Derby DE22", "who": None},
    ]
    assert answers_of(document, "communities", "c2")[0][0]["name"] == "Spondon"  # kept in the history
    assert document["measures"][1]["needs"] == ["n3"]  # local labour answered Spondon's need
    assert [(n["key"], n["retired_by"]) for n in document["needs"] if n["retired_at"]] == [("n3", "bob")]  # gone with Spondon

    # The chat asks again which needs local labour answers, and nothing else.
    again = chat(database_url, "1")
    assert "Which needs does Local labour answer?" in again.stdout
    assert (
        "Every question is answered." in again.stdout
        and "Spondon" not in again.stdout.split("Every question")[0].split("Social value plan")[-1]
    )


def test_a_measure_removed_from_the_terminal_leaves_status_and_the_summary(database_url):
    assert chat(database_url, *WHOLE_PLAN).returncode == 0
    done = edit(database_url, "remove 1", "", target=("measures",))
    assert done.returncode == 0, done.stderr
    assert "Removed Local labour" in done.stdout
    status = run(database_url, "status", "--project", PROJECT, "--on", "2026-05-10")
    assert "Local labour" not in status.stdout and "Apprenticeships on the contract" in status.stdout
    digest = run(database_url, "digest", "--preview", "--week", "2026-W49")
    assert "Social value digest" in digest.stdout and "Local labour" not in digest.stdout
    summary = done.stdout.split("Social value plan")[-1]
    assert "Local labour" not in summary
    document = export(database_url)
    assert [(m["name"], m["retired_by"]) for m in document["measures"]] == [
        ("Apprenticeships on the contract", None),
        ("Local labour", "bob"),
    ]


def test_edit_typed_in_a_finished_chat_goes_through_the_chosen_answers(database_url):
    done = chat(database_url, *WHOLE_PLAN, "edit owner", "Sam Jones", "", "show", "quit")
    assert done.returncode == 0, done.stderr
    assert "The plan is complete. Type edit" in done.stdout
    assert "Saved: Sam Jones" in done.stdout
    assert "Owner: Apprenticeships on the contract" in done.stdout or "Sam Jones" in done.stdout.split("Saved: Sam Jones")[-1]
    document = export(database_url)
    assert answers_of(document, "owner", "m1") == [("Priya Shah", "alice", 1), ("Sam Jones", "alice", 2)]
    assert document["measures"][0]["owner"] == "Sam Jones"


def test_import_measures_from_a_csv_refuses_it_whole_for_one_bad_row_then_adds_every_measure(database_url, tmp_path):
    assert chat(database_url, *WHY, "quit").returncode == 0
    header = "Name,Unit,Framework code,Community,Method,Data source,Baseline,Baseline date,Target,Target date,Evidence,Owner,Cadence"
    rows = [
        f'"Local spend, lot {n}",£,,Spondon,Invoices,Ledger,0,01/04/2026,{1000 * n},31/03/2028,Ledger,Tom Evans,quarterly'
        for n in range(1, 21)
    ]
    bad = tmp_path / "measures.csv"
    bad.write_text("\n".join([header, *rows[:7], rows[7].replace("31/03/2028", "31/03/2020"), *rows[8:]]) + "\n", encoding="utf-8-sig")
    refused = run(database_url, "import-measures", "--project", PROJECT, str(bad))
    assert refused.returncode == 1
    assert "The table was not added (1 problem), so nothing was stored" in refused.stdout
    assert "row 9, target date: " in refused.stdout and "before 1 Apr 2026" in refused.stdout
    assert export(database_url)["measures"] == []

    good = tmp_path / "fixed.csv"
    good.write_text("\n".join([header, *rows]) + "\n")
    done = run(database_url, "import-measures", "--project", PROJECT, str(good))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Added 20 measures from the table, with 200 answers" in done.stdout
    document = export(database_url)
    assert [m["name"] for m in document["measures"]][:2] == ["Local spend, lot 1", "Local spend, lot 2"]
    # "Spondon" in the old Community column: every need of Spondon's
    assert {tuple(m["needs"]) for m in document["measures"]} == {("n3",)} and document["measures"][19]["target_value"] == 20000

    status = run(database_url, "status", "--project", PROJECT, "--on", "2026-05-10")
    table, needs = status.stdout.split("Needs of the communities served")
    assert table.count("Local spend, lot") == 20
    assert "ok  local jobs: Local spend, lot 1, Local spend, lot 2," in needs and "GAP quiet nights: no measure answers it" in needs
    unreadable = tmp_path / "latin1.csv"
    unreadable.write_bytes("Caf\xe9,£\n".encode("latin-1"))
    latin = run(database_url, "import-measures", "--project", PROJECT, str(unreadable))
    assert latin.returncode == 1 and "it is not a UTF-8 text file" in latin.stdout

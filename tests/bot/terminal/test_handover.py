"""The handover pack from the terminal: golden files of the three formats, escaping in each,
the import by the next custodian, and the bad cases (empty plan, long history, unknown project)."""

import json
from html.parser import HTMLParser

import pytest

from tests.factories import PROJECT
from tests.terminal import DATA, FIXTURE, ON, UPDATE_GOLDEN, chat, pack, run, seeded


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_the_pack_matches_its_golden_file(database_url, fmt):
    seeded(database_url)
    produced = pack(database_url, fmt)
    golden = DATA / f"a38-pack.{fmt}" if fmt != "json" else FIXTURE
    if UPDATE_GOLDEN and fmt != "json":
        golden.write_text(produced)
    assert produced == golden.read_text()  # for JSON: the export imported and exported again, identical


class Sections(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids, self.tags, self.text = set(), [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.ids.update(value for name, value in attrs if name == "id")

    def handle_data(self, data):
        self.text.append(data)


def test_the_html_pack_has_every_section_and_user_text_stays_text(database_url):
    seeded(database_url)
    parsed = Sections()
    parsed.feed(pack(database_url, "html"))
    sections = {"cover", "project", "why", "measures", "progress", "commitments", "commitments-register", "evidence-register"}
    assert sections | {"partners", "legacy", "case-studies", "open-items"} <= parsed.ids and "history" not in parsed.ids
    assert "script" not in parsed.tags and "b" not in parsed.tags and "schools" not in parsed.tags
    text = "".join(parsed.text)
    assert "Two <script>alert(1)</script> hires" in text
    assert "Six <b>apprentices</b> *on site* & <!channel>" in text
    assert parsed.tags.count("svg") == 2 and parsed.tags.count("polyline") == 4
    # Each chart: dates along the bottom, the unit up the side, values marked and a legend.
    for said in ("Jul 2026", "Jan 2027", "apprenticeship weeks", "FTE", "planned", "reported", "not reported", "nothing to report"):
        assert said in text
    assert "1 Nov 2026: 180 apprenticeship weeks" in text  # the value's own label


def test_the_markdown_pack_escapes_user_text(database_url):
    seeded(database_url)
    text = pack(database_url, "md")
    assert r"Six \<b\>apprentices\</b\> \*on site\* \& \<!channel\>" in text
    assert "<b>" not in text and "<script>" not in text


def test_an_empty_plan_still_gives_a_pack_that_says_what_is_missing(database_url):
    chat(database_url, "quit")
    done = run(database_url, "handover", "--project", PROJECT, "--format", "md", "--on", ON, stdin="")
    assert done.returncode == 0, done.stderr
    assert "The purpose was not recorded." in done.stdout
    assert "No measures were planned." in done.stdout
    assert "Unanswered questions of the plan: Purpose; Drivers" in done.stdout
    assert "None were recorded at handover." in done.stdout and "No organisation or service was recorded" in done.stdout
    assert "Answer the plan's" in done.stdout and "No evidence links were recorded" in done.stdout


def test_a_long_history_is_summarised_per_quarter_and_whole_in_json(database_url, tmp_path):
    document = json.loads(FIXTURE.read_text())
    template = next(u for u in document["progress_updates"] if u["measure"] == "m1")
    document["progress_updates"] = [u for u in document["progress_updates"] if u["measure"] != "m1"] + [
        {**template, "period_end": f"{1990 + n // 300}-{1 + (n // 25) % 12:02d}-{1 + n % 25:02d}", "version": 1, "value": n}
        for n in range(5000)
    ]
    path = tmp_path / "long.json"
    path.write_text(json.dumps(document))
    assert run(database_url, "import", str(path), "--keep-slack-places").returncode == 0
    text = pack(database_url, "md")
    assert "| Quarter | Updates | Last value |" in text and "The full history is in the JSON file." in text
    assert len(text.splitlines()) < 1000
    assert len([u for u in json.loads(pack(database_url, "json"))["progress_updates"] if u["measure"] == "m1"]) == 5000


def test_the_next_custodian_imports_the_pack_and_monitoring_continues(database_url, tmp_path):
    seeded(database_url)
    pack_file = tmp_path / "pack.json"
    done = run(database_url, "handover", "--project", PROJECT, "--format", "json", "--out", str(pack_file), "--on", ON)
    assert done.returncode == 0
    custodian = f"sqlite+aiosqlite:///{tmp_path / 'custodian.db'}"
    imported = run(custodian, "import", str(pack_file), "--as-custodian")
    assert imported.returncode == 0, imported.stderr
    assert "you lead it, it is in operation" in imported.stdout
    assert "(Apprenticeships on the contract: Sam Patel)" in imported.stdout
    assert "Monitoring does not continue for Local labour" in imported.stdout
    assert f'socialvalue edit --project "{PROJECT}" targets' in imported.stdout
    exported = json.loads(run(custodian, "export", "--project", PROJECT).stdout)
    assert exported["project"]["phase"] == "operation" and exported["project"]["channel_id"] is None
    assert [(m["owner"], m["retired_at"] is None) for m in exported["measures"]] == [("Sam Patel", True), ("Tom Evans", False)]
    assert exported["flow_sessions"] == []
    status = run(custodian, "status", "--project", PROJECT, "--on", "2026-12-10")
    assert "Apprenticeships on the contract" in status.stdout and "next due" in status.stdout
    assert "Local labour" not in status.stdout

    # the operating-phase targets: each continuing measure's baseline and target asked again
    edit = run(custodian, "edit", "--project", PROJECT, "targets", "--user", "Jo Bloggs", stdin="180\n01/11/2027\n400\n31/10/2030\nnone\n")
    assert edit.returncode == 0, edit.stdout + edit.stderr
    exported = json.loads(run(custodian, "export", "--project", PROJECT).stdout)
    m1 = exported["measures"][0]
    assert (m1["baseline_value"], m1["baseline_date"], m1["target_value"], m1["target_date"]) == (180, "2027-11-01", 400, "2030-10-31")
    targets = [a for a in exported["answers"] if a["field"] == "target_value" and a["subject"] == "m1"]
    assert [a["value"] for a in targets] == [520, 400]  # the construction target kept in the history


def test_the_pack_of_an_unknown_project_is_one_line_and_exit_code_1(database_url):
    done = run(database_url, "handover", "--project", "Nowhere Bypass", "--format", "md")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ['No project named "Nowhere Bypass" in this workspace.']


def test_a_file_from_before_measure_kinds_keeps_its_amounts_per_period(database_url, tmp_path):
    document = json.loads(FIXTURE.read_text())
    for measure, cumulative in zip(document["measures"], (False, True), strict=True):
        del measure["kind"], measure["profile"]
        measure["cumulative"] = cumulative
    path = tmp_path / "old.json"
    path.write_text(json.dumps(document))
    assert run(database_url, "import", str(path)).returncode == 0
    exported = json.loads(run(database_url, "export", "--project", PROJECT).stdout)
    assert [(m["kind"], m["profile"]) for m in exported["measures"]] == [("per_period", None), ("total", None)]


def test_a_file_with_a_profile_out_of_order_or_outside_its_path_is_refused_whole(database_url, tmp_path):
    document = json.loads(FIXTURE.read_text())
    document["measures"][0]["profile"] = [["2027-06-30", 200], ["2027-01-31", 100]]
    document["measures"][1]["profile"] = [["2031-01-01", 10]]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    done = run(database_url, "import", str(path))
    assert done.returncode == 1
    assert "$.measures[0]" in done.stderr and "not after the line before it" in done.stderr
    assert "$.measures[1]" in done.stderr and "on or before the target date" in done.stderr
    assert run(database_url, "export", "--project", PROJECT).returncode == 1  # nothing stored


def section_text(html: str, section: str) -> str:
    """The text of one section of the HTML pack, its tags dropped."""
    start = html.index(f'<section id="{section}">')
    parsed = Sections()
    parsed.feed(html[start : html.index("</section>", start)])
    return " ".join(" ".join(parsed.text).split())


def test_page_one_says_what_is_inherited_and_what_to_do_first_and_the_registers_hold_every_commitment_and_link(database_url):
    seeded(database_url)
    html = pack(database_url, "html")
    cover = section_text(html, "cover")
    assert "Next custodian National Highways East Midlands <ops> (contact: Jo Bloggs, jo@example.org)" in cover
    assert "Measures by rating 1 Good, 1 Inadequate" in cover and "0 of 2 measures achieved their target, 2 partly" in cover
    assert "What to do first Find the 6 reports of Apprenticeships on the contract never made" in cover
    register = section_text(html, "commitments-register")
    assert (
        "Apprenticeships on the contract: 520 apprenticeship weeks by 31 Mar 2028, reported monthly for 3 years after handover" in register
    )
    assert "First report after handover 1 Nov 2027" in register and "Aftercare ends 31 Oct 2030" in register
    assert "Not continued after handover: Local labour (partly achieved, rated Inadequate)." in register
    evidence = section_text(html, "evidence-register")
    assert "Apprenticeships on the contract 1 Nov 2026 https://example.org/register awaiting approval" in evidence
    assert "Derby Jobs Hub, jobs@derby.example: for local jobs (Spondon)" in section_text(html, "partners")
    assert "Outcome (PPN 002) Skills for growth (ppn002-2025/2.1)" in section_text(html, "measures")

    annexed = run(database_url, "handover", "--project", PROJECT, "--format", "html", "--on", ON, "--with-history").stdout
    history = section_text(annexed, "history")
    assert "Owner after handover Apprenticeships on the contract 1 Sam Patel" in history and "handover.aftercare_owner" not in annexed

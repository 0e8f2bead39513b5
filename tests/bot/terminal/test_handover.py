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
    assert {"project", "why", "measures", "progress", "commitments", "legacy", "case-studies", "open-items", "history"} <= parsed.ids
    assert "script" not in parsed.tags and "b" not in parsed.tags and "schools" not in parsed.tags
    text = "".join(parsed.text)
    assert "Two <script>alert(1)</script> hires" in text
    assert "Six <b>apprentices</b> *on site* & <!channel>" in text
    assert parsed.tags.count("svg") == 2 and parsed.tags.count("polyline") == 4


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
    assert "Unanswered questions: Purpose; Drivers" in done.stdout


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
    assert "phase after handover, 2 measures" in imported.stdout
    exported = json.loads(run(custodian, "export", "--project", PROJECT).stdout)
    assert exported["project"]["phase"] == "after_handover" and exported["project"]["channel_id"] is None
    assert [m["owner"] for m in exported["measures"]] == ["Sam Patel", "Tom Evans"]  # m1's owner after handover
    assert exported["flow_sessions"] == []
    status = run(custodian, "status", "--project", PROJECT, "--on", "2026-12-10")
    assert "Apprenticeships on the contract" in status.stdout and "next due" in status.stdout


def test_the_pack_of_an_unknown_project_is_one_line_and_exit_code_1(database_url):
    done = run(database_url, "handover", "--project", "Nowhere Bypass", "--format", "md")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ['No project named "Nowhere Bypass" in this workspace.']

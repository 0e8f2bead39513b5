"""Text that hides or forges: bidi controls and zero-width characters are removed from what is
typed and from every output; evidence links carry nothing hidden and show their real host;
a typed line break cannot start a heading, a list or a code block, or break a table, in the
Markdown pack."""

import contextlib
import json
import os
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError
from sqlmodel import select

from flows.conversation.inputs import clean_text
from flows.progress.updates import evidence_link
from prompts import INVISIBLE, MarkupKind, environment
from storage.engine import transaction
from storage.models import Project
from tests.factories import say, start_plan
from tests.terminal import FIXTURE, run

HIDDEN = "".join(map(chr, INVISIBLE))
STRINGS = int(os.environ.get("SOCIALVALUE_SOAK_STRINGS", "300"))  # make soak: 100,000


async def test_invisible_characters_are_removed_from_names_and_answers(slack, engine):
    await slack.command("new \u202egnp.exe Bypass")
    await slack.command("new Al\u200bpha Road")
    async with transaction(slack.engine) as db:
        names = sorted(p.name for p in (await db.exec(select(Project))).all())
    assert names == ["Alpha Road", "gnp.exe Bypass"]
    assert "\u202e" not in json.dumps(slack.fake.of("response_url"), ensure_ascii=False)

    await start_plan(engine)
    reply = await say(engine, "\u2066Jobs\u2069 for \u200bDerby")
    assert not reply.error and "Jobs for Derby" in reply.notice
    assert (await say(engine, "\u200b\u202e")).error  # nothing visible: empty


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("https://example.org/register", "https://example.org/register"),
        ("https://EXAMPLE.org:8443/r?q=1", "https://example.org:8443/r?q=1"),
        ("https://p\u0430ypal.com/login", "https://xn--pypal-4ve.com/login"),  # a Cyrillic a
        ("https://\u05d0\u05d1.example/x", "https://xn--4dbc.example/x"),  # a right-to-left host, shown as it resolves
        ("https://example.org/a\tb", "evidence_hidden_characters"),
        ("https://example.org/a\nb", "evidence_hidden_characters"),
        ("https://exa\u202emple.org/gnp.exe", "evidence_hidden_characters"),
        ("https://exa\u200bmple.org/", "evidence_hidden_characters"),
        ("https://user:pw@example.org/x", "evidence_userinfo"),
        ("https://example.org@evil.example/x", "evidence_userinfo"),
        ("javascript:alert(1)", "evidence_not_a_link"),
        ("https://example.org:99999/", "evidence_not_a_link"),
    ],
)
def test_evidence_links_hide_nothing_and_show_their_real_host(typed, stored):
    try:
        outcome = evidence_link(typed)
    except PydanticCustomError as refused:
        outcome = refused.type
    assert outcome == stored


def test_in_the_markdown_pack_a_typed_line_stays_in_its_cell_or_item(database_url, tmp_path):
    document = json.loads(FIXTURE.read_text())
    forged = "ok\n# Forged heading\n- forged item\n    code\n```\n| x | y |"
    document["progress_updates"][0]["note"] = forged
    document["measures"][0]["method"] = forged
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(document))
    assert run(database_url, "import", str(path), "--keep-slack-places").returncode == 0
    text = run(database_url, "handover", "--project", document["project"]["name"], "--format", "md", "--on", "2026-11-28").stdout
    lines = text.splitlines()
    assert not [line for line in lines if line.startswith(("# Forged", "- forged", "```", "    code"))]
    for table in re.findall(r"(?:^\|.*\|$\n?)+", text, re.M):
        rows = [re.split(r"(?<!\\)\|", row) for row in table.strip().splitlines()]
        assert len({len(row) for row in rows}) == 1, table  # every row has the header's cells
    assert r"ok \# Forged heading - forged item     code \`\`\` \| x \| y \|" in text


@settings(max_examples=STRINGS, deadline=None)
@given(st.text(min_size=1, max_size=60))
def test_no_output_carries_a_hidden_character_a_live_mention_or_a_broken_block(value):
    markdown = environment(MarkupKind.MARKDOWN).from_string("| {{ v }} | x |\n- {{ v }}\n\n{{ v }}").render(v=value)
    lines = markdown.split("\n")  # a value that escapes to nothing leaves its line empty, still a line
    assert len(lines) == 4 and lines[1].startswith("- ") and lines[2] == ""
    assert len(re.split(r"(?<!\\)\|", lines[0].replace("\\\\", ""))) == 4
    mrkdwn = environment(MarkupKind.MRKDWN).from_string("*{{ v }}*").render(v=value)
    assert "<" not in mrkdwn and ">" not in mrkdwn  # no <!channel>, <@U…> or disguised link
    html = environment(MarkupKind.HTML).from_string("<td>{{ v }}</td>").render(v=value)
    assert html.count("<") == 2
    text = environment(MarkupKind.TEXT).from_string("{{ v }}").render(v=value)
    for output in (markdown, mrkdwn, html, text):
        assert not set(output) & set(HIDDEN)
    with contextlib.suppress(PydanticCustomError):  # refused (empty, or unprintable): nothing stored
        assert not set(clean_text(value)) & set(HIDDEN)

"""Case studies: shared only as far as their consent allows (the shareable export, the digest),
kept whole by every save and by export and import."""

import json
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.case_studies import (
    CaseStudyInvalid,
    record_case_study,
    shareable_case_studies,
    shareable_csv,
    shareable_markdown,
)
from flows.digest import build_digest, digest_text
from flows.project_file import FileRefused, read_project_file
from flows.projects import workspace_of
from prompts import MarkupKind
from storage.engine import transaction
from tests.terminal import FIXTURE

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def story(title: str, consent: str = "none", **more: str) -> dict[str, str | None]:
    given_by = "Head teacher" if consent != "none" else None
    return {
        "title": title,
        "what_happened": f"What happened in {title}",
        "scale": "small",
        "consent": consent,
        "consent_by": given_by,
        **more,
    }


async def add(engine, raw, *, now=NOW, team="T0001"):
    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id=team)
        return await record_case_study(db, workspace, project=None, raw=raw, author="alice", now=now, markup=MarkupKind.TEXT)


CONSENTS = st.sampled_from(["none", "organisation", "public", "no", "internal", "publicly", "not shared"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(consents=st.lists(CONSENTS, min_size=1, max_size=8))
async def test_no_case_study_without_public_consent_ever_reaches_the_shareable_export(engine, consents):
    team = f"T{abs(hash(tuple(consents))) % 10**9:09d}"  # a workspace of its own per example
    for i, consent in enumerate(consents):
        await add(engine, story(f"story{i}x", consent), team=team)
    async with transaction(engine) as db:
        shared = await shareable_case_studies(db, await workspace_of(db, team_id=team))
    public = {f"story{i}x" for i, c in enumerate(consents) if c in ("public", "publicly")}
    for document in (shareable_markdown(shared), shareable_csv(shared)):
        present = {f"story{i}x" for i in range(len(consents)) if f"story{i}x" in document}
        assert present == public


async def test_the_digest_lists_the_weeks_shared_case_studies_and_only_counts_the_others(engine):
    await add(engine, story("Laptops for Littleover school", "public"), now=NOW - timedelta(days=2))
    await add(engine, story("Canteen buys locally", "organisation"), now=NOW - timedelta(days=1))
    await add(engine, story("Staff mentoring, not cleared"), now=NOW - timedelta(days=1))
    await add(engine, story("Last month's litter pick", "public"), now=NOW - timedelta(days=20))
    async with transaction(engine) as db:
        digest = await build_digest(db, await workspace_of(db, team_id="T0001"), week="2026-W49", as_of=NOW)
    text = digest_text(digest, MarkupKind.MRKDWN)
    assert "*New case studies*" in text
    assert "Laptops for Littleover school" in text and "may be shared publicly" in text
    assert "Canteen buys locally" in text and "within the organisation" in text
    assert "not cleared" not in text and "litter pick" not in text
    assert "1 more kept within its project (no consent to share yet)" in text


async def test_a_case_study_refused_is_not_stored_and_says_each_limit(engine):
    raw = story("x" * 201, "public", links=" ".join(["https://example.org"] * 11), what_happened="y" * 3001)
    raw["consent_by"] = None
    try:
        await add(engine, raw)
    except CaseStudyInvalid as invalid:
        errors = invalid.errors
    assert "200 characters" in errors["title"] and "3000 characters" in errors["what_happened"]
    assert "up to 10" in errors["links"] and "who gave the consent" in errors["consent_by"]
    async with transaction(engine) as db:
        assert await shareable_case_studies(db, await workspace_of(db, team_id="T0001")) == []


def test_an_imported_case_study_follows_the_forms_rules():
    document = json.loads(FIXTURE.read_text())
    study = document["case_studies"][0]
    bad = [
        {**study, "consent_by": None},  # public, but nobody gave the consent
        {**study, "benefited_key": "n99"},
        {**study, "title": "x" * 201},
        {**study, "scale": "galactic"},
        {**study, "links": ["javascript:alert(1)"]},
        {**study, "versions": []},
    ]
    for case in bad:
        try:
            read_project_file(json.dumps({**document, "case_studies": [case]}).encode())
        except FileRefused as refused:
            assert refused.problems, case
        else:
            raise AssertionError(f"imported {case}")


async def test_the_digest_names_ten_case_studies_at_most_and_counts_the_rest(engine):
    for i in range(12):
        await add(engine, story(f"Story number {i:02d}", "organisation"), now=NOW - timedelta(hours=i + 1))
    async with transaction(engine) as db:
        digest = await build_digest(db, await workspace_of(db, team_id="T0001"), week="2026-W49", as_of=NOW)
    text = digest_text(digest, MarkupKind.TEXT)
    assert sum(f"Story number {i:02d}" in text for i in range(12)) == 10
    assert "And 2 more: `/socialvalue casestudies all` lists them." in text

"""Case studies of good practice, large and small: checked once (the same rules for a Slack
form, a message turned into a draft, the terminal and an imported file), saved with every
version kept, listed, and shared only as far as their consent allows."""

import csv
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from io import StringIO
from typing import Any

from pydantic_core import PydanticCustomError
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.assessment import spreadsheet_cell
from flows.conversation.inputs import Choice, clean_text, parse_date, refuse
from flows.progress.updates import evidence_link
from flows.refusals import Refused
from prompts import render, slack_user_of
from storage.case_studies import Reader, count_case_studies, get_case_study, list_case_studies, save_case_study
from storage.models import CaseStudy, Consent, Project, Scale, Workspace
from storage.projects import get_project_by_id, list_communities, list_needs, list_projects_in, list_user_projects

MAX_TITLE = 200
MAX_STORY = 3000  # what one Slack form box holds: the same limit in the terminal and in files
MAX_BENEFITED = 1000
MAX_PERSON = 200
MAX_LINKS = 10
MAX_PERMALINK = 500
LISTED = 20  # case studies shown in one Slack answer; the rest are counted
ON_HOME = 3
FIELDS = (
    "title",
    "what_happened",
    "benefited_key",
    "benefited",
    "scale",
    "outcome",
    "links",
    "happened_on",
    "consent",
    "consent_by",
    "consent_on",
    "permalink",
)
SCALE_WORDS = {
    "small": Scale.SMALL,
    "small gesture": Scale.SMALL,
    "gesture": Scale.SMALL,
    "project": Scale.PROJECT,
    "project-wide": Scale.PROJECT,
    "project wide": Scale.PROJECT,
    "programme": Scale.PROGRAMME,
    "program": Scale.PROGRAMME,
}
CONSENT_WORDS = {
    "none": Consent.NONE,
    "no": Consent.NONE,
    "not shared": Consent.NONE,
    "not to be shared": Consent.NONE,
    "private": Consent.NONE,
    "organisation": Consent.ORGANISATION,
    "organization": Consent.ORGANISATION,
    "internal": Consent.ORGANISATION,
    "within the organisation": Consent.ORGANISATION,
    "public": Consent.PUBLIC,
    "publicly": Consent.PUBLIC,
}
SHARED_IN_DIGEST = (Consent.ORGANISATION.value, Consent.PUBLIC.value)
LINK_SEPARATOR = re.compile(r"[\s,]+")


class CaseStudyInvalid(Exception):
    """{field: one-line explanation, with any limit named}; nothing was stored."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


class CaseStudyRefused(Refused):
    """Not this person's to change, or not a case study of this workspace."""


@dataclass(frozen=True)
class Story:
    """A case study's fields as checked: what is stored."""

    title: str
    what_happened: str
    benefited: str | None
    benefited_key: str | None
    scale: str
    outcome: str | None
    links: list[str]
    happened_on: date
    consent: str
    consent_by: str | None
    consent_on: date | None
    permalink: str | None


@dataclass(frozen=True)
class Beneficiary(Choice):
    """A community or need of the project, as a menu shows it (`label`) and as typed (`name`)."""

    name: str = ""


@dataclass(frozen=True)
class Shown:
    """A case study as people read it: with its project's name and whom it served, in words."""

    study: CaseStudy
    project: str | None  # None: organisation-wide
    benefited: str | None


def parse_scale(raw: str | None) -> str:
    found = SCALE_WORDS.get(" ".join((raw or "").split()).casefold())
    if found is None:
        raise refuse("case_study_scale")
    return found.value


def _consent(raw: str | None) -> str:
    if raw is None or not raw.strip():
        return Consent.NONE.value
    found = CONSENT_WORDS.get(" ".join(raw.split()).casefold())
    if found is None:
        raise refuse("case_study_consent")
    return found.value


def _required(raw: str | None, maximum: int) -> str:
    if raw is None or not raw.strip():
        raise refuse("required")
    return clean_text(raw, maximum=maximum)


def _optional(raw: str | None, maximum: int) -> str | None:
    return clean_text(raw, maximum=maximum) if raw is not None and raw.strip() else None


def _day(raw: str | None, today: date) -> date | None:
    if raw is None or not raw.strip():
        return None
    day = parse_date(raw)
    if day > today:
        raise refuse("case_study_date_ahead", today=today.isoformat())
    return day


def _links(raw: str | None) -> list[str]:
    given = [part for part in LINK_SEPARATOR.split(raw or "") if part]
    if len(given) > MAX_LINKS:
        raise refuse("case_study_too_many_links", most=MAX_LINKS, count=len(given))
    return [link for part in given if (link := evidence_link(part))]


def _permalink(raw: str | None) -> str | None:
    if raw is not None and len(raw) > MAX_PERMALINK:
        raise refuse("text_too_long", maximum=MAX_PERMALINK, length=len(raw))
    return evidence_link(raw)


def check_story(raw: Mapping[str, str | None], *, beneficiaries: list[Beneficiary], today: date, markup: str) -> Story:
    """Every field checked, each refusal explained in `markup` under its field's name.
    `benefited_key` is a community or need of the project (from a menu, or typed as c1 / n3
    or as its words); `benefited` is anyone else, in words."""
    errors: dict[str, str] = {}

    def checked(field: str, parse: Any, *args: Any) -> Any:
        try:
            return parse(raw.get(field), *args)
        except PydanticCustomError as refused:
            errors[field] = render(f"errors.j2:{refused.type}", markup, **(refused.context or {}))
            return None

    keys = {
        typed.casefold(): c.value for c in reversed(beneficiaries) for typed in (c.value, c.label, " ".join(c.name.split()))
    }  # reversed: a need and its community of the same words mean the community

    def key_of(text: str | None) -> str | None:
        if text is None or not text.strip():
            return None
        found = keys.get(" ".join(text.split()).casefold())
        if found is None:
            raise refuse("case_study_benefit_unknown", given=text.strip()[:MAX_PERSON])
        return found

    title = checked("title", _required, MAX_TITLE)
    what = checked("what_happened", _required, MAX_STORY)
    benefited_key = checked("benefited_key", key_of)
    benefited = checked("benefited", _optional, MAX_BENEFITED)
    if benefited_key is None and benefited is not None and " ".join(benefited.split()).casefold() in keys:
        benefited_key, benefited = keys[" ".join(benefited.split()).casefold()], None  # typed as c1, n3 or its words
    scale = checked("scale", parse_scale)
    outcome = checked("outcome", _optional, MAX_STORY)
    links = checked("links", _links)
    happened_on = checked("happened_on", _day, today)
    consent = checked("consent", _consent)
    consent_by = checked("consent_by", _optional, MAX_PERSON)
    consent_on = checked("consent_on", _day, today)
    permalink = checked("permalink", _permalink)
    if consent not in (None, Consent.NONE.value) and consent_by is None and "consent_by" not in errors:
        errors["consent_by"] = render("errors.j2:case_study_consent_by", markup)
    if errors:
        raise CaseStudyInvalid(errors)
    shared = consent != Consent.NONE.value
    return Story(
        title=title,
        what_happened=what,
        benefited=benefited,
        benefited_key=benefited_key,
        scale=scale,
        outcome=outcome,
        links=links or [],
        happened_on=happened_on or today,
        consent=consent,
        consent_by=consent_by if shared else None,
        consent_on=(consent_on or today) if shared else None,
        permalink=permalink,
    )


def story_of(study: CaseStudy) -> dict[str, str | None]:
    """A stored case study as a person would type it: what an edit starts from."""
    return {
        "title": study.title,
        "what_happened": study.what_happened,
        "benefited_key": study.benefited_key,
        "benefited": study.benefited,
        "scale": study.scale,
        "outcome": study.outcome,
        "links": "\n".join(study.links),
        "happened_on": study.happened_on.isoformat(),
        "consent": study.consent,
        "consent_by": study.consent_by,
        "consent_on": study.consent_on.isoformat() if study.consent_on else None,
        "permalink": study.permalink,
    }


async def beneficiaries(db: AsyncSession, project: Project | None) -> list[Beneficiary]:
    """The communities and needs of the project a case study may name as whom it served."""
    if project is None:
        return []
    communities = await list_communities(db, project_id=project.id)
    named = {c.id: c.name for c in communities}
    choices = [Beneficiary(c.key, render("case_studies.j2:community_choice", name=c.name), c.name) for c in communities]
    for need in await list_needs(db, project_id=project.id):
        if need.community_id in named:
            label = render("case_studies.j2:need_choice", need=need.name, community=named[need.community_id])
            choices.append(Beneficiary(need.key, label, need.name))
    return choices


def may_edit(study: CaseStudy, project: Project | None, user: str) -> bool:
    """Its author and its project's lead change a case study; nobody else."""
    if user == study.author:
        return True
    return project is not None and project.lead is not None and user in (slack_user_of(project.lead), project.lead)


async def record_case_study(
    db: AsyncSession,
    workspace: Workspace,
    *,
    project: Project | None,
    raw: Mapping[str, str | None],
    author: str,
    now: datetime,
    markup: str,
    study_id: int | None = None,
    partial: bool = False,
) -> CaseStudy:
    """A new case study, or a new version of one (by its author or its project's lead; the
    project it belongs to stays). With `partial`, fields not in `raw` (or None) keep their
    current values. Raises CaseStudyInvalid or CaseStudyRefused; nothing is stored then."""
    study: CaseStudy | None = None
    if study_id is not None:
        study = await get_case_study(db, workspace_id=workspace.id, study_id=study_id)
        if study is None:
            raise CaseStudyRefused("case_study_unknown", id=study_id)
        project = await get_project_by_id(db, workspace_id=workspace.id, project_id=study.project_id) if study.project_id else None
        if not may_edit(study, project, author):
            raise CaseStudyRefused("case_study_not_yours", author=study.author, lead=project.lead if project else None)
        if partial:
            raw = {**story_of(study), **{field: value for field, value in raw.items() if value is not None}}
    story = check_story(raw, beneficiaries=await beneficiaries(db, project), today=now.date(), markup=markup)
    if study is None:
        study = CaseStudy(workspace_id=workspace.id, project_id=project.id if project else None, author=author, **asdict(story))
    else:
        for field, value in asdict(story).items():
            setattr(study, field, value)
    return await save_case_study(db, study, by=author, now=now)


async def find_case_study(db: AsyncSession, workspace: Workspace, study_id: int) -> CaseStudy:
    study = await get_case_study(db, workspace_id=workspace.id, study_id=study_id)
    if study is None:
        raise CaseStudyRefused("case_study_unknown", id=study_id)
    return study


async def shown(db: AsyncSession, workspace_id: int, studies: list[CaseStudy]) -> list[Shown]:
    """The studies with their projects' names and whom they served in words (one query for the
    projects, two per project whose community or need is named)."""
    ids = {s.project_id for s in studies if s.project_id is not None}
    projects = {p.id: p for p in await list_projects_in(db, workspace_id=workspace_id, ids=ids)}
    labels: dict[int, dict[str, str]] = {}
    for project_id in {s.project_id for s in studies if s.project_id is not None and s.benefited_key}:
        labels[project_id] = {c.value: c.label for c in await beneficiaries(db, projects.get(project_id))}
    result = []
    for study in studies:
        project = projects.get(study.project_id) if study.project_id is not None else None
        named = labels.get(study.project_id or 0, {}).get(study.benefited_key or "")
        whom = "; ".join(part for part in (named, study.benefited) if part) or None
        result.append(Shown(study, project.name if project else None, whom))
    return result


@dataclass(frozen=True)
class Listing:
    studies: list[Shown]
    total: int  # of which `studies` are the newest LISTED


async def reader_of(db: AsyncSession, workspace: Workspace, user: str, *, also: Project | None = None, guest: bool = False) -> Reader:
    """What a Slack member may read: case studies shared beyond their projects, and any of the
    projects they lead or answer (and `also`, the project whose channel they are in). A guest
    reads only their own and those of the channel's project."""
    if guest:
        return Reader(user=user, project_ids=(also.id,) if also else (), shared=())
    ids = {p.id for p in await list_user_projects(db, workspace_id=workspace.id, user=user)} | ({also.id} if also else set())
    return Reader(user=user, project_ids=tuple(sorted(ids)), shared=SHARED_IN_DIGEST)


async def case_study_listing(
    db: AsyncSession,
    workspace: Workspace,
    *,
    project: Project | None,
    scale: str | None,
    reader: Reader | None = None,
    limit: int | None = LISTED,
) -> Listing:
    """Newest first, of one project or all (and one scale); with `reader`, those they may see."""
    project_id = project.id if project else None
    studies = await list_case_studies(db, workspace_id=workspace.id, project_id=project_id, scale=scale, limit=limit, reader=reader)
    total = await count_case_studies(db, workspace_id=workspace.id, project_id=project_id, scale=scale, reader=reader)
    return Listing(await shown(db, workspace.id, studies), total)


async def week_case_studies(db: AsyncSession, workspace: Workspace, *, since: datetime, most: int) -> tuple[list[Shown], int, int]:
    """The case studies added in the week from `since` that may be shown beyond their project
    (consented within the organisation or publicly): the newest `most`, how many more of
    those, and how many others were added (kept within their project)."""
    until = since + timedelta(days=7)
    added = await list_case_studies(db, workspace_id=workspace.id, since=since, until=until)
    shared = [s for s in added if s.consent in SHARED_IN_DIGEST]
    return await shown(db, workspace.id, shared[:most]), len(shared[most:]), len(added) - len(shared)


async def project_case_studies(db: AsyncSession, project: Project) -> list[Shown]:
    """Every case study of the project, at every consent level: for its handover pack."""
    studies = await list_case_studies(db, workspace_id=project.workspace_id, project_id=project.id)
    return await shown(db, project.workspace_id, studies)


async def shareable_case_studies(db: AsyncSession, workspace: Workspace) -> list[Shown]:
    """Only those consented for public use: nothing else may reach a newsletter."""
    public = await list_case_studies(db, workspace_id=workspace.id, consent=(Consent.PUBLIC.value,))
    return await shown(db, workspace.id, [s for s in public if s.consent == Consent.PUBLIC.value])


def shareable_markdown(studies: list[Shown]) -> str:
    return render("case_studies.j2:shareable", "markdown", studies=[s for s in studies if s.study.consent == Consent.PUBLIC.value])


CSV_COLUMNS = (
    "title",
    "project",
    "date",
    "scale",
    "what happened",
    "who benefited",
    "outcome",
    "links",
    "slack message",
    "consent given by",
    "consent given on",
)


def shareable_csv(studies: list[Shown]) -> str:
    """One row per publicly consented case study; no cell can run as a formula."""
    out = StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for shown_ in studies:
        s = shown_.study
        if s.consent != Consent.PUBLIC.value:
            continue
        row = (
            s.title,
            shown_.project or "",
            s.happened_on.isoformat(),
            render("case_studies.j2:scale_name", scale=s.scale),
            s.what_happened,
            shown_.benefited or "",
            s.outcome or "",
            " ".join(s.links),
            s.permalink or "",
            s.consent_by or "",
            s.consent_on.isoformat() if s.consent_on else "",
        )
        writer.writerow([spreadsheet_cell(value) for value in row])
    return out.getvalue()

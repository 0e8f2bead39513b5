"""A project file (`socialvalue export`, the handover pack's JSON) read back for `socialvalue
import`: one pydantic schema, checked whole before anything is stored, with the same rules
as the conversation's answers (text lengths and characters, dates, numbers, cadences,
evidence links) and the same limits as a plan. A refused file lists every problem with its
JSON path.

Row ids never come from a file (the schema has none): rows get new ids, and communities,
measures and answers refer to each other by their keys, remapped on import.
"""

import json
import re
from datetime import date, datetime
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from flows.case_studies import MAX_LINKS, MAX_PERMALINK, MAX_STORY
from flows.conversation.inputs import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    MAX_ITEM_PART,
    MAX_NUMBER,
    MAX_PROFILE_POINTS,
    MAX_SHORT_TEXT,
    MAX_TEXT,
    clean_text,
    parse_profile,
    refuse,
)
from flows.coverage import WHOLE_PROJECT
from flows.plan import CATALOGUE, MAX_COMMUNITIES, MAX_NEEDS, MAX_OWN_MEASURES
from flows.progress.updates import evidence_link
from flows.ratings import Kind
from flows.schedules import MAX_PER_YEAR, cadence_problem
from prompts import MarkupKind, catalogue, has_macro, render
from storage.models import Consent, Measure, Review, Scale, SessionStatus, column_lengths
from storage.portable import FORMAT, FORMAT_VERSION

MAX_FILE_BYTES = 16 * 1024 * 1024  # a project with years of weekly updates is a few MB
MAX_CATALOGUE_MEASURES = len(catalogue(CATALOGUE)["measures"])
COLUMNS = column_lengths(Measure, ("unit", "catalogue_ref", "outcome", "framework_code"))  # 64 each
MAX_ANSWERS = MAX_UPDATES = 50_000
MAX_SESSIONS = 1_000
MAX_CASE_STUDIES = 10_000
MAX_CASE_STUDY_VERSIONS = 1_000
MAX_VALUE_DEPTH, MAX_VALUE_ITEMS = 4, 200  # an answer's value: a list of picks, a list of items
SLACK_ID = r"^[A-Z0-9]{1,32}$"
TS = r"^\d{1,12}\.\d{1,8}$"
PROBLEMS_SHOWN = 50


def _day(value: date) -> date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise refuse("date_out_of_range", earliest=EARLIEST_YEAR, latest=LATEST_YEAR)
    return value


def _cadence(value: str) -> str:
    if problem := cadence_problem(value):
        raise refuse(problem, most=MAX_PER_YEAR)
    return value


def _link(value: str) -> str:
    return evidence_link(value) or ""


def _value(value: Any, depth: int = 0) -> Any:
    """An answer's stored value: text, a number, a yes/no, or lists and items of them."""
    if depth > MAX_VALUE_DEPTH:
        raise refuse("import_value_nested")
    if isinstance(value, str):
        return clean_text(value, maximum=MAX_TEXT) if value.strip() else value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        if not -MAX_NUMBER <= value <= MAX_NUMBER:  # NaN fails this too
            raise refuse("number_too_large", maximum=MAX_NUMBER, unit="")
        return value
    if isinstance(value, list | dict):
        if len(value) > MAX_VALUE_ITEMS:
            raise refuse("import_value_large", most=MAX_VALUE_ITEMS)
        if isinstance(value, list):
            return [_value(item, depth + 1) for item in value]
        return {clean_text(key, maximum=64): _value(item, depth + 1) for key, item in value.items()}
    raise refuse("import_value_kind")


def _profile_text(points: list[list[Any]], *, milestones: bool) -> str:
    """A stored profile as the lines a person would type, to be checked by the same rules."""
    lines = []
    for point in points:
        if not 2 <= len(point) <= 3:
            raise refuse("profile_line", line=str(point)[:MAX_SHORT_TEXT], unit="", milestones=milestones)
        day, value, *label = point
        lines.append(f"{day} {label[0] if label else ''}" if milestones else f"{day} {value}")
    return "\n".join(lines)


# Text as the conversation takes it: trimmed, printable, no longer than the same limits.
Text = Annotated[str, AfterValidator(partial(clean_text, maximum=MAX_TEXT))]
Short = Annotated[str, AfterValidator(partial(clean_text, maximum=MAX_SHORT_TEXT))]
Part = Annotated[str, AfterValidator(partial(clean_text, maximum=MAX_ITEM_PART))]
Column64 = Annotated[str, AfterValidator(partial(clean_text, maximum=min(COLUMNS.values())))]
Day = Annotated[date, AfterValidator(_day)]
Number = Annotated[float, Field(ge=-MAX_NUMBER, le=MAX_NUMBER, allow_inf_nan=False)]
SlackId = Annotated[str, Field(pattern=SLACK_ID)]
Ts = Annotated[str, Field(pattern=TS)]
CommunityKey = Annotated[str, Field(pattern=r"^c\d{1,6}$")]
NeedKey = Annotated[str, Field(pattern=r"^n\d{1,6}$")]
MeasureKey = Annotated[str, Field(pattern=r"^m\d{1,6}$")]
Name = Annotated[str, Field(pattern=r"^[a-z_]{1,32}$")]
Cadence = Annotated[str, Field(max_length=MAX_SHORT_TEXT), AfterValidator(_cadence)]
Link = Annotated[str, Field(max_length=2000), AfterValidator(_link)]
Value = Annotated[Any, AfterValidator(_value)]
Profile = Annotated[list[list[str | int | float]], Field(max_length=MAX_PROFILE_POINTS)]


class Row(BaseModel):
    # Unknown fields (an `id`, a `workspace_id`) are refused, not ignored: a file is restored as
    # written, or not at all.
    model_config = ConfigDict(extra="forbid")


class WorkspaceRow(Row):
    enterprise_id: Annotated[str, Field(max_length=32)] = ""
    team_id: Annotated[str, Field(max_length=32)]
    name: Annotated[str, Field(max_length=200)] = ""


class ProjectRow(Row):
    name: Short
    channel_id: SlackId | None = None
    lead: Short | None = None
    client_organisation: Text | None = None
    phase: Name | None = None
    planned_completion: Day | None = None
    handover_date: Day | None = None
    next_custodian: Text | None = None
    created_at: datetime
    updated_at: datetime


class CommunityRow(Row):
    key: CommunityKey
    name: Part
    place: Part | None = None
    who: Part | None = None
    created_at: datetime
    retired_at: datetime | None = None
    retired_by: Short | None = None


class NeedRow(Row):
    key: NeedKey
    community: CommunityKey
    name: Part
    evidence: Part | None = None
    signposting: Part | None = None
    created_at: datetime
    retired_at: datetime | None = None
    retired_by: Short | None = None


class MeasureRow(Row):
    key: MeasureKey
    name: Part
    unit: Column64
    catalogue_ref: Column64 | None = None
    outcome: Column64 | None = None
    framework_code: Column64 | None = None
    framework_name: Part | None = None
    needs: Annotated[list[NeedKey | Literal["project"]], Field(max_length=MAX_NEEDS + 1)] | None = None
    method: Text | None = None
    data_source: Text | None = None
    baseline_value: Number | None = None
    baseline_date: Day | None = None
    target_value: Number | None = None
    target_date: Day | None = None
    evidence: Text | None = None
    owner: Short | None = None
    cadence: Cadence | None = None
    kind: Kind = Kind.TOTAL
    profile: Profile | None = None
    created_at: datetime
    retired_at: datetime | None = None
    retired_by: Short | None = None

    @model_validator(mode="before")
    @classmethod
    def _kind_from_cumulative(cls, row: Any) -> Any:
        """A file written before measure kinds says whether updates are running totals."""
        if isinstance(row, dict) and "cumulative" in row:
            row = dict(row)
            cumulative = row.pop("cumulative")
            row.setdefault("kind", Kind.TOTAL if cumulative is not False else Kind.PER_PERIOD)
        return row

    @model_validator(mode="after")
    def _target_after_baseline(self) -> "MeasureRow":
        if self.baseline_date and self.target_date and self.target_date < self.baseline_date:
            raise refuse("date_too_early", not_before=self.baseline_date.isoformat())
        if self.profile:  # checked as the conversation checks it: in order, within the path
            milestones = self.kind == Kind.MILESTONE
            self.profile = parse_profile(
                _profile_text(self.profile, milestones=milestones),
                milestones=milestones,
                not_before=self.baseline_date,
                not_after=self.target_date,
            )
        return self


class AnswerRow(Row):
    flow: Name
    flow_version: Annotated[int, Field(ge=1, le=1000)]
    question: Name
    field: Annotated[str, Field(pattern=r"^[a-z_]{1,64}$")]
    subject: Annotated[str, Field(pattern=r"^([cnm]\d{1,6})?$")] = ""
    value: Value
    author: Short
    created_at: datetime
    version: Annotated[int, Field(ge=1, le=MAX_ANSWERS)]


class FlowSessionRow(Row):
    flow: Name
    user: Short
    position: Annotated[str, Field(pattern=r"^[a-z_]+\.[a-z_]+(:[cm]\d{1,6})?$")] | None = None
    status: SessionStatus
    channel: SlackId | None = None
    thread_ts: Ts | None = None
    question_ts: Ts | None = None
    started_at: datetime
    updated_at: datetime


class UpdateRow(Row):
    measure: MeasureKey
    period_start: Day
    period_end: Day
    value: Number | None = None
    note: Text | None = None
    evidence_url: Link | None = None
    recovery_action: Text | None = None
    other_reason: Text | None = None
    author: Short
    created_at: datetime
    version: Annotated[int, Field(ge=1, le=MAX_UPDATES)]
    review: Review = Review.SUBMITTED
    reviewed_by: Short | None = None
    reviewed_at: datetime | None = None
    review_comment: Text | None = None


Story = Annotated[str, AfterValidator(partial(clean_text, maximum=MAX_STORY))]


class CaseStudyVersionRow(Row):
    version: Annotated[int, Field(ge=1, le=MAX_ANSWERS)]
    value: Value
    author: Short
    created_at: datetime


class CaseStudyRow(Row):
    """A case study of the project, by the same rules as the form, with every saved version."""

    title: Short
    what_happened: Story
    benefited: Part | None = None
    benefited_key: Annotated[str, Field(pattern=r"^[cn]\d{1,6}$")] | None = None
    scale: Scale
    outcome: Story | None = None
    links: Annotated[list[Link], Field(max_length=MAX_LINKS)] = []
    permalink: Annotated[str, Field(max_length=MAX_PERMALINK), AfterValidator(_link)] | None = None
    happened_on: Day
    consent: Consent = Consent.NONE
    consent_by: Short | None = None
    consent_on: Day | None = None
    author: Short
    created_at: datetime
    updated_at: datetime
    versions: Annotated[list[CaseStudyVersionRow], Field(min_length=1, max_length=MAX_CASE_STUDY_VERSIONS)]

    @model_validator(mode="after")
    def _consent_given_by_someone(self) -> "CaseStudyRow":
        if self.consent != Consent.NONE and not self.consent_by:
            raise refuse("case_study_consent_by")
        if len({v.version for v in self.versions}) != len(self.versions):
            raise refuse("import_duplicate_versions", what="case study")
        return self


class ProjectFile(Row):
    format: Literal["socialvalue-project"]
    format_version: Literal[2]
    workspace: WorkspaceRow | None = None  # where it was exported from: never where it goes
    project: ProjectRow
    communities: Annotated[list[CommunityRow], Field(max_length=MAX_COMMUNITIES)] = []
    needs: Annotated[list[NeedRow], Field(max_length=MAX_NEEDS)] = []
    measures: Annotated[list[MeasureRow], Field(max_length=MAX_OWN_MEASURES + MAX_CATALOGUE_MEASURES)] = []
    answers: Annotated[list[AnswerRow], Field(max_length=MAX_ANSWERS)] = []
    flow_sessions: Annotated[list[FlowSessionRow], Field(max_length=MAX_SESSIONS)] = []
    progress_updates: Annotated[list[UpdateRow], Field(max_length=MAX_UPDATES)] = []
    case_studies: Annotated[list[CaseStudyRow], Field(max_length=MAX_CASE_STUDIES)] = []
    # The handover pack's reading of the rows (its page at a glance, registers, risks): rebuilt
    # on every pack from the rows, so read from no file.
    handover: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _references(self) -> "ProjectFile":
        """Keys unique, and every reference to a community, need or measure to one in the file."""
        communities = [c.key for c in self.communities]
        needs = [n.key for n in self.needs]
        measures = [m.key for m in self.measures]
        if any(len(set(keys)) != len(keys) for keys in (communities, needs, measures)):
            raise refuse("import_duplicate_keys")
        known = {*communities, *needs, *measures, ""}
        if any(n.community not in known for n in self.needs):
            raise refuse("import_unknown_key", what="a need's community")
        if any(key not in known and key != WHOLE_PROJECT for m in self.measures for key in m.needs or []):
            raise refuse("import_unknown_key", what="a measure's need")
        if any(u.measure not in known for u in self.progress_updates):
            raise refuse("import_unknown_key", what="a progress update's measure")
        if any(c.benefited_key not in known for c in self.case_studies if c.benefited_key):
            raise refuse("import_unknown_key", what="a case study's community or need")
        if any(a.subject not in known for a in self.answers):
            raise refuse("import_unknown_key", what="an answer's subject")
        if len({(a.question, a.field, a.subject, a.version) for a in self.answers}) != len(self.answers):
            raise refuse("import_duplicate_versions", what="answer")
        if len({(u.measure, u.period_end, u.version) for u in self.progress_updates}) != len(self.progress_updates):
            raise refuse("import_duplicate_versions", what="progress update")
        return self


class FileRefused(Exception):
    """The file cannot be imported: `problems` are (JSON path, explanation), in file order."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems[0][1] if problems else "")
        self.problems = problems


def _refuse_constant(name: str) -> None:
    raise ValueError(name)


def read_project_file(raw: bytes) -> ProjectFile:
    """The file checked whole, or FileRefused naming every problem found."""
    if len(raw) > MAX_FILE_BYTES:
        raise FileRefused([("$", render("terminal.j2:import_too_large", MarkupKind.TEXT, most=MAX_FILE_BYTES // (1024 * 1024)))])
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)  # NaN, Infinity
    except (ValueError, RecursionError):
        raise FileRefused([("$", render("terminal.j2:import_not_json", MarkupKind.TEXT))]) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise FileRefused([("$", render("terminal.j2:import_not_an_export", MarkupKind.TEXT))])
    if document.get("format_version") == 1:
        document = _from_version_1(document)
    if document.get("format_version") != FORMAT_VERSION:
        raise FileRefused(
            [("$.format_version", render("terminal.j2:import_version", MarkupKind.TEXT, version=document.get("format_version")))]
        )
    try:
        return ProjectFile.model_validate(document)
    except ValidationError as invalid:
        raise FileRefused([(_path(error["loc"]), _explain(error)) for error in invalid.errors()]) from None


UNDESCRIBED = "Needs not yet described"


def _from_version_1(document: dict[str, Any]) -> dict[str, Any]:
    """A file written before needs were records, as version 2 has it (as migration 0011 did the
    database): a community's needs text becomes its needs (its "signposting" their evidence), a
    measure of one community answers all its needs, one of "all" the project as a whole. A
    file of the wrong shape is passed on for the schema to refuse, with its paths."""
    document = {**document, "format_version": 2}
    communities, measures, answers = (document.get(part, []) for part in ("communities", "measures", "answers"))
    if not all(isinstance(rows, list) and all(isinstance(row, dict) for row in rows) for rows in (communities, measures, answers)):
        return document
    linked = {m.get("community") for m in measures}
    said = {a.get("subject"): a for a in answers if a.get("question") == "what" and a.get("field") == "community"}
    named = {a.get("subject"): a for a in answers if a.get("question") == "why" and a.get("field") == "communities"}
    needs: list[dict[str, Any]] = []
    answers = list(answers)
    document["communities"] = communities = [dict(c) for c in communities]
    for community in communities:
        if not all(isinstance(community.get(part), str | None) for part in ("needs", "signposting")):
            continue  # left for the schema to refuse, with its path
        text, evidence = community.pop("needs", None), community.pop("signposting", None)
        names = [part.strip() for part in re.split(r"[\n;]", text) if part.strip()] if text else []
        if not names and (evidence or community.get("key") in linked):
            names = [UNDESCRIBED]
        told = named.get(community.get("key"))  # the answer that named the community and its needs
        stamp = told.get("created_at") if told is not None else community.get("created_at")
        for name in names:
            need = {"key": f"n{len(needs) + 1}", "community": community.get("key"), "name": name, "evidence": evidence or None}
            needs.append({**need, "created_at": stamp})
            value = {"name": name, "evidence": evidence or None, "signposting": None}
            answers.append(_answer_of("why", "needs", need["key"], value, told, stamp))
    document["needs"] = needs
    document["measures"] = measures = [dict(m) for m in measures]
    for measure in measures:
        community, link = measure.pop("community", None), said.get(measure.get("key"))
        if community:
            measure["needs"] = [n["key"] for n in needs if n["community"] == community]
        elif link is not None and link.get("value") == "all":
            measure["needs"] = [WHOLE_PROJECT]
        else:
            continue
        stamp = link.get("created_at") if link is not None else measure.get("created_at")
        answers.append(_answer_of("what", "needs", measure.get("key"), measure["needs"], link, stamp))
    document["answers"] = answers
    return document


def _answer_of(question: str, field: str, subject: Any, value: Any, said: dict[str, Any] | None, stamp: Any) -> dict[str, Any]:
    author = said.get("author") if said is not None else "import of a version 1 file"
    return {
        **{"flow": "plan", "flow_version": 1, "question": question, "field": field, "subject": subject, "value": value},
        **{"author": author, "created_at": stamp, "version": 1},
    }


def _path(loc: tuple[int | str, ...]) -> str:
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)


def _explain(error: Any) -> str:
    name = f"errors.j2:{error['type']}"
    if has_macro(name):
        return render(name, MarkupKind.TEXT, **(error.get("ctx") or {}))
    return str(error["msg"])

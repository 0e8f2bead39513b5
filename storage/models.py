"""The tables. Every row belongs to a workspace, directly or through its project.

Answers are the plan's history: appended, never updated. Project, community and measure
columns hold the current value of what the plan flow stored, so later readers (reminders,
digests) need no replay of the history.
"""

import time
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import JSON, Column, DateTime, Dialect, Index, Text, TypeDecorator, UniqueConstraint, false
from sqlmodel import Field, SQLModel

_clock_start: tuple[datetime, float] | None = None  # (the moment given, monotonic time then)


def start_clock_at(moment: datetime | None) -> None:
    """Run as if it were `moment` (SOCIALVALUE_NOW, for the terminal's demos, training and
    tests): time moves on from it, and everything recorded is stamped so."""
    global _clock_start
    _clock_start = None if moment is None else (moment.astimezone(UTC), time.monotonic())


def utcnow() -> datetime:
    if _clock_start is not None:
        return _clock_start[0] + timedelta(seconds=time.monotonic() - _clock_start[1])
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is expected")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def timestamp() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Workspace(SQLModel, table=True):
    """A Slack workspace (team, within an enterprise grid or not), or the local terminal one."""

    __table_args__ = (UniqueConstraint("enterprise_id", "team_id"),)

    id: int = Field(default=None, primary_key=True)  # set by the database on insert
    enterprise_id: str = Field(default="", max_length=32)
    team_id: str = Field(max_length=32)
    name: str = Field(default="", max_length=200)
    created_at: datetime = timestamp()
    # When the app was uninstalled or its token revoked: nothing is sent or planned for the
    # workspace since; its data is kept until `socialvalue workspace delete`. None: installed.
    uninstalled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# Distributed mode's installations: slack_sdk's tables, read and written by its store
# (storage/installations.py), with room for a token sealed with Fernet (some 300 characters).
SLACK_INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(SQLModel.metadata, "slack_installations")
SLACK_BOTS = SQLAlchemyInstallationStore.build_bots_table(SQLModel.metadata, "slack_bots")
for _column in (*SLACK_INSTALLATIONS.c, *SLACK_BOTS.c):
    if _column.name.endswith("_token"):
        _column.type = Text()


class OAuthState(SQLModel, table=True):
    """An install under way: the state Slack's authorize page hands back, good once, until
    `expire_at`."""

    __tablename__ = "slack_oauth_state"

    id: int = Field(default=None, primary_key=True)
    state: str = Field(max_length=64, unique=True)
    expire_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Project(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: int = Field(default=None, primary_key=True)  # set by the database on insert
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    name: str = Field(max_length=200)
    channel_id: str | None = Field(default=None, max_length=32)
    # Whether that channel is private (its project is read outside it by its team only);
    # None until Slack has said (projects from before it was asked: the worker asks).
    channel_private: bool | None = None
    lead: str | None = Field(default=None, max_length=200)
    client_organisation: str | None = None
    phase: str | None = Field(default=None, max_length=32)
    planned_completion: date | None = None
    handover_date: date | None = None
    next_custodian: str | None = None
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class ProjectEditor(SQLModel, table=True):
    """Someone the project's lead lets change its plan, communities, measures and owners."""

    __tablename__ = "project_editor"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: int = Field(default=None, primary_key=True)  # set by the database on insert
    project_id: int = Field(foreign_key="project.id")
    user_id: str = Field(max_length=200)  # a Slack user id, or in the terminal a person's name
    added_by: str = Field(max_length=200)
    added_at: datetime = timestamp()


class Community(SQLModel, table=True):
    """A community the project serves, named granularly: by place and by who they are."""

    __table_args__ = (UniqueConstraint("project_id", "key"),)

    id: int = Field(default=None, primary_key=True)  # set by the database on insert
    project_id: int = Field(foreign_key="project.id", index=True)
    key: str = Field(max_length=16)  # stable within the project: c1, c2, ...
    name: str
    place: str | None = None
    who: str | None = None
    created_at: datetime = timestamp()
    # Removed from the plan: kept, with its answers and updates, and shown nowhere but the history.
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    retired_by: str | None = Field(default=None, max_length=200)


class Need(SQLModel, table=True):
    """One need of a community: what it is, the evidence for it, and who meets it."""

    __table_args__ = (UniqueConstraint("project_id", "key"),)

    id: int = Field(default=None, primary_key=True)  # set by the database on insert
    project_id: int = Field(foreign_key="project.id", index=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    key: str = Field(max_length=16)  # stable within the project: n1, n2, ...
    name: str  # the need as the community would say it: "safe walking routes to the station"
    evidence: str | None = None  # its source: a consultation, the local plan, census or council data, a link
    signposting: str | None = None  # organisations or services that meet it, with a contact or link
    created_at: datetime = timestamp()
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    retired_by: str | None = Field(default=None, max_length=200)


class Measure(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "key"),)

    id: int = Field(default=None, primary_key=True)  # set by the database on insert
    project_id: int = Field(foreign_key="project.id", index=True)
    key: str = Field(max_length=16)  # stable within the project: m1, m2, ...
    name: str
    unit: str = Field(max_length=64)
    catalogue_ref: str | None = Field(default=None, max_length=64)  # e.g. ppn002-2025/2.1
    outcome: str | None = Field(default=None, max_length=64)  # catalogue outcome key
    framework_code: str | None = Field(default=None, max_length=64)  # the team's, e.g. a TOMs code
    framework_name: str | None = None
    # The keys of the needs it answers (["n1", "n4"]), or ["project"]: the project as a whole,
    # a deliberate answer; None: not yet linked.
    needs: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    method: str | None = None
    data_source: str | None = None
    baseline_value: float | None = None
    baseline_date: date | None = None
    target_value: float | None = None
    target_date: date | None = None
    evidence: str | None = None
    owner: str | None = None
    cadence: str | None = Field(default=None, max_length=200)  # weekly, monthly, quarterly or an RRULE
    kind: str = Field(default="total", max_length=16)  # flows.ratings.Kind: how its values add up
    # Planned values on dates between baseline and target ([["2026-06-30", 120.0], ...]), or the
    # milestones' due dates; None: the straight line from baseline to target.
    profile: list[Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = timestamp()
    # Removed from the plan (or its catalogue entry deselected): not scheduled, reminded of or
    # shown; kept with its answers and updates, and restored if picked again.
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    retired_by: str | None = Field(default=None, max_length=200)


class Answer(SQLModel, table=True):
    """One version of one answer. The current answer is the highest version."""

    # Also the index that finds an answer's current version.
    __table_args__ = (UniqueConstraint("project_id", "question", "field", "subject", "version"),)

    id: int = Field(default=None, primary_key=True)  # set by the database on insert
    project_id: int = Field(foreign_key="project.id")
    flow: str = Field(max_length=32)
    flow_version: int
    question: str = Field(max_length=32)  # why, what, how, how_long, monitoring
    field: str = Field(max_length=64)
    subject: str = Field(default="", max_length=16)  # "" for the project, else c1 / m1
    value: Any = Field(sa_column=Column(JSON, nullable=False))
    author: str = Field(max_length=200)
    created_at: datetime = timestamp()
    version: int


class SessionStatus(StrEnum):
    ACTIVE = "active"  # the user is answering: their next message is the answer to `position`
    PAUSED = "paused"  # stopped by the user; resumed by the plan command
    COMPLETE = "complete"  # every step answered or skipped


class FlowSession(SQLModel, table=True):
    """Where one user stands in one flow of one project; survives any process."""

    __table_args__ = (UniqueConstraint("project_id", "flow", "user"),)

    id: int = Field(default=None, primary_key=True)  # set by the database on insert
    project_id: int = Field(foreign_key="project.id")
    flow: str = Field(max_length=32)
    user: str = Field(max_length=200)
    position: str | None = Field(default=None, max_length=128)  # step key, and :subject
    status: str = Field(default=SessionStatus.ACTIVE, max_length=16)
    # Where the conversation is held, for transports that have places (a Slack DM or thread).
    channel: str | None = Field(default=None, max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)
    question_ts: str | None = Field(default=None, max_length=32)  # the message asking `position`
    # The step whose question could not be posted (Slack refused it): a message that arrives
    # for it is not taken as its answer, the question is asked instead. None once it is shown.
    unshown_step: str | None = Field(default=None, max_length=128)
    started_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class SlackEvent(SQLModel, table=True):
    """An Events API delivery already handled: Slack retries, and a retry may reach any process."""

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = timestamp()


class InboxState(StrEnum):
    PENDING = "pending"  # stored and acknowledged; not yet handled
    DONE = "done"  # handled (kept a day, so a redelivery is recognised)
    FAILED = "failed"  # could not be handled; the person was told


class InboxEntry(SQLModel, table=True):
    """A request from Slack (an event, a command, a click), stored before it is acknowledged:
    what Slack was told it got is handled, by the web process at once or by the worker later."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_due", "state", "retry_at"),)

    id: int = Field(default=None, primary_key=True)  # set by the database on insert
    key: str = Field(max_length=200, unique=True)  # the event id or trigger id: a redelivery is the same key
    team_id: str | None = Field(default=None, max_length=32)
    user_id: str | None = Field(default=None, max_length=32)
    body: Any = Field(sa_column=Column(JSON, nullable=False))
    state: str = Field(default=InboxState.PENDING, max_length=16)
    attempts: int = 0
    received_at: datetime = timestamp()
    retry_at: datetime = Field(sa_type=UTCDateTime, nullable=False)  # when the worker may take it (again)
    last_error: str | None = None


class Review(StrEnum):
    SUBMITTED = "submitted"  # waiting for the project lead
    APPROVED = "approved"
    RETURNED = "returned"  # sent back to its author with a comment


class ProgressUpdate(SQLModel, table=True):
    """One version of a measure's report for one reporting period. A correction is a new version."""

    __table_args__ = (UniqueConstraint("measure_id", "period_end", "version"),)

    id: int = Field(default=None, primary_key=True)  # set by the database on insert
    measure_id: int = Field(foreign_key="measure.id")
    period_start: date
    period_end: date  # the due date of the period
    value: float | None = None  # None: nothing to report this period
    note: str | None = None
    evidence_url: str | None = None
    recovery_action: str | None = None  # asked for when the measure is below Good
    # Why performance cannot be described as Good to Inadequate (the Act's "Other"): rated so.
    other_reason: str | None = None
    author: str = Field(max_length=200)
    created_at: datetime = timestamp()
    version: int
    review: str = Field(default=Review.SUBMITTED, max_length=16)
    reviewed_by: str | None = Field(default=None, max_length=200)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    review_comment: str | None = None


class JobStatus(StrEnum):
    PENDING = "pending"  # waiting for its due time
    CLAIMED = "claimed"  # a worker holds it until lease_until; then it is pending again
    SENT = "sent"  # Slack answered ok
    DROPPED = "dropped"  # no longer needed when its time came (e.g. the period was reported)
    FAILED = "failed"  # refused by Slack for good, or still failing after the last attempt; last_error says why


class Job(SQLModel, table=True):
    """An outgoing message, stored before it is sent: the worker sends it once."""

    __table_args__ = (Index("ix_job_due", "status", "due_at"), Index("ix_job_lease", "status", "lease_until"))

    id: int = Field(default=None, primary_key=True)  # set by the database on insert
    kind: str = Field(max_length=32)  # a JobKind (flows/outbox.py)
    dedupe_key: str = Field(max_length=200, unique=True)
    # The workspace it is sent in (dropped with the rest of its jobs when the app is uninstalled).
    workspace_id: int | None = Field(default=None, foreign_key="workspace.id", index=True)
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    payload: Any = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default=JobStatus.PENDING, max_length=16)
    attempts: int = 0
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
    created_at: datetime = timestamp()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The ts of each part of a long message already posted (the first is the parent), so a
    # retry continues from the first unsent part, in the same thread.
    posted: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class SlackUser(SQLModel, table=True):
    """What the app knows of a Slack user, from users.info, refreshed now and then: their time
    zone (reminders at their working hour), their name (for files and the terminal), and
    whether Slack still has them (a deactivated owner is not reminded; the lead is told)."""

    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: int = Field(default=None, primary_key=True)  # set by the database on insert
    workspace_id: int = Field(foreign_key="workspace.id")
    user_id: str = Field(max_length=32)
    tz: str = Field(default="Europe/London", max_length=64)
    fetched_at: datetime = timestamp()
    name: str | None = Field(default=None, max_length=200)
    gone: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # A guest of the workspace (Slack's is_restricted or is_ultra_restricted): reads a project
    # only in its channel. None: not asked yet.
    guest: bool | None = None


class WorkerLease(SQLModel, table=True):
    """On SQLite one worker runs at a time: it holds this lease and renews it."""

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=200)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class DigestConfig(SQLModel, table=True):
    """Where and when a workspace's steering group gets its weekly digest."""

    id: int = Field(default=None, primary_key=True)  # set by the database on insert
    workspace_id: int = Field(foreign_key="workspace.id", unique=True)
    channel_id: str | None = Field(default=None, max_length=32)
    weekday: int = 0  # Monday
    time: str = Field(default="09:00", max_length=5)
    tz: str = Field(default="Europe/London", max_length=64)
    enabled: bool = True
    # Above this many projects the digest is a summary: the numbers and the projects that most
    # need attention (a steering group of thousands would get a thread of megabytes otherwise).
    summary_above: int = Field(default=200, sa_column_kwargs={"server_default": "200"})
    updated_by: str | None = Field(default=None, max_length=200)
    updated_at: datetime = timestamp()


class Digest(SQLModel, table=True):
    """A digest sent: its week and its numbers, so the next one can say what changed."""

    __table_args__ = (UniqueConstraint("workspace_id", "week"),)

    id: int = Field(default=None, primary_key=True)  # set by the database on insert
    workspace_id: int = Field(foreign_key="workspace.id")
    week: str = Field(max_length=8)  # ISO week, e.g. 2026-W48
    numbers: Any = Field(sa_column=Column(JSON, nullable=False))
    sent_at: datetime = timestamp()


class Scale(StrEnum):
    """How far a case study's good practice reaches."""

    SMALL = "small"  # a small gesture: old laptops donated to the local school
    PROJECT = "project"  # project-wide: site catering bought from a local business
    PROGRAMME = "programme"  # across a programme of projects, or the organisation


class Consent(StrEnum):
    """Who may read a case study beyond its project, as agreed by whoever gave the consent."""

    NONE = "none"  # not to be shared: the project's own record
    ORGANISATION = "organisation"  # within the organisation: the steering group's digest
    PUBLIC = "public"  # publicly: the sector's newsletters, media and advocacy


class CaseStudy(SQLModel, table=True):
    """Good practice, large or small, told as a story: the current text here, every version
    (with who saved it) in case_study_version."""

    __tablename__ = "case_study"

    id: int = Field(default=None, primary_key=True)  # set by the database on insert
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)  # None: organisation-wide
    title: str = Field(max_length=200)
    what_happened: str
    benefited: str | None = None  # who benefited, in words
    benefited_key: str | None = Field(default=None, max_length=16)  # or a community (c1) or need (n3) of its project
    scale: str = Field(max_length=16)  # a Scale
    outcome: str | None = None  # the outcome, with any numbers
    links: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    permalink: str | None = Field(default=None, max_length=500)  # the Slack message it came from
    happened_on: date
    consent: str = Field(default=Consent.NONE, max_length=16)  # a Consent
    consent_by: str | None = Field(default=None, max_length=200)  # who gave it
    consent_on: date | None = None  # and when
    author: str = Field(max_length=200)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class CaseStudyVersion(SQLModel, table=True):
    """One saved version of a case study, as it was then: nothing a later edit changes is lost."""

    __tablename__ = "case_study_version"
    __table_args__ = (UniqueConstraint("case_study_id", "version"),)

    id: int = Field(default=None, primary_key=True)  # set by the database on insert
    case_study_id: int = Field(foreign_key="case_study.id")
    version: int
    value: Any = Field(sa_column=Column(JSON, nullable=False))
    author: str = Field(max_length=200)
    created_at: datetime = timestamp()


def column_lengths(model: type[SQLModel], fields: tuple[str, ...]) -> dict[str, int]:
    """The longest text each column holds, where the database limits it: what validation
    refuses before a write, so no answer fails in the database (PostgreSQL enforces these;
    SQLite would store more and the export would not import)."""
    columns = model.__table__.c  # type: ignore[attr-defined]  # SQLModel's tables have one
    return {name: length for name in fields if (length := getattr(columns[name].type, "length", None))}

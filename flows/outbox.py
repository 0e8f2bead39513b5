"""What the domain asks to be sent later, as typed rows of the job table.

Each job kind is a frozen dataclass that owns its payload: its fields are the JSON stored with
the job, `dedupe_key` makes queueing it twice harmless, and `from_payload` reads it back. The
worker (bot/worker/kinds.py) pairs each kind with the handler that sends it.
"""

import dataclasses
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, NamedTuple, Self

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.jobs import enqueue_job


class JobKind(StrEnum):
    MESSAGE = "message"  # blocks to post as they are (a parent and thread replies)
    REMINDER = "reminder"  # a measure's period is due: to its owner (and the lead when overdue)
    DIGEST = "digest"  # a workspace's weekly digest
    HANDOVER_PACK = "handover_pack"  # a project's handover pack, built and uploaded
    PLAN_SUMMARY = "plan_summary"  # a completed plan's summary, to the project's channel
    OWNER_GONE = "owner_gone"  # a measure owner Slack no longer has: the lead is told, once
    SUMMARY_REVISED = "summary_revised"  # a plan changed after its summary was posted: updated in place
    ASSESSMENT = "assessment"  # a year's performance assessment draft, built and uploaded to who asked
    RETURNS = "returns"  # the returns of a project or a workspace as a spreadsheet, uploaded to who asked


@dataclass(frozen=True)
class OutboxJob:
    kind: ClassVar[JobKind]

    @property
    def dedupe_key(self) -> str:
        raise NotImplementedError

    def payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in payload.items() if k in names})


@dataclass(frozen=True)
class Reminder(OutboxJob):
    kind: ClassVar[JobKind] = JobKind.REMINDER
    project_id: int
    measure_id: int
    period_end: str  # ISO date: the due date of the period
    moment: str  # before, due, overdue, or snoozed (stored as "kind")
    to: str  # the Slack user reminded
    owner: str  # the measure's owner (the lead is reminded too when overdue)
    tz: str = "Europe/London"
    day: str = ""  # a snoozed reminder: the day it was asked for, so one snooze a day

    @property
    def dedupe_key(self) -> str:
        key = f"{self.kind}:{self.measure_id}:{self.period_end}:{self.moment}"
        if self.moment == "snoozed":
            return f"{key}:{self.to}:{self.day}"
        return key if self.to == self.owner else f"{key}:lead"

    def payload(self) -> dict[str, Any]:
        fields = dataclasses.asdict(self)
        fields["kind"] = fields.pop("moment")
        return fields

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        return super().from_payload({**payload, "moment": payload["kind"]})


@dataclass(frozen=True)
class DigestDue(OutboxJob):
    kind: ClassVar[JobKind] = JobKind.DIGEST
    workspace_id: int
    week: str  # ISO week, e.g. 2026-W48

    @property
    def dedupe_key(self) -> str:
        return f"{self.kind}:{self.workspace_id}:{self.week}"


@dataclass(frozen=True)
class HandoverPack(OutboxJob):
    kind: ClassVar[JobKind] = JobKind.HANDOVER_PACK
    project_id: int
    requested_by: str
    request: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)  # each request is its own pack

    @property
    def dedupe_key(self) -> str:
        return f"{self.kind}:{self.project_id}:{self.request}"


@dataclass(frozen=True)
class AssessmentDraft(OutboxJob):
    kind: ClassVar[JobKind] = JobKind.ASSESSMENT
    project_id: int
    year: int
    requested_by: str
    request: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def dedupe_key(self) -> str:
        return f"{self.kind}:{self.project_id}:{self.year}:{self.request}"


@dataclass(frozen=True)
class ReturnsExport(OutboxJob):
    kind: ClassVar[JobKind] = JobKind.RETURNS
    workspace_id: int
    project_id: int | None  # None: every project of the workspace
    format: str  # csv or xlsx
    requested_by: str
    request: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def dedupe_key(self) -> str:
        return f"{self.kind}:{self.workspace_id}:{self.project_id}:{self.request}"


@dataclass(frozen=True)
class PlanSummary(OutboxJob):
    kind: ClassVar[JobKind] = JobKind.PLAN_SUMMARY
    project_id: int
    completed_by: str
    completed_at: str  # ISO timestamp: a plan completed again later is posted again

    @property
    def dedupe_key(self) -> str:
        return f"summary:{self.project_id}:{self.completed_by}:{self.completed_at}"


@dataclass(frozen=True)
class SummaryRevised(OutboxJob):
    """The plan changed after its summary was posted to the channel: the summary message is
    updated in place, and a reply in its thread says what changed and who changed it."""

    kind: ClassVar[JobKind] = JobKind.SUMMARY_REVISED
    project_id: int
    changed_by: str
    changed_at: str  # ISO timestamp: each change is its own note
    changes: list[str]  # as people read them: "Reporting cadence (Local labour): Quarterly"

    @property
    def dedupe_key(self) -> str:
        what = hashlib.sha256("\n".join(self.changes).encode()).hexdigest()[:12]  # two changes in one instant stay two
        return f"{self.kind}:{self.project_id}:{self.changed_by}:{self.changed_at}:{what}"


@dataclass(frozen=True)
class OwnerGone(OutboxJob):
    kind: ClassVar[JobKind] = JobKind.OWNER_GONE
    project_id: int
    user: str  # the owner who is gone
    lead: str  # who is told

    @property
    def dedupe_key(self) -> str:
        return f"{self.kind}:{self.project_id}:{self.user}"


class Planned(NamedTuple):
    """A job the worker's planning wants queued: when, and in which workspace."""

    job: OutboxJob
    due_at: datetime
    workspace_id: int


async def queue(db: AsyncSession, job: OutboxJob, *, due_at: datetime, workspace_id: int | None) -> bool:
    """Queue `job`, to be sent in `workspace_id`, in the caller's transaction; False if the
    same job is already queued."""
    return await enqueue_job(db, kind=job.kind, dedupe_key=job.dedupe_key, due_at=due_at, payload=job.payload(), workspace_id=workspace_id)

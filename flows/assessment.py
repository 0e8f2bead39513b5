"""A draft of the annual contract performance assessment (Procurement Act 2023): each measure as
a KPI with its rating for the 12 months, what was reported and what was missed, the evidence
links, and room for the authority's comment. The authority assesses; this is the draft it
starts from, in Markdown for a document and CSV for a spreadsheet."""

import csv
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from io import StringIO

from sqlmodel.ext.asyncio.session import AsyncSession

from flows.plan import CATALOGUE
from flows.progress.status import MeasureStatus, statuses_of
from flows.snapshots import state_at
from prompts import catalogue, format_quantity, rating_label, render
from storage.models import ProgressUpdate, Project

CSV_COLUMNS = (
    "KPI",
    "Outcome (PPN 002)",
    "Unit",
    "Target",
    "Target date",
    "Rating",
    "Latest value",
    "Periods due",
    "Periods reported",
    "Periods missed",
    "Evidence",
    "Recovery actions",
    "Other: reasons",
    "Authority's comment",
)


@dataclass
class Kpi:
    status: MeasureStatus
    outcome: str | None
    due: list[date]  # the due dates of the year's periods
    reported: list[date]
    evidence: list[tuple[date, str]] = field(default_factory=list)
    recovery: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    @property
    def missed(self) -> list[date]:
        return [day for day in self.due if day not in self.reported]


@dataclass
class Assessment:
    project: Project
    year: int
    start: date
    end: date
    kpis: list[Kpi]


async def build_assessment(db: AsyncSession, project: Project, year: int) -> Assessment:
    """The year's KPIs as they were known at its end (or now, for the year still running)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    state, updates = await state_at(db, project, datetime.combine(end, time.max, tzinfo=UTC))
    outcomes = {o["key"]: o["name"] for o in catalogue(CATALOGUE)["outcomes"]}
    kpis = []
    for status in statuses_of(state, updates, end):
        in_year: list[ProgressUpdate] = [u for u in updates.get(status.measure.id, []) if start <= u.period_end <= end]
        kpis.append(
            Kpi(
                status=status,
                outcome=outcomes.get(status.measure.outcome or ""),
                due=[p.end for p in status.plan.schedule if start <= p.end <= end],
                reported=[u.period_end for u in in_year],
                evidence=[(u.period_end, u.evidence_url) for u in in_year if u.evidence_url],
                recovery=[u.recovery_action for u in in_year if u.recovery_action],
                other=[u.other_reason for u in in_year if u.other_reason],
            )
        )
    return Assessment(project, year, start, end, kpis)


def assessment_markdown(assessment: Assessment) -> str:
    return render("assessment.md.j2", "markdown", a=assessment)


def assessment_csv(assessment: Assessment) -> str:
    """One row per KPI; cells that a spreadsheet would run as a formula start with a quote."""
    out = StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for kpi in assessment.kpis:
        m, s = kpi.status.measure, kpi.status
        writer.writerow(
            [
                spreadsheet_cell(value)
                for value in (
                    m.name,
                    kpi.outcome or m.framework_name or "",
                    m.unit,
                    "" if m.target_value is None else format_quantity(m.target_value, m.unit),
                    m.target_date.isoformat() if m.target_date else "",
                    rating_label(s.rating.value),
                    "" if s.actual is None else format_quantity(s.actual, m.unit),
                    len(kpi.due),
                    len(kpi.reported),
                    "; ".join(day.isoformat() for day in kpi.missed),
                    "; ".join(f"{day.isoformat()} {link}" for day, link in kpi.evidence),
                    "; ".join(kpi.recovery),
                    "; ".join(kpi.other),
                    "",
                )
            ]
        )
    return out.getvalue()


def spreadsheet_cell(value: object) -> str:
    """A cell a spreadsheet shows as typed: one it would run as a formula starts with a quote."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

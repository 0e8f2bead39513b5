"""Social value returns for a spreadsheet: one row per measure per reporting period, for one
project or a whole workspace, as CSV or XLSX (openpyxl). Most clients' returns live in
spreadsheets; a cell a spreadsheet would run as a formula is kept as text in both."""

import csv
from dataclasses import astuple, dataclass
from datetime import date
from io import BytesIO, StringIO

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.assessment import spreadsheet_cell
from flows.conversation.engine import FlowState, load_state
from flows.coverage import answered_needs, is_whole
from flows.people import people_names
from flows.plan import CATALOGUE
from flows.progress.status import MeasurePlan, kind_of, measure_plan
from flows.projects import workspace_projects
from flows.ratings import Kind, rate
from flows.refusals import Refused
from prompts import catalogue, rating_label, render, slack_user_of
from storage.models import Measure, ProgressUpdate, Project, Workspace
from storage.progress import current_updates

COLUMNS = (
    "Project",
    "Community",
    "Need",
    "Measure",
    "Outcome (PPN 002)",
    "Catalogue reference",
    "Unit",
    "Kind",
    "Period start",
    "Period end (due)",
    "Planned by period end",
    "Reported",
    "Rating",
    "Owner",
    "Evidence",
    "Review",
)
XLSX_MAX_ROWS = 1_048_576 - 1  # a worksheet's rows, less the header
FORMATS = ("csv", "xlsx")


class ReturnsRefused(Refused):
    """The returns cannot be written as asked; nothing was written."""


@dataclass(frozen=True)
class ReturnRow:
    project: str
    community: str
    need: str
    measure: str
    outcome: str
    catalogue_ref: str
    unit: str
    kind: str
    period_start: date
    period_end: date
    planned: float | None
    reported: float | str | None  # a value, "nothing to report", or None: not reported
    rating: str
    owner: str
    evidence: str
    review: str


async def project_returns(db: AsyncSession, project: Project, today: date, *, people: dict[str, str] | None = None) -> list[ReturnRow]:
    """Every period of every measure in the plan that is due by `today` (or already reported).
    `people`: the workspace's names, when the caller has read them already."""
    state = await load_state(db, project)
    updates = await current_updates(db, project_id=project.id)
    people = people if people is not None else await people_names(db, project.workspace_id)
    outcomes = {o["key"]: o["name"] for o in catalogue(CATALOGUE)["outcomes"]}
    rows: list[ReturnRow] = []
    for measure in state.measures:
        plan = measure_plan(state, measure)
        community, need = _served(state, measure)
        owner = people.get(slack_user_of(measure.owner) or "", measure.owner or "")
        reported = {u.period_end: u for u in updates.get(measure.id, [])}
        running = measure.baseline_value or 0.0
        for period in plan.schedule:
            update = reported.get(period.end)
            if period.end > today and update is None:
                break
            if update is not None and update.value is not None:
                running = running + update.value if kind_of(measure) == Kind.PER_PERIOD else update.value
            rows.append(
                ReturnRow(
                    project=project.name,
                    community=community,
                    need=need,
                    measure=measure.name,
                    outcome=outcomes.get(measure.outcome or "", measure.framework_name or ""),
                    catalogue_ref=measure.catalogue_ref or measure.framework_code or "",
                    unit=measure.unit,
                    kind=render("returns.j2:kind_name", kind=kind_of(measure).value),
                    period_start=period.start,
                    period_end=period.end,
                    planned=round(plan.line.expected(period.end), 2) if plan.line else None,
                    reported=_reported(update),
                    rating=_rating(plan, update, running, period.end, today),
                    owner=owner,
                    evidence=update.evidence_url or "" if update else "",
                    review=render("returns.j2:review_state", review=update.review, by=update.reviewed_by) if update else "",
                )
            )
    return rows


async def workspace_returns(db: AsyncSession, workspace: Workspace, today: date) -> list[ReturnRow]:
    """Every project's returns, project by project in name order (a few queries per project)."""
    people = await people_names(db, workspace.id)
    return [row for project in await workspace_projects(db, workspace) for row in await project_returns(db, project, today, people=people)]


def _served(state: FlowState, measure: Measure) -> tuple[str, str]:
    names = {c.id: c.name for c in state.communities}
    needs = answered_needs(state, measure)
    communities = list(dict.fromkeys(names[n.community_id] for n in needs if n.community_id in names))
    if is_whole(measure):
        communities.append(render("returns.j2:whole_project"))
    return "; ".join(communities), "; ".join(n.name for n in needs)


def _reported(update: ProgressUpdate | None) -> float | str | None:
    if update is None:
        return None
    return update.value if update.value is not None else render("returns.j2:nothing_to_report")


def _rating(plan: MeasurePlan, update: ProgressUpdate | None, actual: float, period_end: date, today: date) -> str:
    """The period's rating as reported (its value against the path at its due date), or why it has none."""
    if update is None:
        return render("returns.j2:not_reported" if period_end < today else "returns.j2:due")
    if update.other_reason:
        return rating_label("other")
    if update.value is None:
        return render("returns.j2:nothing_to_report")
    return rating_label(rate(plan.line, actual=actual, actual_on=period_end, overdue=False, thresholds=plan.thresholds).value)


def returns_csv(rows: list[ReturnRow]) -> str:
    out = StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(["" if value is None else spreadsheet_cell(_text(value)) for value in astuple(row)])
    return out.getvalue()


def _text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return value.isoformat() if isinstance(value, date) else str(value)


def returns_xlsx(rows: list[ReturnRow], *, most: int = XLSX_MAX_ROWS) -> bytes:
    """A workbook of one sheet: numbers as numbers, dates as dates, and text always as text
    (so "=HYPERLINK(...)" typed in a measure's name is shown, never run)."""
    if len(rows) > most:
        raise ReturnsRefused("returns_too_many_rows", count=len(rows), most=most)
    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = "Returns"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(astuple(row), start=1):
            cell = sheet.cell(row=number, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would store "=..." as a formula
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
    for letter, width in zip("ABCDEFGHIJKLMNOP", (24, 24, 30, 30, 30, 14, 10, 16, 12, 12, 12, 12, 22, 20, 30, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    out = BytesIO()
    book.save(out)
    return out.getvalue()

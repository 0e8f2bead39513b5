"""A measure's progress as a chart a reader can check: dates along the bottom, the measure's
unit up the side, the planned path (straight, or through the profile's points), each reported
value marked and joined to the next reported period only (a period never reported breaks the
line and is marked on the axis), "nothing to report" marked apart, and a legend. Coordinates
only: the HTML template draws them as SVG."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from math import ceil, floor, log10
from typing import Any

from dateutil.relativedelta import relativedelta

from flows.progress.status import MeasureStatus
from prompts import format_date, format_quantity

WIDTH, HEIGHT = 600, 230
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 28, 30  # room for the value labels, the legend and the dates
MARKED = 120  # the latest reported values marked one by one (and periods missed): a long history is a line
MONTH_STEPS = (1, 3, 6, 12, 24, 60, 120)
MOST_TICKS = 7


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    label: str  # its date and value, as the SVG <title> a reader hovers over


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    top: int
    right: float  # the plot area's right and bottom edges
    bottom: float
    planned: str  # polyline points
    reported: list[str]  # polylines: reported values, broken where a period was not reported
    marks: list[Mark]
    missed: list[Mark]  # periods due and never reported, on the date axis
    nothing: list[Mark]  # "nothing to report", on the date axis
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]


def nice_step(span: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about `ticks` intervals over `span`."""
    raw = span / ticks if span > 0 else 1
    power = 10.0 ** floor(log10(raw))
    return next(float(step * power) for step in (1, 2, 5, 10) if step * power >= raw)


def _label(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def progress_chart(status: MeasureStatus, history: list[dict[str, Any]], today: date) -> Chart | None:
    """The chart of one measure, or None without a path to plot against (no baseline or target)."""
    line = status.plan.line
    if line is None:
        return None
    reported: dict[date, float | None] = {h["period_end"]: h["value"] for h in history}
    due = [p.end for p in status.plan.schedule if p.end < today]
    values = [float(v) for _, v in line.points] + [float(v) for v in reported.values() if v is not None]
    first = min([line.baseline_date, *reported])
    last = max([line.target_date, *reported])
    step = nice_step(max(values) - min(0.0, *values))
    low = floor(min(0.0, *values) / step) * step
    high = low + step * max(1, ceil((max(values) - low) / step))
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    days = max((last - first).days, 1)

    def x(day: date) -> float:
        return round(LEFT + (day - first).days / days * (right - LEFT), 1)

    def y(value: float | None) -> float:
        return round(bottom - ((value or 0.0) - low) / (high - low) * (bottom - TOP), 1)

    unit = status.measure.unit
    segments: list[list[tuple[float, float]]] = [[]]
    for day in sorted({*due, *reported}):
        value = reported.get(day)
        if value is None:  # not reported (or nothing to report): the line does not pretend to know
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append((x(day), y(value)))
    marked = sorted((day, value) for day, value in reported.items() if value is not None)[-MARKED:]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        right=right,
        bottom=bottom,
        planned=" ".join(f"{x(day)},{y(value)}" for day, value in line.points),
        reported=[" ".join(f"{px},{py}" for px, py in segment) for segment in segments if segment],
        marks=[Mark(x(day), y(value), f"{format_date(day)}: {format_quantity(value, unit)}") for day, value in marked],
        missed=[Mark(x(day), bottom, f"{format_date(day)}: not reported") for day in due if day not in reported][-MARKED:],
        nothing=[Mark(x(day), bottom, f"{format_date(day)}: nothing to report") for day, v in reported.items() if v is None][-MARKED:],
        x_ticks=_date_ticks(first, last, x),
        y_ticks=[(y(low + n * step), _label(low + n * step)) for n in range(round((high - low) / step) + 1)],
    )


def _date_ticks(first: date, last: date, x: Callable[[date], float]) -> list[tuple[float, str]]:
    """Month starts between the first and last date, as few as make at most MOST_TICKS."""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    step = next((s for s in MONTH_STEPS if months / s <= MOST_TICKS), MONTH_STEPS[-1])
    day = date(first.year, 1 if step >= 12 else first.month - (first.month - 1) % step, 1)
    ticks = []
    while day <= last:
        if day >= first:
            ticks.append((x(day), f"{day:%b %Y}" if step < 12 else f"{day:%Y}"))
        day += relativedelta(months=step)
    return ticks

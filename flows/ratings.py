"""How a measure is doing, in the words of Procurement Act 2023 performance notices.

Progress is compared with the straight line from baseline (value, date) to target (value,
date): reaching at least the first threshold of that line's progress is Good, the second
Approaching target, the third Requires improvement, below it Inadequate. A measure with no
reported value yet has No data; one whose last due period passed unreported is Overdue.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

DEFAULT_THRESHOLDS = (100.0, 90.0, 70.0)


class Rating(StrEnum):
    GOOD = "good"
    APPROACHING = "approaching"
    REQUIRES_IMPROVEMENT = "requires_improvement"
    INADEQUATE = "inadequate"
    NO_DATA = "no_data"
    OVERDUE = "overdue"


BELOW_GOOD = (Rating.APPROACHING, Rating.REQUIRES_IMPROVEMENT, Rating.INADEQUATE)


@dataclass(frozen=True)
class Line:
    """The straight line from baseline to target."""

    baseline: float
    baseline_date: date
    target: float
    target_date: date

    def expected(self, on: date) -> float:
        if on >= self.target_date or self.target_date <= self.baseline_date:
            return self.target
        if on <= self.baseline_date:
            return self.baseline
        share = (on - self.baseline_date).days / (self.target_date - self.baseline_date).days
        return self.baseline + (self.target - self.baseline) * share

    def percent_of_path(self, actual: float, on: date) -> float:
        """Progress made as a percentage of the progress expected by `on` (works for reductions too)."""
        expected = self.expected(on)
        if expected == self.baseline:
            return 100.0 if (actual - self.baseline) * (self.target - self.baseline) >= 0 else 0.0
        return (actual - self.baseline) / (expected - self.baseline) * 100

    def percent_of_target(self, actual: float) -> float:
        if self.target == self.baseline:
            return 100.0
        return max(0.0, min(100.0, (actual - self.baseline) / (self.target - self.baseline) * 100))


def rate_progress(percent: float, thresholds: tuple[float, float, float] = DEFAULT_THRESHOLDS) -> Rating:
    good, approaching, improvement = thresholds
    if percent >= good:
        return Rating.GOOD
    if percent >= approaching:
        return Rating.APPROACHING
    if percent >= improvement:
        return Rating.REQUIRES_IMPROVEMENT
    return Rating.INADEQUATE


def rate(
    line: Line | None,
    *,
    actual: float | None,
    actual_on: date | None,
    overdue: bool,
    thresholds: tuple[float, float, float] = DEFAULT_THRESHOLDS,
) -> Rating:
    if overdue:
        return Rating.OVERDUE
    if actual is None or actual_on is None or line is None:
        return Rating.NO_DATA
    return rate_progress(line.percent_of_path(actual, actual_on), thresholds)

"""How a measure is doing, in the words of Procurement Act 2023 performance notices.

Progress is compared with the plan's path from baseline (value, date) to target (value, date):
a straight line, or the profile the team planned through dated points. How a reported value
is compared depends on what kind of measure it is:
- a running total, or amounts per period summed: the progress made from the baseline as a
  share of the progress expected by the report's date;
- a level at a date (people employed now): the value against the level expected then, so a
  workforce that peaks mid-construction is rated against its peak, and a reduction the other
  way about;
- milestones: how many are done against how many were due by then.
That share reaching the first threshold is Good, the second Approaching target, the third
Requires improvement, below it Inadequate. The thresholds are this tool's default convention
(100/90/70), not the Act's: a plan may set its own. A measure with no reported value yet has
No data; one whose last due period passed unreported is Overdue; one whose owner said its
performance cannot be described by those four is Other, with the reason given.
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
    OTHER = "other"
    NO_DATA = "no_data"
    OVERDUE = "overdue"


BELOW_GOOD = (Rating.APPROACHING, Rating.REQUIRES_IMPROVEMENT, Rating.INADEQUATE)


class Kind(StrEnum):
    """What a measure's reported values are: stored on the measure, never renamed."""

    TOTAL = "total"  # a running total: the latest value is all there is so far
    PER_PERIOD = "per_period"  # the period's amount: the values are summed
    LEVEL = "level"  # a level at a date: the latest value, compared with the level expected then
    MILESTONE = "milestone"  # how many milestones are done, each due by its date


@dataclass(frozen=True)
class Line:
    """The plan's path from baseline to target: straight, or through the profile's dated points
    (each after the baseline date and on or before the target date, in date order)."""

    baseline: float
    baseline_date: date
    target: float
    target_date: date
    kind: Kind = Kind.TOTAL
    profile: tuple[tuple[date, float], ...] = ()

    @property
    def points(self) -> list[tuple[date, float]]:
        points = [(self.baseline_date, self.baseline), *self.profile]
        if points[-1][0] < self.target_date:
            points.append((self.target_date, self.target))
        return points

    def expected(self, on: date) -> float:
        """The value planned for `on`: milestones count those due by then; other kinds follow
        the path in straight lines between its points."""
        points = self.points
        if self.kind == Kind.MILESTONE:
            return max((value for day, value in points if day <= on), default=self.baseline)
        if on <= points[0][0]:
            return points[0][1]
        for (start, low), (end, high) in zip(points, points[1:], strict=False):
            if on <= end:
                return low + (high - low) * (on - start).days / max((end - start).days, 1)
        return points[-1][1]

    def percent_of_path(self, actual: float, on: date) -> float:
        """What was reported as a percentage of what was planned by `on` (reductions too)."""
        expected = self.expected(on)
        if self.kind in (Kind.LEVEL, Kind.MILESTONE):
            return _share(actual, expected, rising=self._rising)
        if expected == self.baseline:
            return 100.0 if (actual - self.baseline) * (self.target - self.baseline) >= 0 else 0.0
        return (actual - self.baseline) / (expected - self.baseline) * 100

    def percent_of_target(self, actual: float) -> float:
        if self.kind in (Kind.LEVEL, Kind.MILESTONE):
            return max(0.0, min(100.0, _share(actual, self.target, rising=self._rising)))
        if self.target == self.baseline:
            return 100.0
        return max(0.0, min(100.0, (actual - self.baseline) / (self.target - self.baseline) * 100))

    @property
    def _rising(self) -> bool:
        """Whether more is better: the path's furthest point from the baseline is above it."""
        furthest = max((value for _, value in self.points), key=lambda value: abs(value - self.baseline))
        return furthest >= self.baseline


def _share(actual: float, expected: float, *, rising: bool) -> float:
    """A level against the level planned: below a rising plan or above a falling one falls short."""
    if rising:
        return 100.0 if actual >= expected else (actual / expected * 100 if expected > 0 else 0.0)
    return 100.0 if actual <= expected else (expected / actual * 100 if actual > 0 else 0.0)


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
    other: bool = False,
) -> Rating:
    if overdue:
        return Rating.OVERDUE
    if other:
        return Rating.OTHER
    if actual is None or actual_on is None or line is None:
        return Rating.NO_DATA
    return rate_progress(line.percent_of_path(actual, actual_on), thresholds)

"""When each measure's progress is due, and when its owner is reminded.

A measure reports from its baseline date to the end of its horizon (planned completion, or
its target date, plus the legacy years of the "how long" answer), at its cadence: weekly,
monthly, quarterly, or any RFC 5545 RRULE. Each period ends on its due date. Monthly and
quarterly periods keep to the day of the month they started on, or the month's last day
when it is shorter (31 Jan, 28 or 29 Feb, 31 Mar, ...).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr

WORKING_TIME = time(9, 30)
MONTHS = {"monthly": 1, "quarterly": 3}
WEEKS = {"weekly": 1}
FRIDAY = 4


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # the due date; the period covers start <= day < end

    @property
    def key(self) -> str:
        return self.end.isoformat()


def boundaries(cadence: str, start: date, until: date) -> list[date]:
    """The start date and every due date after it, up to `until` inclusive."""
    if cadence in MONTHS or cadence in WEEKS:
        # Counted from the start each time, so a short month never shifts the later ones.
        step = relativedelta(months=MONTHS[cadence]) if cadence in MONTHS else relativedelta(weeks=WEEKS[cadence])
        result, n = [], 0
        while (day := start + step * n) <= until:
            result.append(day)
            n += 1
        return result
    first = datetime.combine(start, time())
    rule = rrulestr(cadence.removeprefix("RRULE:"), dtstart=first)
    days = [moment.date() for moment in rule.between(first, datetime.combine(until, time()), inc=True)]
    return days if days and days[0] == start else [start, *days]


@lru_cache(maxsize=4096)
def periods(cadence: str, start: date, until: date) -> tuple[Period, ...]:
    """Cached: measures sharing a cadence, start and horizon share their schedule."""
    days = boundaries(cadence, start, until)
    return tuple(Period(a, b) for a, b in pairwise(days))


def horizon_end(*, target_date: date | None, planned_completion: date | None, legacy_years: float | None) -> date | None:
    end = planned_completion or target_date
    if end is None:
        return None
    if target_date and target_date > end:
        end = target_date
    return end + relativedelta(years=int(legacy_years or 0))


def _weekday_on_or_before(day: date) -> date:
    """The Friday before a weekend day."""
    return day - timedelta(days=day.weekday() - FRIDAY) if day.weekday() > FRIDAY else day


def _weekday_on_or_after(day: date) -> date:
    """The Monday after a weekend day."""
    return day + timedelta(days=7 - day.weekday()) if day.weekday() > FRIDAY else day


def at_working_time(day: date, tz: str) -> datetime:
    """09:30 on that day where the person is, in UTC (daylight saving included)."""
    return datetime.combine(day, WORKING_TIME, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def reminder_moments(due: date, tz: str) -> dict[str, datetime]:
    """A week before, on the due date, and the working day after it (overdue): on weekdays
    only, at most one a day."""
    days = {
        "before": _weekday_on_or_before(due - timedelta(days=7)),
        "due": _weekday_on_or_before(due),
        "overdue": _weekday_on_or_after(due + timedelta(days=1)),
    }
    return {kind: at_working_time(day, tz) for kind, day in days.items()}

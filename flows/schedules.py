"""When each measure's progress is due, and when its owner is reminded.

A measure reports from its baseline date to the end of its horizon (planned completion, or
its target date, plus the legacy years of the "how long" answer), at its cadence: weekly,
monthly, quarterly, or any RFC 5545 RRULE. Each period ends on its due date. Monthly and
quarterly periods keep to the day of the month they started on, or the month's last day
when it is shorter (31 Jan, 28 or 29 Feb, 31 Mar, ...).

Every schedule is bounded, whatever was typed: an RRULE comes at most weekly and at least
once every two years, and a schedule runs at most `MAX_YEARS` from its baseline, so a
measure has at most 3,130 periods. A schedule holds them as day numbers and finds what is
due around a day by bisection: status and reminders look at a window, never at every period.
"""

import re
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import overload
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr

WORKING_TIME = time(9, 30)
MONTHS = {"monthly": 1, "quarterly": 3}
WEEKS = {"weekly": 1}
FRIDAY = 4
MAX_PER_YEAR = 53  # weekly: an owner asked more often than that is doing bookkeeping, not monitoring
MIN_PER_PROBE = 4  # in PROBE_YEARS: at least once every two years
MAX_YEARS = 60  # of reporting from the baseline; dates may span 1990-2150 and legacy 50 years more
MAX_RULE = 200
RULE_SYNTAX = re.compile(r"^FREQ=[A-Z]+(?:;[A-Z]+=[A-Z0-9,+-]+)*$")
RULE_PARTS = {"FREQ", "INTERVAL", "WKST", "BYSETPOS", "BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYDAY", "BYEASTER"}
TOO_FREQUENT = {"SECONDLY", "MINUTELY", "HOURLY"}
# A rule that never matches is searched by dateutil up to the year 9999: probed from 9980, that
# is 20 years of its steps, not 8,000 (a daily rule for 30 February took 7 s from the year 2000).
PROBE_START, PROBE_YEARS = datetime(9980, 1, 1), 8

AFTERCARE_YEARS = 3  # Government Soft Landings: three years of aftercare after handover


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date  # the due date; the period covers start <= day < end

    @property
    def key(self) -> str:
        return self.end.isoformat()


@lru_cache(maxsize=1024)
def rule_problem(rule: str) -> str | None:
    """Why an RRULE (without its `RRULE:` prefix) cannot be a reporting cadence, as the name of
    its explanation in `prompts/errors.j2`; None when it can."""
    if len(rule) > MAX_RULE or not RULE_SYNTAX.match(rule):
        return "rrule_invalid"
    names = [part.split("=", 1)[0] for part in rule.split(";")]
    if len(set(names)) != len(names):
        return "rrule_invalid"
    if {"COUNT", "UNTIL"} & set(names):
        return "rrule_bounded"  # the plan's horizon bounds it
    if {"BYHOUR", "BYMINUTE", "BYSECOND"} & set(names):
        return "rrule_time"
    if rule.split(";", 1)[0].removeprefix("FREQ=") in TOO_FREQUENT:
        return "rrule_too_frequent"
    if not set(names) <= RULE_PARTS:
        return "rrule_invalid"
    try:
        days = rrulestr(rule, dtstart=PROBE_START).between(PROBE_START, PROBE_START.replace(year=PROBE_START.year + PROBE_YEARS), inc=True)
    except (ValueError, TypeError, OverflowError, IndexError):
        return "rrule_invalid"
    if max(Counter(day.year for day in days).values(), default=0) > MAX_PER_YEAR:
        return "rrule_too_frequent"
    if len(days) < MIN_PER_PROBE:
        return "rrule_too_rare"
    return None


def cadence_problem(cadence: str) -> str | None:
    """Why a cadence cannot schedule (a rule these rules refuse), as for `rule_problem`."""
    if cadence in MONTHS or cadence in WEEKS:
        return None
    return rule_problem(cadence.removeprefix("RRULE:"))


def boundaries(cadence: str, start: date, until: date) -> list[date]:
    """The start date and every due date after it, up to `until` inclusive (and at most
    `MAX_YEARS` after the start); the horizon's end closes a last, shorter period, so the end of
    the legacy years is reported too. A stored rule these rules refuse has no due dates."""
    until = min(until, start + relativedelta(years=MAX_YEARS))
    if cadence not in MONTHS and cadence not in WEEKS and cadence_problem(cadence):
        return [start]
    days = _due_dates(cadence, start, until)
    return days + [until] if days[-1] < until else days


def _due_dates(cadence: str, start: date, until: date) -> list[date]:
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


class Schedule(Sequence[Period]):
    """A measure's reporting periods, oldest first: the start and each due date as day numbers
    (8 bytes each rather than an object per period), looked up by bisection."""

    __slots__ = ("_days",)

    def __init__(self, days: Iterable[date] = ()) -> None:
        self._days = array("q", (day.toordinal() for day in days))

    def __len__(self) -> int:
        return max(len(self._days) - 1, 0)

    @overload
    def __getitem__(self, index: int) -> Period: ...
    @overload
    def __getitem__(self, index: slice) -> list[Period]: ...
    def __getitem__(self, index: int | slice) -> Period | list[Period]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return Period(date.fromordinal(self._days[index]), date.fromordinal(self._days[index + 1]))

    def due_by(self, day: date) -> int:
        """How many periods are due on or before `day` (they are the first ones)."""
        return max(bisect_right(self._days, day.toordinal(), lo=min(1, len(self._days))) - 1, 0)

    def due_between(self, first: date, last: date) -> range:
        """The indexes of the periods due from `first` to `last`, both included."""
        return range(self.due_by(first - timedelta(days=1)), self.due_by(last))

    def latest_unreported(self, due_by: date, reported: frozenset[date]) -> Period | None:
        """The latest period due on or before `due_by` that is not reported: looked for
        backwards, one step past each reported period at most."""
        for index in reversed(range(self.due_by(due_by))):
            if (period := self[index]).end not in reported:
                return period
        return None

    def last_due_before(self, day: date) -> Period | None:
        count = self.due_by(day - timedelta(days=1))
        return self[count - 1] if count else None

    def ending(self, day: date) -> Period | None:
        """The period `day` is reported for: after its start, up to and including its due date."""
        index = bisect_left(self._days, day.toordinal()) - 1
        return self[index] if 0 <= index < len(self) else None

    def running(self, day: date) -> Period | None:
        """The period running on `day`: from its start, before its due date."""
        index = bisect_right(self._days, day.toordinal()) - 1
        return self[index] if 0 <= index < len(self) else None


@lru_cache(maxsize=4096)
def periods(cadence: str, start: date, until: date) -> Schedule:
    """Cached: measures sharing a cadence, start and horizon share their schedule (at most
    about 25 KB each, so the cache holds at most about 100 MB)."""
    return Schedule(boundaries(cadence, start, until))


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

"""Due dates across month ends, leap days and daylight saving; ratings either side of each threshold."""

from datetime import UTC, date, datetime

import pytest

from flows.ratings import DEFAULT_THRESHOLDS, Line, Rating, rate, rate_progress
from flows.schedules import horizon_end, periods, reminder_moments


def dues(cadence, start, until):
    return [p.end for p in periods(cadence, date.fromisoformat(start), date.fromisoformat(until))]


def test_monthly_periods_keep_to_the_month_end():
    assert dues("monthly", "2027-01-31", "2027-05-31") == [date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30), date(2027, 5, 31)]


def test_a_leap_day():
    assert dues("monthly", "2028-01-31", "2028-03-31")[0] == date(2028, 2, 29)
    assert dues("quarterly", "2027-11-30", "2028-06-01") == [date(2028, 2, 29), date(2028, 5, 30), date(2028, 6, 1)]
    assert date(2028, 2, 29) in dues("weekly", "2028-02-01", "2028-03-01")


def test_weekly_and_an_rrule():
    assert dues("weekly", "2026-11-02", "2026-11-30") == [date(2026, 11, d) for d in (9, 16, 23, 30)]
    assert dues("RRULE:FREQ=MONTHLY;BYMONTHDAY=15", "2026-11-01", "2027-01-31") == [
        date(2026, 11, 15),
        date(2026, 12, 15),
        date(2027, 1, 15),
        date(2027, 1, 31),  # the horizon's end closes the last, shorter period
    ]


def test_the_last_part_period_of_a_horizon_is_reportable_and_a_horizon_shorter_than_a_period_is_one():
    assert dues("quarterly", "2026-04-01", "2031-03-15")[-2:] == [date(2031, 1, 1), date(2031, 3, 15)]
    assert dues("quarterly", "2026-04-01", "2031-04-01")[-1] == date(2031, 4, 1)  # a whole period: nothing added
    assert dues("RRULE:FREQ=YEARLY", "2026-04-01", "2026-09-30") == [date(2026, 9, 30)]
    assert dues("FREQ=SECONDLY", "2026-04-01", "2026-09-30") == []  # a refused rule still schedules nothing


def test_the_horizon_adds_the_legacy_years():
    assert horizon_end(target_date=date(2028, 3, 31), planned_completion=date(2027, 9, 30), legacy_years=3) == date(2031, 3, 31)
    assert horizon_end(target_date=None, planned_completion=None, legacy_years=3) is None


def test_reminders_are_at_half_past_nine_local_across_a_dst_change():
    before = reminder_moments(date(2027, 3, 26), "Europe/London")  # a Friday, before the clocks go forward
    after = reminder_moments(date(2027, 4, 2), "Europe/London")  # a Friday, after
    assert before["due"] == datetime(2027, 3, 26, 9, 30, tzinfo=UTC)
    assert after["due"] == datetime(2027, 4, 2, 8, 30, tzinfo=UTC)
    assert after["before"] == datetime(2027, 3, 26, 9, 30, tzinfo=UTC)


def test_reminders_fall_on_weekdays_only_and_never_two_a_day():
    moments = reminder_moments(date(2027, 3, 28), "Europe/London")  # a Sunday
    days = {kind: moment.date() for kind, moment in moments.items()}
    assert days == {"before": date(2027, 3, 19), "due": date(2027, 3, 26), "overdue": date(2027, 3, 29)}
    assert all(d.weekday() < 5 for d in days.values()) and len(set(days.values())) == 3


LINE = Line(baseline=0, baseline_date=date(2026, 1, 1), target=100, target_date=date(2026, 12, 31))


@pytest.mark.parametrize(
    "percent, rating",
    [
        (100, Rating.GOOD),
        (99.99, Rating.APPROACHING),
        (90, Rating.APPROACHING),
        (89.99, Rating.REQUIRES_IMPROVEMENT),
        (70, Rating.REQUIRES_IMPROVEMENT),
        (69.99, Rating.INADEQUATE),
        (250, Rating.GOOD),
        (-5, Rating.INADEQUATE),
    ],
)
def test_each_threshold_from_both_sides(percent, rating):
    assert rate_progress(percent, DEFAULT_THRESHOLDS) == rating


def test_custom_thresholds():
    assert rate_progress(86, (100, 85, 60)) == Rating.APPROACHING
    assert rate_progress(84, (100, 85, 60)) == Rating.REQUIRES_IMPROVEMENT


def test_progress_is_measured_against_the_straight_line():
    midyear = date(2026, 7, 2)  # half-way: 50 expected
    assert LINE.expected(midyear) == pytest.approx(50, abs=0.2)
    assert rate(LINE, actual=50, actual_on=midyear, overdue=False) == Rating.GOOD
    assert rate(LINE, actual=46, actual_on=midyear, overdue=False) == Rating.APPROACHING
    assert rate(LINE, actual=30, actual_on=midyear, overdue=False) == Rating.INADEQUATE


def test_a_reduction_target_is_rated_the_same_way():
    emissions = Line(baseline=1000, baseline_date=date(2026, 1, 1), target=500, target_date=date(2027, 1, 1))
    assert rate(emissions, actual=750, actual_on=date(2026, 7, 2), overdue=False) == Rating.GOOD
    assert rate(emissions, actual=900, actual_on=date(2026, 7, 2), overdue=False) == Rating.INADEQUATE


def test_no_data_and_overdue():
    assert rate(LINE, actual=None, actual_on=None, overdue=False) == Rating.NO_DATA
    assert rate(LINE, actual=80, actual_on=date(2026, 7, 1), overdue=True) == Rating.OVERDUE


@pytest.mark.parametrize(
    ("cadence", "words"),
    [
        ("monthly", "monthly"),
        ("FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "monthly on the 15th"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", "monthly on the last day"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "monthly on the last Friday"),
        ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=31", "yearly in March on the 31st"),
        ("FREQ=WEEKLY;BYDAY=MO,TH", "weekly on Monday and Thursday"),
        ("FREQ=MONTHLY;BYSETPOS=1;BYDAY=MO", "FREQ=MONTHLY;BYSETPOS=1;BYDAY=MO"),  # a part it cannot say: shown as it is
        ("FREQ=MONTHLY;BYDAY=9XX", "FREQ=MONTHLY;BYDAY=9XX"),
        (None, "at a cadence still to set"),
    ],
)
def test_a_cadence_is_said_in_words(cadence, words):
    from prompts import cadence_words

    assert cadence_words(cadence) == words

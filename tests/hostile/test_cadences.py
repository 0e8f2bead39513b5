"""A cadence typed to make every schedule huge (or endless to compute) is refused at the
question, and one stored before these rules schedules nothing instead of everything."""

import json
from datetime import date

import pytest
from sqlmodel import select

from flows.conversation.inputs import CadenceGiven, Choice
from flows.schedules import MAX_PER_YEAR, MAX_YEARS, periods
from storage.engine import transaction
from storage.models import Measure
from tests.factories import WHOLE_PLAN, plan_in_slack
from tests.fake_slack import TEAM
from tests.slack_app import CHANNEL, LEAD, dm_channel, stored_answers

CADENCES = [Choice("weekly", "Weekly"), Choice("monthly", "Monthly"), Choice("quarterly", "Quarterly")]
REFUSED = {
    "FREQ=SECONDLY": "rrule_too_frequent",
    "RRULE:FREQ=MINUTELY;INTERVAL=5": "rrule_too_frequent",
    "FREQ=HOURLY;INTERVAL=1000": "rrule_too_frequent",
    "FREQ=DAILY": "rrule_too_frequent",  # 365 a year
    "FREQ=WEEKLY;BYDAY=MO,TU": "rrule_too_frequent",
    "FREQ=MONTHLY;BYMONTHDAY=1,2,3,4,5": "rrule_too_frequent",
    "FREQ=DAILY;INTERVAL=7;BYHOUR=0,6,12,18": "rrule_time",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30": "rrule_too_rare",  # never: 7 s of dateutil's search from 2000
    "FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=31": "rrule_too_rare",
    "FREQ=YEARLY;INTERVAL=5": "rrule_too_rare",
    "FREQ=DAILY;INTERVAL=99999999": "rrule_too_rare",
    "FREQ=WEEKLY;FREQ=SECONDLY": "rrule_invalid",
    "FREQ=WEEKLY\nDTSTART:19000101T000000": "rrule_invalid",
    "FREQ=WEEKLY;DTSTART=19000101T000000": "rrule_invalid",
    "FREQ=WEEKLY;X-NAME=1": "rrule_invalid",
    "FREQ=WEEKLY;INTERVAL=" + "9" * 300: "text_too_long",
    "FREQ=WEEKLY;INTERVAL=" + "9" * 150: "rrule_too_rare",
    "FREQ=WEEKLY;UNTIL=20300101": "rrule_bounded",
    "FREQ=WEEKLY;COUNT=3": "rrule_bounded",
}
ACCEPTED = [
    "FREQ=DAILY;INTERVAL=7",
    "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=MONTHLY;BYDAY=1MO",
    "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=31",
    "FREQ=YEARLY;INTERVAL=2",
]


def refused(raw: str) -> str | None:
    try:
        CadenceGiven.check(raw, {"choices": CADENCES})
    except ValueError as error:  # pydantic's ValidationError
        return error.errors()[0]["type"]  # type: ignore[attr-defined]
    return None


def test_only_cadences_from_weekly_to_every_two_years_are_accepted():
    outcome = {raw: refused(raw) for raw in [*REFUSED, *ACCEPTED]}
    print(f"\ncadences tried: {len(outcome)}; refused: {sum(1 for v in outcome.values() if v)}")
    assert outcome == {**REFUSED, **dict.fromkeys(ACCEPTED)}


@pytest.mark.parametrize("rule", ACCEPTED)
def test_an_accepted_rule_schedules_at_most_weekly_for_at_most_the_bounded_years(rule):
    days = [p.end for p in periods(rule, date(1990, 1, 1), date(2200, 1, 1))]
    assert days and days[-1] <= date(1990 + MAX_YEARS, 1, 1)
    per_year = max(sum(1 for d in days if d.year == year) for year in range(1990, 1990 + MAX_YEARS))
    assert per_year <= MAX_PER_YEAR


def test_a_named_cadence_over_the_widest_dates_is_bounded_too():
    days = periods("weekly", date(1990, 1, 1), date(2200, 1, 1))
    print(f"\nweekly from 1990 to 2200: {len(days)} periods")
    assert len(days) <= MAX_PER_YEAR * MAX_YEARS
    assert days[-1].end <= date(1990 + MAX_YEARS, 1, 1)


async def test_typed_in_slack_a_secondly_rule_is_explained_and_not_stored(slack):
    cadence_at = WHOLE_PLAN.index("monthly")
    await plan_in_slack(slack.engine, WHOLE_PLAN[:cadence_at], team=TEAM, channel=CHANNEL, lead=LEAD)
    _, before = await stored_answers(slack.engine)
    await slack.dm("FREQ=SECONDLY")
    await slack.fake.settle()
    said = [m["text"] for m in slack.fake.of("chat.postMessage") if m["channel"] == dm_channel(LEAD)]
    assert any("at most once a week (53 times a year)" in text for text in said)
    _, after = await stored_answers(slack.engine)
    assert len(after) == len(before)
    async with transaction(slack.engine) as db:
        assert {m.cadence for m in (await db.exec(select(Measure))).all()} == {None}


async def test_a_stored_secondly_rule_schedules_nothing_and_status_still_answers(slack):
    """A row written before these rules (or by an old import): status and the worker's pass
    go on, and the measure shows as having no schedule rather than a million periods."""
    await plan_in_slack(slack.engine, WHOLE_PLAN, team=TEAM, channel=CHANNEL, lead=LEAD)
    async with transaction(slack.engine) as db:
        for measure in (await db.exec(select(Measure))).all():
            measure.cadence = "FREQ=SECONDLY"
            db.add(measure)
    await slack.command("status")
    shown = json.dumps(slack.fake.of("response_url")[-1])
    assert "Apprenticeships on the contract" in shown and "due" not in shown
    assert shown.count("its cadence `FREQ=SECONDLY` is no longer accepted") == 2  # the lead sees why, and what to do
    await slack.run_worker()  # a pass completes: no reminders for measures without a schedule
    assert not [m for m in slack.fake.of("chat.postMessage") if "metadata" in m and "reminder" in json.dumps(m["metadata"])]

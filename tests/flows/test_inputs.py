"""What each kind of step accepts, and the explanation each bad input gets."""

from datetime import date

import pytest
from pydantic import ValidationError

from flows.conversation.inputs import (
    Choice,
    ChoiceGiven,
    ChoicesGiven,
    DateGiven,
    ItemsGiven,
    NumberGiven,
    TextGiven,
    ThresholdsGiven,
    YesNoGiven,
)

CHOICES = [Choice("design", "Design"), Choice("construction", "Construction"), Choice("operation", "Operation")]


def refusal(model, raw, **context) -> str:
    with pytest.raises(ValidationError) as refused:
        model.check(raw, context)
    return refused.value.errors()[0]["type"]


@pytest.mark.parametrize("text", ["Jobs for Derby", "Emplois 🚧👷 pour tous", "مشروع الطريق", "  padded  "])
def test_text_keeps_what_was_typed(text):
    assert TextGiven.check(text, {}) == text.strip()


@pytest.mark.parametrize(
    "raw, error",
    [
        ("", "text_empty"),
        ("   \n ", "text_empty"),
        ("x" * 10_000, "text_too_long"),
        ("a\x00b", "text_unprintable"),
        ("\ud800", "text_unprintable"),
    ],
)
def test_text_refusals(raw, error):
    assert refusal(TextGiven, raw) == error


@pytest.mark.parametrize(
    "raw, value",
    [("12", 12), ("12.5", 12.5), ("1,250", 1250), ("£1,250", 1250), ("40 FTE", 40), ("40 fte", 40), ("0", 0), (".5", 0.5)],
)
def test_numbers_in_digits_with_or_without_the_unit(raw, value):
    assert NumberGiven.check(raw, {"unit": "FTE"}) == value


@pytest.mark.parametrize(
    "raw, error",
    [
        ("ten", "number_invalid"),
        ("🚧", "number_invalid"),
        ("مشروع", "number_invalid"),
        ("1,2,3", "number_invalid"),
        ("12 tonnes", "number_unit"),
        ("-4", "number_too_small"),
        ("1e9", "number_unit"),
        ("", "text_empty"),
    ],
)
def test_number_refusals(raw, error):
    assert refusal(NumberGiven, raw, unit="FTE") == error


@pytest.mark.parametrize(
    "raw, unit, value",
    [
        ("£4.5m", "£", 4_500_000),
        ("£38k", "£", 38_000),
        ("4,500,000", "£", 4_500_000),
        ("£1.1m", "£", 1_100_000),  # exact: no 1,100,000.0000000002
        ("2 million FTE", "FTE", 2_000_000),
        ("1.2bn", "£", 1_200_000_000),
        ("500m", "m", 500),  # metres, not millions: the unit is read first
        ("3 K", "FTE", 3000),
    ],
)
def test_money_and_large_numbers_as_people_write_them(raw, unit, value):
    assert NumberGiven.check(raw, {"unit": unit}) == value


@pytest.mark.parametrize("raw", ["£38x", "4.5 mm", "38kk"])
def test_a_scale_word_followed_by_another_unit_is_refused(raw):
    assert refusal(NumberGiven, raw, unit="£") == "number_unit"


def test_quantities_read_as_people_write_them():
    from prompts import format_quantity

    assert [format_quantity(4_500_000, "£"), format_quantity(1, "years"), format_quantity(3, "years")] == [
        "£4,500,000",
        "1 year",
        "3 years",
    ]
    assert [format_quantity(1, "apprenticeship weeks"), format_quantity(1, "people"), format_quantity(40, "FTE")] == [
        "1 apprenticeship week",
        "1 person",
        "40 FTE",
    ]


def test_a_month_without_its_day_is_asked_which_day():
    with pytest.raises(ValidationError) as refused:
        DateGiven.check("April 2025", {})
    [error] = refused.value.errors()
    assert error["type"] == "date_no_day" and error["ctx"] == {"month": "April 2025", "example": "30/04/2025"}
    assert refusal(DateGiven, "02/2024") == "date_no_day"


def test_number_bounds_come_from_the_step():
    assert refusal(NumberGiven, "60", unit="years", maximum=50) == "number_too_large"


@pytest.mark.parametrize("raw", ["2027-02-28", "28/02/2027", "28-02-2027", "28.02.2027", "28 February 2027", "28 Feb 2027"])
def test_dates_in_british_and_iso_forms(raw):
    assert DateGiven.check(raw, {}) == date(2027, 2, 28)


@pytest.mark.parametrize(
    "raw, error",
    [("31/02/2027", "date_invalid"), ("02/31/2027", "date_invalid"), ("tomorrow", "date_invalid"), ("01/01/1900", "date_out_of_range")],
)
def test_date_refusals(raw, error):
    assert refusal(DateGiven, raw) == error


def test_a_date_before_the_one_it_follows_is_refused():
    assert refusal(DateGiven, "01/01/2026", not_before=date(2026, 6, 1)) == "date_too_early"
    assert DateGiven.check("01/06/2026", {"not_before": date(2026, 6, 1)}) == date(2026, 6, 1)


def test_choices_by_number_label_or_several():
    assert ChoiceGiven.check("2", {"choices": CHOICES}) == "construction"
    assert ChoiceGiven.check("operation", {"choices": CHOICES}) == "operation"
    assert ChoicesGiven.check("1, Operation, 1", {"choices": CHOICES}) == ["design", "operation"]


def test_a_label_with_a_comma_is_matched_whole():
    choices = [Choice("statutory", "Statutory duty (2012 Act, 2023 Act)"), Choice("other", "Other")]
    assert ChoicesGiven.check("statutory duty (2012 act, 2023 act)", {"choices": choices}) == ["statutory"]


@pytest.mark.parametrize(
    "raw, error",
    [("4", "choice_unknown"), ("0", "choice_unknown"), ("maybe", "choice_unknown"), ("٢", "choice_unknown"), ("1,2", "choice_one")],
)
def test_choice_refusals(raw, error):
    assert refusal(ChoiceGiven, raw, choices=CHOICES) == error


def test_yes_no():
    assert YesNoGiven.check("Yes", {}) is True
    assert YesNoGiven.check("n", {}) is False
    assert refusal(YesNoGiven, "perhaps") == "yes_no_invalid"


def test_items_one_per_line_with_optional_parts():
    context = {"fields": ["name", "place", "needs"], "required": 1}
    assert ItemsGiven.check("Chaddesden | Derby\n\nSpondon", context) == [
        {"name": "Chaddesden", "place": "Derby", "needs": None},
        {"name": "Spondon", "place": None, "needs": None},
    ]
    assert refusal(ItemsGiven, "a | b | c | d", **context) == "item_too_many_parts"
    assert refusal(ItemsGiven, " | Derby", **context) == "item_missing"
    assert refusal(ItemsGiven, "Local labour", fields=["name", "unit"], required=2) == "item_missing"


def test_thresholds_are_three_descending_percentages():
    assert ThresholdsGiven.check("100%, 85, 60", {}) == [100, 85, 60]
    for raw in ("100, 90", "70, 90, 100", "a, b, c", "100, 90, 0"):
        assert refusal(ThresholdsGiven, raw) == "thresholds_invalid"


def test_a_cadence_is_a_choice_or_an_unbounded_rrule():
    from flows.conversation.inputs import CadenceGiven

    cadences = [Choice("weekly", "Weekly"), Choice("monthly", "Monthly")]
    assert CadenceGiven.check("2", {"choices": cadences}) == "monthly"
    assert CadenceGiven.check("freq=monthly;bymonthday=15", {"choices": cadences}) == "FREQ=MONTHLY;BYMONTHDAY=15"
    assert CadenceGiven.check("RRULE:FREQ=WEEKLY;INTERVAL=2", {"choices": cadences}) == "FREQ=WEEKLY;INTERVAL=2"
    assert refusal(CadenceGiven, "FREQ=SOMETIMES", choices=cadences) == "rrule_invalid"
    assert refusal(CadenceGiven, "FREQ=WEEKLY;COUNT=3", choices=cadences) == "rrule_bounded"
    assert refusal(CadenceGiven, "fortnightly", choices=cadences) == "choice_unknown"

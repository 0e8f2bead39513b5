"""What a user may type at each kind of step, as pydantic models.

A validator reads the raw text of one message and yields the stored value, or raises a
`PydanticCustomError` whose type names the explanation in `prompts/errors.j2`. The context
carries what the step knows (choices, unit, bounds, the baseline date).
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from flows.schedules import MAX_PER_YEAR, rule_problem
from prompts import has_macro, render, visible, vocabulary
from storage.projects import name_key

MAX_TEXT = 5000  # a long paragraph; a Slack form edits up to 3,000 (see flows/editing.py)
MAX_SHORT_TEXT = 200
MAX_ITEM_PART = 1000  # one part of a list item (a community's needs, say)
EARLIEST_YEAR, LATEST_YEAR = 1990, 2150
MAX_NUMBER = 1e12
STRAIGHT_LINE = ("none", "no", "straight", "straight line", "the straight line", "no profile")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y")
MONTH_FORMATS = ("%B %Y", "%b %Y", "%m/%Y", "%Y-%m")  # a month without its day: asked which day
SCALE = re.compile(r"^(?P<scale>thousand|million|billion|bn|k|m)(?![a-z])", re.IGNORECASE)
SCALES = {
    "k": Decimal(10**3),
    "thousand": Decimal(10**3),
    "m": Decimal(10**6),
    "million": Decimal(10**6),
    "bn": Decimal(10**9),
    "billion": Decimal(10**9),
}
# A channel as a menu gives it (C0123ABC) or as a typed mention carries it (<#C0123ABC|name>);
# ids have a digit, so a typed #GENERAL is words. G: private channels made before 2021.
CHANNEL_ID = re.compile(r"^(?:<#|#)?([CG](?=[A-Z0-9]*\d)[A-Z0-9]{2,})(?:\|[^>]*)?>?$")
# A profile's line starts with a date in one of DATE_FORMATS, then its value or milestone.
PROFILE_LINE = re.compile(
    r"^(?P<day>\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{1,2}\s+[A-Za-z]+\s+\d{4})\s*[,:|\t]?\s*(?P<rest>.*)$"
)
MAX_PROFILE_POINTS = 120  # ten years of months
NUMBER = re.compile(r"^(?P<sign>-)?\s*[£$€]?\s*(?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*(?P<unit>(?:[^\d,.\s].*)?)$")


class InputKind(StrEnum):
    TEXT = "text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    NUMBER = "number"
    DATE = "date"
    LIST = "list"
    YES_NO = "yes_no"
    CHANNEL = "channel"  # a Slack channel picked from a menu, or words meaning the project's channel
    PROFILE = "profile"  # dated planned values (or milestones), one per line


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def refuse(error: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError(error, error, context)


def explain(invalid: ValidationError, markup: str) -> str:
    error = invalid.errors()[0]
    name = f"errors.j2:{error['type']}"
    if not has_macro(name):
        name = "errors.j2:invalid"
    return render(name, markup, **(error.get("ctx") or {}))


def clean_text(raw: Any, *, maximum: int = MAX_TEXT) -> str:
    if not isinstance(raw, str) or not visible(raw).strip():
        raise refuse("text_empty")
    text = visible(raw).strip()
    if len(text) > maximum:
        raise refuse("text_too_long", maximum=maximum, length=len(text))
    # Control characters and lone surrogates cannot be shown or stored faithfully.
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t" for c in text):
        raise refuse("text_unprintable")
    return text


def parse_number(raw: Any, *, unit: str = "", minimum: float = 0, maximum: float = MAX_NUMBER) -> int | float:
    text = clean_text(raw, maximum=MAX_SHORT_TEXT)
    match = NUMBER.match(text)
    if match is None:
        raise refuse("number_invalid", unit=unit)
    amount = Decimal(match["digits"].replace(",", ""))  # exact, so £1.1m is 1,100,000
    typed = match["unit"].strip()
    if typed and typed.casefold() != unit.casefold():  # "£4.5m", "38k FTE": a scale, then the unit
        scale = SCALE.match(typed)
        rest = typed[scale.end() :].strip() if scale else typed
        if scale is None or (rest and rest.casefold() != unit.casefold()):
            raise refuse("number_unit", unit=unit, typed=typed[:MAX_SHORT_TEXT])
        amount *= SCALES[scale["scale"].casefold()]
    value = float(amount)
    if match["sign"]:
        value = -value
    if value < minimum:
        raise refuse("number_too_small", minimum=minimum, unit=unit)
    if value > maximum:
        raise refuse("number_too_large", maximum=maximum, unit=unit)
    # Whole numbers stay integers, so every backend stores and exports them alike.
    return int(value) if value.is_integer() else value


def parse_date(raw: Any, *, not_before: date | None = None) -> date:
    text = clean_text(raw, maximum=MAX_SHORT_TEXT)
    for fmt in DATE_FORMATS:
        try:
            value = datetime.strptime(text, fmt).date()
            break
        except ValueError:
            continue
    else:
        month = _month_only(text)
        if month is not None:  # "April 2025": which day?
            raise refuse("date_no_day", month=f"{month:%B %Y}", example=f"{_month_end(month):%d/%m/%Y}")
        raise refuse("date_invalid")
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise refuse("date_out_of_range", earliest=EARLIEST_YEAR, latest=LATEST_YEAR)
    if not_before is not None and value < not_before:
        raise refuse("date_too_early", not_before=not_before.isoformat())
    return value


def _month_only(text: str) -> date | None:
    for fmt in MONTH_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def parse_choices(raw: Any, choices: list[Choice], *, multiple: bool) -> list[str]:
    text = clean_text(raw, maximum=MAX_TEXT)
    whole = _match_choice(text, choices)
    tokens = [whole] if whole else [t.strip() for t in text.split(",") if t.strip()]
    values: list[str] = []
    for token in tokens:
        value = token if token in (c.value for c in choices) else _match_choice(token, choices)
        if value is None:
            raise refuse("choice_unknown", typed=token[:MAX_SHORT_TEXT], count=len(choices))
        if value not in values:
            values.append(value)
    if not multiple and len(values) != 1:
        raise refuse("choice_one", count=len(choices))
    return values


def _match_choice(token: str, choices: list[Choice]) -> str | None:
    if token.isdigit() and token.isascii():
        number = int(token)
        return choices[number - 1].value if 1 <= number <= len(choices) else None
    folded = token.casefold()
    for choice in choices:
        if folded in (choice.label.casefold(), choice.value.casefold()):
            return choice.value
    return None


def parse_yes_no(raw: Any) -> bool:
    word = clean_text(raw, maximum=MAX_SHORT_TEXT).casefold()
    commands = vocabulary()["commands"]
    if word in commands["yes"]:
        return True
    if word in commands["no"]:
        return False
    raise refuse("yes_no_invalid")


def parse_items(
    raw: Any,
    fields: list[str],
    *,
    required: int,
    room: int | None = None,
    most: int | None = None,
    lengths: dict[str, int] | None = None,
    taken: list[str] | None = None,
) -> list[dict[str, str | None]]:
    """One item per line, its fields separated by `|`; the first `required` must be given.
    `room`: how many more items the plan takes (of `most`); `lengths`: a field's longest text;
    `taken`: names already in the plan, which a new item's first field may not repeat."""
    text = clean_text(raw, maximum=MAX_TEXT)
    items = []
    names = {name_key(name): name for name in taken or []} if taken is not None else None
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) > len(fields):
            raise refuse("item_too_many_parts", fields=len(fields), line=line[:MAX_SHORT_TEXT])
        if any(not part for part in parts[:required]) or len(parts) < required:
            raise refuse("item_missing", line=line[:MAX_SHORT_TEXT])
        for name, part in zip(fields, parts, strict=False):
            longest = (lengths or {}).get(name, MAX_ITEM_PART)
            if len(part) > longest:
                raise refuse("item_part_too_long", part=part[:MAX_SHORT_TEXT], maximum=longest, length=len(part))
        if names is not None:
            if name_key(parts[0]) in names:
                raise refuse("item_duplicate", typed=parts[0][:MAX_SHORT_TEXT], existing=names[name_key(parts[0])][:MAX_SHORT_TEXT])
            names[name_key(parts[0])] = parts[0]
        parts += [""] * (len(fields) - len(parts))
        items.append({name: (part or None) for name, part in zip(fields, parts, strict=False)})
    if room is not None and len(items) > room:
        raise refuse("list_too_many", most=most, room=max(room, 0), count=len(items))
    return items


def parse_profile(
    raw: Any, *, unit: str = "", milestones: bool = False, not_before: date | None = None, not_after: date | None = None
) -> list[list[Any]]:
    """Planned points, one per line (or separated by ";"): "DATE VALUE", or for milestones
    "DATE what is done by then". Dates rise, after the baseline and by the target date.
    Stored as [["2026-06-30", 120], ...]; a milestone's value is how many are done by then.
    "none" (or "straight line") means no profile: the straight line to target."""
    text = clean_text(raw, maximum=MAX_TEXT)
    if text.casefold().partition(":")[0].strip(" .") in STRAIGHT_LINE:
        return []
    lines = [line.strip() for line in re.split(r"[\n;]", text) if line.strip()]
    if len(lines) > MAX_PROFILE_POINTS:
        raise refuse("profile_too_long", most=MAX_PROFILE_POINTS, count=len(lines))
    points: list[list[Any]] = []
    for line in lines:
        match = PROFILE_LINE.match(line)
        try:
            if match is None:
                raise refuse("profile_line")
            day = parse_date(match["day"])
            value = None if milestones else parse_number(match["rest"], unit=unit, minimum=-MAX_NUMBER)
        except PydanticCustomError:
            raise refuse("profile_line", line=line[:MAX_SHORT_TEXT], unit=unit, milestones=milestones) from None
        if points and day <= date.fromisoformat(points[-1][0]):
            raise refuse("profile_order", line=line[:MAX_SHORT_TEXT])
        if (not_before is not None and day <= not_before) or (not_after is not None and day > not_after):
            raise refuse("profile_outside", line=line[:MAX_SHORT_TEXT], start=not_before, end=not_after)
        if milestones:
            what = match["rest"].strip()
            if len(what) > MAX_SHORT_TEXT:
                raise refuse("item_part_too_long", part=what[:MAX_SHORT_TEXT], maximum=MAX_SHORT_TEXT, length=len(what))
            points.append([day.isoformat(), len(points) + 1, what])
        else:
            points.append([day.isoformat(), value])
    return points


def parse_thresholds(raw: Any) -> list[float]:
    """Three descending percentages: the lowest for Good, Approaching target, Requires improvement."""
    text = clean_text(raw, maximum=MAX_SHORT_TEXT)
    try:
        values = [float(part.strip().rstrip("%")) for part in text.split(",")]
    except ValueError:
        raise refuse("thresholds_invalid") from None
    if len(values) != 3 or not all(0 < v <= 1000 for v in values) or not values[0] > values[1] > values[2]:
        raise refuse("thresholds_invalid")
    return values


class Given(BaseModel):
    """Base of every step's validator: `Model.model_validate({"value": raw}, context=...)`."""

    value: Any

    @classmethod
    def check(cls, raw: str, context: dict[str, Any]) -> Any:
        return cls.model_validate({"value": raw}, context=context).value


class TextGiven(Given):
    value: str

    @field_validator("value", mode="before")
    @classmethod
    def _parse(cls, raw: Any) -> str:
        return clean_text(raw)


class NumberGiven(Given):
    value: int | float

    @field_validator("value", mode="before")
    @classmethod
    def _parse(cls, raw: Any, info: ValidationInfo) -> int | float:
        context = info.context or {}
        return parse_number(
            raw,
            unit=context.get("unit", ""),
            minimum=context.get("minimum", 0),
            maximum=context.get("maximum", MAX_NUMBER),
        )


class DateGiven(Given):
    value: date

    @field_validator("value", mode="before")
    @classmethod
    def _parse(cls, raw: Any, info: ValidationInfo) -> date:
        return parse_date(raw, not_before=(info.context or {}).get("not_before"))


class ChoiceGiven(Given):
    value: str

    @field_validator("value", mode="before")
    @classmethod
    def _parse(cls, raw: Any, info: ValidationInfo) -> str:
        return parse_choices(raw, (info.context or {})["choices"], multiple=False)[0]


class ChoicesGiven(Given):
    value: list[str]

    @field_validator("value", mode="before")
    @classmethod
    def _parse(cls, raw: Any, info: ValidationInfo) -> list[str]:
        return parse_choices(raw, (info.context or {})["choices"], multiple=True)


class NeedsGiven(Given):
    """The needs a measure answers: by number or as listed, by the need's own words, or by a
    community's name for every need it has (context `groups`: each such name -> its keys)."""

    value: list[str]

    @field_validator("value", mode="before")
    @classmethod
    def _parse(cls, raw: Any, info: ValidationInfo) -> list[str]:
        context = info.context or {}
        groups: dict[str, list[str]] = context.get("groups", {})
        text = clean_text(raw, maximum=MAX_TEXT)
        values: list[str] = []
        tokens = [text] if name_key(text) in groups else [t.strip() for t in text.split(",") if t.strip()]
        for token in tokens:
            keys = groups.get(name_key(token)) or parse_choices(token, context["choices"], multiple=True)
            values += [key for key in keys if key not in values]
        return values


class CadenceGiven(Given):
    """A reporting cadence: one of the choices, or an RFC 5545 RRULE such as FREQ=MONTHLY;BYMONTHDAY=15."""

    value: str

    @field_validator("value", mode="before")
    @classmethod
    def _parse(cls, raw: Any, info: ValidationInfo) -> str:
        text = clean_text(raw, maximum=MAX_SHORT_TEXT)
        if not text.upper().startswith(("FREQ=", "RRULE:")):
            return parse_choices(text, (info.context or {})["choices"], multiple=False)[0]
        rule = text.upper().removeprefix("RRULE:")
        problem = rule_problem(rule)
        if problem:
            raise refuse(problem, most=MAX_PER_YEAR)
        return rule


class ChannelGiven(Given):
    """Where something is posted: a channel's id, or the words typed (which mean the project's
    channel: a typed mention reaches us as its name only)."""

    value: str

    @field_validator("value", mode="before")
    @classmethod
    def _parse(cls, raw: Any) -> str:
        text = clean_text(raw, maximum=MAX_SHORT_TEXT)
        match = CHANNEL_ID.match(text)
        return match.group(1) if match else text


def channel_of(value: Any) -> str | None:
    """The channel id a stored answer names, if it names one."""
    match = CHANNEL_ID.match(value) if isinstance(value, str) else None
    return match.group(1) if match else None


class YesNoGiven(Given):
    value: bool

    @field_validator("value", mode="before")
    @classmethod
    def _parse(cls, raw: Any) -> bool:
        return parse_yes_no(raw)


class ItemsGiven(Given):
    value: list[dict[str, str | None]]

    @field_validator("value", mode="before")
    @classmethod
    def _parse(cls, raw: Any, info: ValidationInfo) -> list[dict[str, str | None]]:
        context = info.context or {}
        return parse_items(
            raw,
            context["fields"],
            required=context["required"],
            room=context.get("room"),
            most=context.get("most"),
            lengths=context.get("lengths"),
            taken=context.get("taken"),
        )


class ProfileGiven(Given):
    value: list[list[Any]]

    @field_validator("value", mode="before")
    @classmethod
    def _parse(cls, raw: Any, info: ValidationInfo) -> list[list[Any]]:
        context = info.context or {}
        return parse_profile(
            raw,
            unit=context.get("unit", ""),
            milestones=context.get("milestones", False),
            not_before=context.get("not_before"),
            not_after=context.get("not_after"),
        )


class ThresholdsGiven(Given):
    value: list[float]

    @field_validator("value", mode="before")
    @classmethod
    def _parse(cls, raw: Any) -> list[float]:
        return parse_thresholds(raw)

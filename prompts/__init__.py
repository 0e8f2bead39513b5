"""Every sentence a user reads, rendered from the Jinja2 templates beside this file.

One environment per markup, built by one factory, all with StrictUndefined:
- `text` for the terminal: values printed as they are;
- `mrkdwn` for Slack: every interpolated value is escaped (`&`, `<`, `>`) by `finalize`, so no
  user text can ping anyone or disguise a link; a template opts out with `|safe`, never in.
Templates are never built from user data: user text is only ever a variable.

Shared templates carry no surface's markup: they say `{{ em(text) }}` for emphasis, and each
environment renders it (bold in Slack, Markdown and HTML; plain in the terminal). A person
named in an answer (an owner, say) is written `{{ person(value) }}`: a live mention in Slack,
their name (from the `people` the caller passes, id -> name) in the terminal and in files.
"""

import re
import tomllib
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from functools import cache, partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

HERE = Path(__file__).parent
SLACK_USER = re.compile(r"^(?:<@|@)?([UW][A-Z0-9]{2,})>?$")  # W: Enterprise Grid users


class MarkupKind(StrEnum):
    TEXT = "text"
    MRKDWN = "mrkdwn"
    MARKDOWN = "markdown"  # documents for wikis
    HTML = "html"  # documents, with Jinja2's own autoescape


# Bidi controls and zero-width characters: invisible, they reorder or split what is shown
# ("\u202egnp.exe" shows as "exe.png"; "Al\u200bpha" looks like "Alpha"). Removed from what is
# typed and again from every value rendered. ZWJ and ZWNJ stay: emoji and several scripts need them.
INVISIBLE = dict.fromkeys(map(ord, "\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"))
LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def visible(text: str) -> str:
    return text.translate(INVISIBLE)


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters; HTML escaping would show quotes as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _finalize_text(value: Any) -> Any:
    if value is None:
        return ""
    return visible(value) if isinstance(value, str) else value


def _finalize_mrkdwn(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return str(value)
    return escape_mrkdwn(visible(str(value)))


MARKDOWN_SPECIAL = "\\`*_[]<>#|~&"


def escape_markdown(text: str) -> str:
    """Backslash before every character Markdown could read as formatting or HTML, and line
    breaks folded: a value stays inside its table cell, list item or paragraph (a typed line
    could otherwise start a heading, a list or a code block)."""
    return "".join("\\" + c if c in MARKDOWN_SPECIAL else c for c in LINE_BREAKS.sub(" ", visible(text)))


def _finalize_markdown(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return str(value)
    return escape_markdown(str(value))


def emphasis(markup: str, value: Any) -> Markup:
    """What a template marks as emphasis (`{{ em(...) }}`), in each surface's own markup: bold
    in Slack, Markdown and HTML; as it is in the terminal. The text is escaped here, once."""
    text = str(value) if isinstance(value, Markup) else None
    if markup == MarkupKind.MRKDWN:
        return Markup(f"*{text if text is not None else escape_mrkdwn(str(value))}*")
    if markup == MarkupKind.MARKDOWN:
        return Markup(f"**{text if text is not None else escape_markdown(str(value))}**")
    if markup == MarkupKind.HTML:
        return Markup("<strong>{}</strong>").format(value)
    return Markup(str(value))


def slack_user_of(text: str | None) -> str | None:
    """The Slack user id an answer names (picked in Slack, or typed as @U… or @W…), if any."""
    match = SLACK_USER.match((text or "").strip())
    return match.group(1) if match else None


def person(markup: str, context: Context, value: Any) -> Any:
    """A person as each surface writes them: a live mention in Slack (the id is all Slack
    needs), their name elsewhere when the caller knows it, else as they were typed."""
    user = slack_user_of(value if isinstance(value, str) else None)
    if user is None:
        return value
    if markup == MarkupKind.MRKDWN:
        return Markup(f"<@{user}>")
    people = context.get("people") or {}
    return people.get(user) or f"@{user}"


def channel(markup: str, channel_id: str) -> Any:
    """A channel by id: a live link in Slack, #id elsewhere (the terminal has no channels)."""
    return Markup(f"<#{escape_mrkdwn(channel_id)}>") if markup == MarkupKind.MRKDWN else f"#{channel_id}"


def format_date(value: date | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value.day} {value:%b %Y}"


def format_number(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")


NAMED = 5  # names listed in a line of a message; the rest are counted
CURRENCIES = ("£", "$", "€")  # written before the number: £4,500,000


def singular(unit: str) -> str:
    """The unit of one: "1 year", "1 apprenticeship week", "1 person"."""
    head, _, last = unit.rpartition(" ")
    word = {"people": "person", "children": "child"}.get(last.casefold())
    if word is None and len(last) > 3 and last.endswith("ies"):
        word = last[:-3] + "y"
    elif word is None and len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
        word = last[:-1]
    return f"{head} {word or last}".strip() if head else word or last


def format_quantity(value: float | int | None, unit: str | None) -> str:
    """A number with its unit as people write it: "£4,500,000", "40 FTE", "1 year"."""
    if value is None:
        return ""
    unit = (unit or "").strip()
    if unit in CURRENCIES:
        return f"-{unit}{format_number(-value)}" if value < 0 else f"{unit}{format_number(value)}"
    if not unit:
        return format_number(value)
    return f"{format_number(value)} {singular(unit) if abs(value) == 1 else unit}"


def named(names: list[str], separator: str = ", ", most: int = NAMED) -> str:
    """Names in running text, bounded: a need answered by 60 measures names the first few."""
    shown = separator.join(names[:most])
    return shown if len(names) <= most else f"{shown} and {len(names) - most} more"


def readable(value: Any) -> str:
    """A stored answer value as plain text (never Markup: templates still escape it)."""
    if isinstance(value, list):
        return ", ".join(readable(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {readable(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


FREQUENCIES = {"DAILY": ("daily", "day"), "WEEKLY": ("weekly", "week"), "MONTHLY": ("monthly", "month"), "YEARLY": ("yearly", "year")}
WEEKDAYS = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday", "SA": "Saturday", "SU": "Sunday"}
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")
ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last", -2: "second last"}


def ordinal(number: int) -> str:
    if number == -1:
        return "last day"
    suffix = "th" if 10 <= abs(number) % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(abs(number) % 10, "th")
    return f"{number}{suffix}" if number > 0 else f"{-number}{suffix} last day"


def cadence_words(cadence: str | None) -> str:
    """A reporting cadence as people say it: "monthly", "every 2 weeks", "monthly on the 15th",
    "yearly in March on the last Friday". A rule with parts this does not know is shown as it is."""
    if not cadence:
        return "at a cadence still to set"
    if cadence.casefold() in ("weekly", "monthly", "quarterly"):
        return cadence.casefold()
    try:
        parts = dict(part.split("=", 1) for part in cadence.removeprefix("RRULE:").split(";"))
        frequency, unit = FREQUENCIES[parts.pop("FREQ")]
        interval = int(parts.pop("INTERVAL", "1"))
        words = [frequency if interval == 1 else f"every {interval} {unit}s"]
        if months := parts.pop("BYMONTH", ""):
            words.append("in " + " and ".join(MONTH_NAMES[int(m) - 1] for m in months.split(",")))
        if days := parts.pop("BYMONTHDAY", ""):
            words.append("on the " + " and ".join(ordinal(int(d)) for d in days.split(",")))
        if weekdays := parts.pop("BYDAY", ""):
            named_days = []
            for day in weekdays.split(","):
                position, name = day[:-2], WEEKDAYS[day[-2:]]
                named_days.append(f"the {ORDINAL_WORDS[int(position)]} {name}" if position else name)
            words.append("on " + " and ".join(named_days))
        parts.pop("WKST", None)
    except (KeyError, ValueError, IndexError):
        return cadence
    return " ".join(words) if not parts else cadence


def rating_label(value: str) -> str:
    return next((r["label"] for r in vocabulary()["ratings"] if r["value"] == value), value)


def progress_bar(percent: float | None, width: int = 10) -> str:
    """A text bar of the share of the target reached, e.g. ▓▓▓▓▓░░░░░ 50%."""
    if percent is None:
        return "░" * width
    filled = round(max(0.0, min(100.0, percent)) / 100 * width)
    return "▓" * filled + "░" * (width - filled) + f" {percent:.0f}%"


@cache
def environment(markup: str) -> Environment:
    finalizers: dict[str, Callable[[Any], Any]] = {MarkupKind.MRKDWN: _finalize_mrkdwn, MarkupKind.MARKDOWN: _finalize_markdown}
    finalize = finalizers.get(markup, _finalize_text)
    env = Environment(
        loader=FileSystemLoader(HERE),
        undefined=StrictUndefined,
        autoescape=markup == MarkupKind.HTML,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # the templates ship with the code: not looked at again on every render
    )
    env.filters["date"] = format_date
    env.filters["number"] = format_number
    env.filters["quantity"] = format_quantity
    env.filters["rating"] = rating_label
    env.filters["bar"] = progress_bar
    env.filters["readable"] = readable
    env.filters["named"] = named
    env.filters["cadence"] = cadence_words
    env.globals["em"] = partial(emphasis, markup)
    env.globals["person"] = pass_context(partial(person, markup))
    env.globals["channel"] = partial(channel, markup)
    return env


def render(template: str, markup: str = MarkupKind.TEXT, /, **context: Any) -> str:
    """Render `file.j2`, or one macro of it as `file.j2:macro`."""
    return _render(template, markup, context) if context else _render_fixed(template, markup)


@cache
def _render_fixed(template: str, markup: str) -> str:
    """A template without variables (a button's label, say) is the same text every time."""
    return _render(template, markup, {})


def _render(template: str, markup: str, context: dict[str, Any]) -> str:
    env = environment(markup)
    file, _, macro = template.partition(":")
    loaded = env.get_template(file)
    if not macro:
        return loaded.render(**context).strip()
    return str(getattr(loaded.make_module(vars=context), macro)()).strip()


def has_macro(name: str) -> bool:
    file, _, macro = name.partition(":")
    return hasattr(environment(MarkupKind.TEXT).get_template(file).module, macro)


@cache
def vocabulary() -> dict[str, Any]:
    """Choice labels and the words users type (skip, back, ...)."""
    return tomllib.loads((HERE / "vocabulary.toml").read_text(encoding="utf-8"))


@cache
def cli_help() -> dict[str, str]:
    return tomllib.loads((HERE / "cli.toml").read_text(encoding="utf-8"))


@cache
def catalogue(version: str) -> dict[str, Any]:
    return tomllib.loads((HERE / "catalogue" / f"{version}.toml").read_text(encoding="utf-8"))

"""Text that arrives from Slack, turned into what the user saw.

Message events carry `&`, `<`, `>` entity-encoded, and live tokens for mentions and links
(typing @here yields `<!here>`). We store the readable text and escape it again on output,
so nothing a user typed can become a live mention in anything the app posts.
"""

import re

TOKEN = re.compile(r"<([^<>]*)>")


def _readable(token: re.Match[str]) -> str:
    target, _, label = str(token.group(1)).partition("|")
    if target.startswith(("@", "#")):
        return target[0] + (label or target[1:])
    if target.startswith("!subteam^"):
        return label if label.startswith("@") else "@" + (label or target.removeprefix("!subteam^"))
    if target.startswith("!date^"):
        return label or target
    if target.startswith("!"):
        return "@" + target[1:]
    return label or target.removeprefix("mailto:")


def text_from_message(text: str) -> str:
    """A message event's text as the user saw it (tokens first: entities never form one)."""
    readable = TOKEN.sub(_readable, text or "")
    return readable.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def split_verb(text: str) -> tuple[str, str]:
    """The verb and the rest, split at any white space (a tab or a no-break space too)."""
    parts = text.strip().split(maxsplit=1)
    return (parts[0].casefold() if parts else ""), (parts[1].strip() if len(parts) > 1 else "")

"""Text in Block Kit: wording from prompts/slack.j2, sections split to Slack's limits, and
messages grouped so that none is refused as too long. Pure functions, built with
slack_sdk.models (which checks Slack's limits on construction)."""

import json
from typing import Any

from slack_sdk.models.blocks import Block, MarkdownTextObject, Option, PlainTextObject, SectionBlock

from flows.conversation.inputs import Choice
from prompts import MarkupKind, render

SECTION_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
MESSAGE_TEXT_BUDGET = 12_000  # Slack refuses messages whose blocks hold much more (msg_blocks_too_long)
OPTION_TEXT_LIMIT = 75
ACTIONS_ELEMENT_LIMIT = 25
MENU_LIMIT = 100  # options in one static menu; more are searched (external_select)


def plain(macro: str, **context: Any) -> str:
    return render(f"slack.j2:{macro}_plain", MarkupKind.TEXT, **context)


def mrkdwn(macro: str, **context: Any) -> str:
    return render(f"slack.j2:{macro}", MarkupKind.MRKDWN, **context)


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chunks(text: str, limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """Split escaped mrkdwn at line ends (or, for one huge line, anywhere but inside an entity)."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            cut = limit
            entity = line.rfind("&", cut - 5, cut)
            if entity != -1 and ";" not in line[entity:cut]:
                cut = entity
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:cut])
            line = line[cut:]
        if len(current) + len(line) > limit:
            pieces.append(current)
            current = ""
        current += line
    if current.strip():
        pieces.append(current)
    return [piece.strip("\n") for piece in pieces if piece.strip()]


def text_sections(text: str) -> list[Block]:
    return [SectionBlock(text=MarkdownTextObject(text=piece)) for piece in chunks(text)]


def messages(blocks: list[Block], *, block_limit: int = MESSAGE_BLOCK_LIMIT) -> list[list[Block]]:
    """Group blocks into as many messages as Slack's per-message limits need."""
    grouped: list[list[Block]] = [[]]
    size = 0
    for block in blocks:
        weight = len(json.dumps(block.to_dict()))
        if grouped[-1] and (len(grouped[-1]) >= block_limit or size + weight > MESSAGE_TEXT_BUDGET):
            grouped.append([])
            size = 0
        grouped[-1].append(block)
        size += weight
    return grouped


def fallback(text: str) -> str:
    """The notification text of a message: its first line."""
    return shorten(text.strip().splitlines()[0] if text.strip() else text, 300)


def summary_messages(summary: str, extra: list[Block] | tuple[Block, ...] = ()) -> list[list[Block]]:
    return messages(text_sections(summary) + list(extra))


def option(choice: Choice) -> Option:
    return Option(value=choice.value, text=PlainTextObject(text=shorten(choice.label, OPTION_TEXT_LIMIT)))

"""Communities in Block Kit: the form (a community's parts and its needs as rows), and the
list with each community's Edit button and an Add button."""

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, InputBlock, MarkdownTextObject, PlainTextInputElement, SectionBlock
from slack_sdk.models.views import View

from bot.slack.blocks.text import SECTION_TEXT_LIMIT, shorten, text_sections
from bot.slack.ids import COMMUNITY_ADD, COMMUNITY_CALLBACK, COMMUNITY_EDIT, FIELD_ACTION, CommunityRef
from flows.communities import COMMUNITY_PARTS, NEEDS, CommunityForm
from flows.conversation.editing import FORM_TEXT_LIMIT
from flows.coverage import Coverage
from prompts import MarkupKind, render
from storage.models import Community

PART_LENGTH = 1000  # a community's name, place or who: one part of a list item


def words(macro: str, **context: Any) -> str:
    return render(f"communities.j2:{macro}", MarkupKind.MRKDWN, **context)


def label(macro: str) -> str:
    return render(f"communities.j2:{macro}_plain", MarkupKind.TEXT)


def community_view(*, metadata: CommunityRef, project: str, form: CommunityForm | None) -> View:
    """The form of a new community (no `form`) or of one with its needs. Needs longer than a
    form's box are left out (and kept as they are), never cut short."""
    blocks: list[Block] = text_sections(words("form_intro", project=project))
    for part in COMMUNITY_PARTS:
        initial = form.parts.get(part) if form else None
        blocks.append(
            InputBlock(
                block_id=part,
                label=label(part),
                optional=part != "name",
                element=PlainTextInputElement(action_id=FIELD_ACTION, max_length=PART_LENGTH, initial_value=initial or None),
            )
        )
    if form is not None and len(form.needs) > FORM_TEXT_LIMIT:
        blocks += text_sections(words("needs_too_long"))
    else:
        blocks.append(
            InputBlock(
                block_id=NEEDS,
                label=label(NEEDS),
                optional=True,
                hint=label("needs_hint"),
                element=PlainTextInputElement(
                    action_id=FIELD_ACTION, multiline=True, max_length=FORM_TEXT_LIMIT, initial_value=(form.needs if form else None) or None
                ),
            )
        )
    return View(
        type="modal",
        callback_id=COMMUNITY_CALLBACK,
        title=label("form_title"),
        submit=render("slack.j2:save_plain"),
        close=render("slack.j2:cancel_plain"),
        private_metadata=metadata.encode(),
        blocks=blocks,
    )


def community_list_blocks(heading: str, coverage: Coverage, project_id: int) -> list[Block]:
    blocks = text_sections(heading)
    for c in coverage.communities:
        community: Community = c.community
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=shorten(words("community", c=c), SECTION_TEXT_LIMIT)),
                accessory=ButtonElement(
                    text=label("edit"), action_id=COMMUNITY_EDIT, value=CommunityRef(project=project_id, community=community.key).encode()
                ),
            )
        )
    blocks.append(
        ActionsBlock(elements=[ButtonElement(text=label("add"), action_id=COMMUNITY_ADD, value=CommunityRef(project=project_id).encode())])
    )
    return blocks

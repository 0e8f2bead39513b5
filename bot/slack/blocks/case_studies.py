"""Case studies in Block Kit: the form (new, from a message, or an edit), and a listing with
each study's Edit button."""

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.slack.blocks.text import MENU_LIMIT, SECTION_TEXT_LIMIT, option, shorten, text_sections
from bot.slack.ids import CASE_STUDY_CALLBACK, CASE_STUDY_EDIT, FIELD_ACTION, CaseStudyForm, CaseStudyRef
from flows.case_studies import MAX_BENEFITED, MAX_PERSON, MAX_STORY, MAX_TITLE, Shown
from flows.conversation.inputs import Choice
from prompts import MarkupKind, render
from storage.models import Consent, Scale


def words(macro: str, **context: Any) -> str:
    return render(f"case_studies.j2:{macro}", MarkupKind.MRKDWN, **context)


def label(macro: str) -> str:
    return render(f"case_studies.j2:{macro}_plain", MarkupKind.TEXT)


def _radio(field: str, values: list[str], initial: str | None) -> InputBlock:
    options = [Option(value=value, text=PlainTextObject(text=label(f"option_{value}"))) for value in values]
    return InputBlock(
        block_id=field,
        label=label(field),
        element=RadioButtonsElement(
            action_id=FIELD_ACTION, options=options, initial_option=next((o for o in options if o.value == initial), None)
        ),
    )


def _text(
    field: str, initial: dict[str, str | None], *, maximum: int, optional: bool = True, multiline: bool = False, hint: bool = False
) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=label(field),
        optional=optional,
        hint=label(f"{field}_hint") if hint else None,
        element=PlainTextInputElement(
            action_id=FIELD_ACTION,
            multiline=multiline,
            max_length=maximum,
            initial_value=shorten(initial.get(field) or "", maximum) or None,
        ),
    )


def _date(field: str, initial: dict[str, str | None], *, optional: bool) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=label(field),
        optional=optional,
        element=DatePickerElement(action_id=FIELD_ACTION, initial_date=initial.get(field) or None),
    )


def case_study_view(
    *, metadata: CaseStudyForm, project: str | None, beneficiaries: Sequence[Choice], initial: dict[str, str | None]
) -> View:
    """The form; `initial` fills it (a message's text, or the study an edit changes)."""
    blocks: list[Block] = text_sections(words("form_intro", project=project, permalink=metadata.permalink))
    blocks += [
        _text("title", initial, maximum=MAX_TITLE, optional=False),
        _text("what_happened", initial, maximum=MAX_STORY, optional=False, multiline=True),
    ]
    if beneficiaries:
        choices = [option(c) for c in beneficiaries[:MENU_LIMIT]]
        picked = next((o for o in choices if o.value == initial.get("benefited_key")), None)
        blocks.append(
            InputBlock(
                block_id="benefited_key",
                label=label("benefited_key"),
                optional=True,
                element=StaticSelectElement(action_id=FIELD_ACTION, options=choices, initial_option=picked),
            )
        )
    blocks += [
        _text("benefited", initial, maximum=MAX_BENEFITED, hint=True),
        _radio("scale", [s.value for s in Scale], initial.get("scale")),
        _text("outcome", initial, maximum=MAX_STORY, multiline=True),
        _text("links", initial, maximum=MAX_STORY, multiline=True, hint=True),
        _date("happened_on", initial, optional=False),
        _radio("consent", [c.value for c in Consent], initial.get("consent") or Consent.NONE.value),
        _text("consent_by", initial, maximum=MAX_PERSON, hint=True),
        _date("consent_on", initial, optional=True),
    ]
    return View(
        type="modal",
        callback_id=CASE_STUDY_CALLBACK,
        title=label("form_title"),
        submit=render("slack.j2:save_plain"),
        close=render("slack.j2:cancel_plain"),
        private_metadata=metadata.encode(),
        blocks=blocks,
    )


def listing_blocks(heading: str, studies: list[Shown]) -> list[Block]:
    """The heading, then each study as a section with its Edit button."""
    blocks = text_sections(heading)
    for shown in studies:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=shorten(words("listed", s=shown), SECTION_TEXT_LIMIT)),
                accessory=ButtonElement(text=label("edit"), action_id=CASE_STUDY_EDIT, value=CaseStudyRef(study=shown.study.id).encode()),
            )
        )
    return blocks

"""Summaries and edit forms: the Edit buttons under a summary, the summary as a modal, and
the form that edits one guiding question's answers."""

from collections.abc import Iterable

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    ConversationSelectElement,
    DatePickerElement,
    ExternalDataMultiSelectElement,
    ExternalDataSelectElement,
    InputBlock,
    InputInteractiveElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.slack.blocks.questions import CHANNELS
from bot.slack.blocks.text import (
    ACTIONS_ELEMENT_LIMIT,
    MENU_LIMIT,
    OPTION_TEXT_LIMIT,
    VIEW_BLOCK_LIMIT,
    mrkdwn,
    option,
    plain,
    shorten,
    text_sections,
)
from bot.slack.ids import EDIT_CALLBACK, EDIT_OPEN, FIELD_ACTION, EditForm, EditRef
from flows.conversation.editing import FORM_TEXT_LIMIT, FormField
from flows.conversation.inputs import InputKind, channel_of
from flows.conversation.presenting import EditTarget

FORM_FIELDS = VIEW_BLOCK_LIMIT - 1  # a modal's blocks, less the form's heading


def form_pages(fields: int) -> int:
    return max(1, -(-fields // FORM_FIELDS))


def edit_buttons(project_id: int, targets: Iterable[EditTarget]) -> list[Block]:
    """An Edit button per form; a form longer than a modal holds is several, one per page."""
    pages = [(t, page, form_pages(t.fields)) for t in targets for page in range(form_pages(t.fields))]
    buttons = [
        ButtonElement(
            text=shorten(
                plain(
                    "edit",
                    question=plain(f"question_{t.question}"),
                    measure=t.measure,
                    page=page + 1,
                    pages=count,
                    item=t.item,
                    list=t.list_label,
                ),
                OPTION_TEXT_LIMIT,
            ),
            action_id=f"{EDIT_OPEN}:{n}",
            value=EditRef(project=project_id, question=t.question, subject=t.subject, page=page, item=t.item).encode(),
        )
        for n, (t, page, count) in enumerate(pages)
    ]
    return [ActionsBlock(elements=buttons[i : i + ACTIONS_ELEMENT_LIMIT]) for i in range(0, len(buttons), ACTIONS_ELEMENT_LIMIT)]


def summary_view(summary: str, project_name: str, extra: list[Block]) -> View:
    room = VIEW_BLOCK_LIMIT - len(extra) - 1
    sections = text_sections(summary)
    if len(sections) > room:
        sections = sections[:room] + text_sections(mrkdwn("summary_truncated", name=project_name))[:1]
    return View(
        type="modal",
        title=plain("summary_title"),
        close=plain("close"),
        blocks=sections + list(extra),
    )


def _form_element(field: FormField) -> InputInteractiveElement:
    """The input of one field; a menu of more than MENU_LIMIT choices is searched as the user types."""
    if field.kind in (InputKind.SINGLE_CHOICE, InputKind.MULTIPLE_CHOICE):
        options = [option(c) for c in field.choices]
        chosen = field.value if isinstance(field.value, list) else [field.value]
        picked = [o for o in options if o.value in chosen]
        searched = len(options) > MENU_LIMIT
        if field.kind == InputKind.SINGLE_CHOICE and searched:
            return ExternalDataSelectElement(
                action_id=FIELD_ACTION, initial_option=picked[0] if picked else None, min_query_length=0, placeholder=plain("search")
            )
        if field.kind == InputKind.SINGLE_CHOICE:
            return StaticSelectElement(
                action_id=FIELD_ACTION, options=options, initial_option=picked[0] if picked else None, placeholder=plain("pick")
            )
        if searched:
            return ExternalDataMultiSelectElement(
                action_id=FIELD_ACTION, initial_options=picked or None, min_query_length=0, placeholder=plain("search")
            )
        return StaticMultiSelectElement(action_id=FIELD_ACTION, options=options, initial_options=picked or None, placeholder=plain("pick"))
    if field.kind == InputKind.YES_NO:
        options = [Option(value="yes", text=PlainTextObject(text=plain("yes"))), Option(value="no", text=PlainTextObject(text=plain("no")))]
        initial = None if field.value is None else options[0 if field.value else 1]
        return RadioButtonsElement(action_id=FIELD_ACTION, options=options, initial_option=initial)
    if field.kind == InputKind.DATE:
        return DatePickerElement(action_id=FIELD_ACTION, initial_date=field.value, placeholder=plain("pick_date"))
    if field.kind == InputKind.CHANNEL:
        return ConversationSelectElement(
            action_id=FIELD_ACTION, initial_conversation=channel_of(field.value), placeholder=plain("pick_channel"), filter=CHANNELS
        )
    return PlainTextInputElement(
        action_id=FIELD_ACTION,
        initial_value=field.text or None,
        multiline=field.kind in (InputKind.TEXT, InputKind.LIST, InputKind.PROFILE),
        max_length=FORM_TEXT_LIMIT,
    )


def edit_view(fields: list[FormField], *, metadata: EditForm, title_hint: str) -> View:
    blocks: list[Block] = [ContextBlock(elements=[PlainTextObject(text=shorten(title_hint, 150))])]
    for field in fields[:FORM_FIELDS]:
        if not field.editable:
            blocks += text_sections(mrkdwn("too_long_for_form", label=field.label))[:1]
            continue
        blocks.append(InputBlock(block_id=field.id, label=shorten(field.label, 2000), element=_form_element(field), optional=True))
    return View(
        type="modal",
        callback_id=EDIT_CALLBACK,
        title=plain("edit_title"),
        submit=plain("save"),
        close=plain("cancel"),
        private_metadata=metadata.encode(),
        blocks=blocks,
    )

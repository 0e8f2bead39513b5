"""One question of a conversation as a message: its text, the ways to answer it, and
Skip / Back / Pause."""

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    DatePickerElement,
    ExternalDataMultiSelectElement,
    ExternalDataSelectElement,
    InteractiveElement,
    MarkdownTextObject,
    StaticMultiSelectElement,
    StaticSelectElement,
    UserSelectElement,
)

from bot.slack.blocks.text import MENU_LIMIT, OPTION_TEXT_LIMIT, SECTION_TEXT_LIMIT, mrkdwn, option, plain, shorten, text_sections
from bot.slack.ids import (
    ANSWER_CHANNEL,
    ANSWER_CHOICE,
    ANSWER_DATE,
    ANSWER_MULTI,
    ANSWER_MULTI_SAVE,
    ANSWER_SELECT,
    ANSWER_USER,
    CONTROL_BACK,
    CONTROL_PAUSE,
    CONTROL_SAME,
    CONTROL_SKIP,
    StepRef,
)
from flows.conversation.inputs import InputKind
from flows.conversation.runner import Reply
from prompts import MarkupKind, render

BUTTONS_FOR_CHOICES = 5  # more choices than this get a menu
CHANNELS = ConversationFilter(include=["public", "private"])  # never a DM: nobody would approve there


def _answer_elements(reply: Reply) -> list[InteractiveElement]:
    if reply.person:  # typing a name stays possible, for someone outside the workspace
        return [UserSelectElement(action_id=ANSWER_USER, placeholder=plain("pick_person"))]
    if reply.kind == InputKind.YES_NO:
        return [
            ButtonElement(text=plain("yes"), action_id=f"{ANSWER_CHOICE}:yes", value="yes"),
            ButtonElement(text=plain("no"), action_id=f"{ANSWER_CHOICE}:no", value="no"),
        ]
    if reply.kind == InputKind.SINGLE_CHOICE and len(reply.choices) <= BUTTONS_FOR_CHOICES:
        return [
            ButtonElement(text=shorten(c.label, OPTION_TEXT_LIMIT), action_id=f"{ANSWER_CHOICE}:{n}", value=c.value)
            for n, c in enumerate(reply.choices)
        ]
    if reply.kind == InputKind.SINGLE_CHOICE and len(reply.choices) > MENU_LIMIT:  # searched as the user types
        return [ExternalDataSelectElement(action_id=ANSWER_SELECT, placeholder=plain("search"), min_query_length=0)]
    if reply.kind == InputKind.SINGLE_CHOICE:
        return [StaticSelectElement(action_id=ANSWER_SELECT, placeholder=plain("pick"), options=[option(c) for c in reply.choices])]
    if reply.kind == InputKind.MULTIPLE_CHOICE and len(reply.choices) > MENU_LIMIT:
        return [
            ExternalDataMultiSelectElement(action_id=ANSWER_MULTI, placeholder=plain("search"), min_query_length=0),
            ButtonElement(text=plain("save"), action_id=ANSWER_MULTI_SAVE, value="save", style="primary"),
        ]
    if reply.kind == InputKind.MULTIPLE_CHOICE and reply.choices:
        return [
            StaticMultiSelectElement(action_id=ANSWER_MULTI, placeholder=plain("pick"), options=[option(c) for c in reply.choices]),
            ButtonElement(text=plain("save"), action_id=ANSWER_MULTI_SAVE, value="save", style="primary"),
        ]
    if reply.kind == InputKind.DATE:
        return [DatePickerElement(action_id=ANSWER_DATE, placeholder=plain("pick_date"))]
    if reply.kind == InputKind.CHANNEL:
        return [
            *(
                ButtonElement(text=shorten(c.label, OPTION_TEXT_LIMIT), action_id=f"{ANSWER_CHOICE}:{n}", value=c.value)
                for n, c in enumerate(reply.choices)
            ),
            ConversationSelectElement(action_id=ANSWER_CHANNEL, placeholder=plain("pick_channel"), filter=CHANNELS),
        ]
    return []


def answered_blocks(question: str, notice: str) -> list[Block]:
    """A question once answered: its text, what was stored, and no buttons left to click."""
    return text_sections(question) + [ContextBlock(elements=[MarkdownTextObject(text=shorten(notice, SECTION_TEXT_LIMIT))])]


def question_blocks(reply: Reply, project_id: int) -> list[Block]:
    """One question: its text, the ways to answer it, and Skip / Back / Pause."""
    blocks: list[Block] = []
    if reply.notice and not reply.error:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=shorten(reply.notice, SECTION_TEXT_LIMIT))]))
    blocks += text_sections(reply.text)
    if reply.kind in (InputKind.SINGLE_CHOICE, InputKind.MULTIPLE_CHOICE) and reply.choices:
        listed = "\n".join(f"{n}. {c.label}" for n, c in enumerate(reply.choices, 1))
        blocks += text_sections(render("flow.j2:choices", MarkupKind.MRKDWN, listed=listed))
    if reply.show_help and reply.help:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=shorten(reply.help, SECTION_TEXT_LIMIT))]))
    elements = _answer_elements(reply)
    asked = StepRef(project=project_id, step=reply.step or "")
    if elements:
        blocks.append(ActionsBlock(block_id=asked.encode(), elements=elements))
    if reply.progress:
        progress = mrkdwn("progress", index=reply.progress.index, total=reply.progress.total)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=progress)]))
    controls = [
        ButtonElement(text=plain("skip"), action_id=CONTROL_SKIP, value=reply.step),
        ButtonElement(text=plain("back"), action_id=CONTROL_BACK, value=reply.step),
        ButtonElement(text=plain("pause"), action_id=CONTROL_PAUSE, value=reply.step),
    ]
    if reply.same_as_above:
        controls.insert(0, ButtonElement(text=plain("same_as_above"), action_id=CONTROL_SAME, value=reply.step))
    blocks.append(ActionsBlock(block_id=asked.encode("controls"), elements=controls))
    return blocks

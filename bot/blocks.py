"""Block Kit for every message and view the app sends, built with slack_sdk.models (which
checks Slack's limits on construction). Pure functions: replies and data in, blocks out.

The action and callback ids are shared with the listeners that handle them.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    StaticMultiSelectElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from flows.editing import FORM_TEXT_LIMIT, FormField
from flows.inputs import Choice, InputKind
from flows.presenting import EditTarget
from flows.runner import Reply
from prompts import MarkupKind, render

# Answering the current question (block id "plan:<project id>:<step id>")
ANSWER_CHOICE = "plan_choice"  # a button whose value is the answer
ANSWER_SELECT = "plan_select"  # a single-choice menu
ANSWER_MULTI = "plan_multi"  # a multiple-choice menu: read when Save is clicked
ANSWER_MULTI_SAVE = "plan_multi_save"
ANSWER_DATE = "plan_date"
CONTROL_SKIP, CONTROL_BACK, CONTROL_PAUSE = "plan_skip", "plan_back", "plan_pause"
# App Home and summaries (button value: the project id, or JSON for edits)
HOME_CONTINUE = "home_continue"
HOME_SUMMARY = "home_summary"
EDIT_OPEN = "edit_open"
EDIT_CALLBACK = "plan_edit"
FIELD_ACTION = "value"  # the action id of every input in the edit form

SECTION_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
MESSAGE_TEXT_BUDGET = 12_000  # Slack refuses messages whose blocks hold much more (msg_blocks_too_long)
OPTION_TEXT_LIMIT = 75
BUTTONS_FOR_CHOICES = 5  # more choices than this get a menu
ACTIONS_ELEMENT_LIMIT = 25


def plain(macro: str, **context) -> str:
    return render(f"slack.j2:{macro}_plain", MarkupKind.TEXT, **context)


def mrkdwn(macro: str, **context) -> str:
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


# -- the conversation -------------------------------------------------------------------------

def answer_block_id(project_id: int, step: str) -> str:
    return f"plan:{project_id}:{step}"


def parse_answer_block_id(block_id: str) -> tuple[int, str] | None:
    kind, _, rest = block_id.partition(":")
    project, _, step = rest.partition(":")
    return (int(project), step) if kind == "plan" and project.isdigit() and step else None


def _option(choice: Choice) -> Option:
    return Option(value=choice.value, text=PlainTextObject(text=shorten(choice.label, OPTION_TEXT_LIMIT)))


def _answer_elements(reply: Reply) -> list:
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
    if reply.kind == InputKind.SINGLE_CHOICE:
        return [StaticSelectElement(action_id=ANSWER_SELECT, placeholder=plain("pick"), options=[_option(c) for c in reply.choices[:100]])]
    if reply.kind == InputKind.MULTIPLE_CHOICE and reply.choices:
        return [
            StaticMultiSelectElement(action_id=ANSWER_MULTI, placeholder=plain("pick"), options=[_option(c) for c in reply.choices[:100]]),
            ButtonElement(text=plain("save"), action_id=ANSWER_MULTI_SAVE, value="save", style="primary"),
        ]
    if reply.kind == InputKind.DATE:
        return [DatePickerElement(action_id=ANSWER_DATE, placeholder=plain("pick_date"))]
    return []


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
    block_id = answer_block_id(project_id, reply.step)
    if elements:
        blocks.append(ActionsBlock(block_id=block_id, elements=elements))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=mrkdwn("progress", index=reply.progress.index, total=reply.progress.total))]))
    blocks.append(
        ActionsBlock(
            block_id=f"controls:{project_id}:{reply.step}",
            elements=[
                ButtonElement(text=plain("skip"), action_id=CONTROL_SKIP, value=reply.step),
                ButtonElement(text=plain("back"), action_id=CONTROL_BACK, value=reply.step),
                ButtonElement(text=plain("pause"), action_id=CONTROL_PAUSE, value=reply.step),
            ],
        )
    )
    return blocks


def answered_blocks(question_text: str, notice: str) -> list[Block]:
    """A question once answered: its buttons gone, what was stored shown under it."""
    return text_sections(question_text) + [ContextBlock(elements=[MarkdownTextObject(text=shorten(notice, SECTION_TEXT_LIMIT))])]


# -- summaries, App Home, edit forms ------------------------------------------------------------

def edit_buttons(project_id: int, targets: Iterable[EditTarget]) -> list[Block]:
    buttons = [
        ButtonElement(
            text=shorten(plain("edit", question=plain(f"question_{t.question}"), measure=t.measure), OPTION_TEXT_LIMIT),
            action_id=f"{EDIT_OPEN}:{n}",
            value=json.dumps({"project": project_id, "question": t.question, "subject": t.subject}),
        )
        for n, t in enumerate(targets)
    ]
    return [
        ActionsBlock(elements=buttons[i : i + ACTIONS_ELEMENT_LIMIT])
        for i in range(0, len(buttons), ACTIONS_ELEMENT_LIMIT)
    ]


def summary_messages(summary: str, extra: list[Block] = ()) -> list[list[Block]]:
    return messages(text_sections(summary) + list(extra))


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


@dataclass(frozen=True)
class HomeProject:
    id: int
    name: str
    channel: str | None
    answered: int
    total: int


def home_view(projects: list[HomeProject]) -> View:
    blocks: list[Block] = [HeaderBlock(text=plain("home_header"))]
    if not projects:
        blocks += text_sections(mrkdwn("home_empty"))
    per_project = 3
    shown = projects[: (VIEW_BLOCK_LIMIT - 3) // per_project]
    for project in shown:
        blocks += [
            DividerBlock(),
            SectionBlock(text=MarkdownTextObject(text=shorten(mrkdwn("home_project", name=project.name, channel=project.channel, answered=project.answered, total=project.total), SECTION_TEXT_LIMIT))),
            ActionsBlock(
                elements=[
                    ButtonElement(text=plain("continue"), action_id=HOME_CONTINUE, value=str(project.id), style="primary"),
                    ButtonElement(text=plain("summary"), action_id=HOME_SUMMARY, value=str(project.id)),
                ]
            ),
        ]
    if len(projects) > len(shown):
        blocks += text_sections(mrkdwn("home_more", count=len(projects) - len(shown)))[:1]
    return View(type="home", blocks=blocks)


def _form_element(field: FormField):
    if field.kind == InputKind.SINGLE_CHOICE:
        options = [_option(c) for c in field.choices[:100]]
        initial = next((o for o in options if o.value == field.value), None)
        return StaticSelectElement(action_id=FIELD_ACTION, options=options, initial_option=initial, placeholder=plain("pick"))
    if field.kind == InputKind.MULTIPLE_CHOICE:
        options = [_option(c) for c in field.choices[:100]]
        initial = [o for o in options if o.value in (field.value or [])] or None
        return StaticMultiSelectElement(action_id=FIELD_ACTION, options=options, initial_options=initial, placeholder=plain("pick"))
    if field.kind == InputKind.YES_NO:
        options = [Option(value="yes", text=PlainTextObject(text=plain("yes"))), Option(value="no", text=PlainTextObject(text=plain("no")))]
        initial = None if field.value is None else options[0 if field.value else 1]
        return RadioButtonsElement(action_id=FIELD_ACTION, options=options, initial_option=initial)
    if field.kind == InputKind.DATE:
        return DatePickerElement(action_id=FIELD_ACTION, initial_date=field.value, placeholder=plain("pick_date"))
    return PlainTextInputElement(
        action_id=FIELD_ACTION,
        initial_value=field.text or None,
        multiline=field.kind == InputKind.TEXT,
        max_length=FORM_TEXT_LIMIT,
    )


def edit_view(fields: list[FormField], *, metadata: str, title_hint: str) -> View:
    blocks: list[Block] = [ContextBlock(elements=[PlainTextObject(text=shorten(title_hint, 150))])]
    for field in fields[: VIEW_BLOCK_LIMIT - 1]:
        if not field.editable:
            blocks += text_sections(mrkdwn("too_long_for_form", label=field.label))[:1]
            continue
        blocks.append(
            InputBlock(block_id=field.id, label=shorten(field.label, 2000), element=_form_element(field), optional=True)
        )
    return View(
        type="modal",
        callback_id=EDIT_CALLBACK,
        title=plain("edit_title"),
        submit=plain("save"),
        close=plain("cancel"),
        private_metadata=metadata,
        blocks=blocks,
    )


# -- monitoring ---------------------------------------------------------------------------------

REMINDER_ADD_UPDATE = "reminder_add_update"
REMINDER_SNOOZE = "reminder_snooze"
REMINDER_NOTHING = "reminder_nothing"
UPDATE_CALLBACK = "progress_update"
UPDATE_VALUE, UPDATE_NOTE, UPDATE_EVIDENCE, UPDATE_RECOVERY, UPDATE_MEASURE = "value", "note", "evidence", "recovery_action", "measure"


def measure_ref(project_id: int, measure_key: str, period_end: str | None) -> str:
    return json.dumps({"project": project_id, "measure": measure_key, "period": period_end}, separators=(",", ":"))


def reminder_blocks(text: str, project, status, period_end: str) -> list[Block]:
    ref = measure_ref(project.id, status.measure.key, period_end)
    return text_sections(text) + [
        ActionsBlock(
            elements=[
                ButtonElement(text=plain("add_update"), action_id=REMINDER_ADD_UPDATE, value=ref, style="primary"),
                ButtonElement(text=plain("snooze"), action_id=REMINDER_SNOOZE, value=ref),
                ButtonElement(text=plain("nothing_to_report"), action_id=REMINDER_NOTHING, value=ref),
            ]
        )
    ]


def update_view(
    *, metadata: str, measure_name: str, unit: str, due: str, choices: list[Choice] | None = None,
    initial: dict[str, str | None] | None = None, notice: str = "",
) -> View:
    """The update form; with `choices`, it first asks which of the caller's measures. `initial`
    and `notice` show it again with what was typed, e.g. to confirm a very large value."""
    initial = initial or {}
    blocks: list[Block] = text_sections(notice) if notice else []
    if choices:
        blocks.append(InputBlock(block_id=UPDATE_MEASURE, label=plain("update_measure"), element=StaticSelectElement(action_id=FIELD_ACTION, options=[_option(c) for c in choices[:100]], placeholder=plain("pick"))))
    else:
        blocks += text_sections(mrkdwn("update_heading", measure=measure_name, due=due))
    blocks += [
        InputBlock(block_id=UPDATE_VALUE, label=plain("update_value", unit=unit), element=PlainTextInputElement(action_id=FIELD_ACTION, max_length=200, initial_value=initial.get(UPDATE_VALUE))),
        InputBlock(block_id=UPDATE_NOTE, label=plain("update_note"), optional=True, element=PlainTextInputElement(action_id=FIELD_ACTION, multiline=True, max_length=FORM_TEXT_LIMIT, initial_value=initial.get(UPDATE_NOTE))),
        InputBlock(block_id=UPDATE_EVIDENCE, label=plain("update_evidence"), optional=True, element=PlainTextInputElement(action_id=FIELD_ACTION, max_length=2000, initial_value=initial.get(UPDATE_EVIDENCE))),
        InputBlock(block_id=UPDATE_RECOVERY, label=plain("update_recovery"), optional=True, hint=plain("update_recovery_hint"), element=PlainTextInputElement(action_id=FIELD_ACTION, multiline=True, max_length=FORM_TEXT_LIMIT, initial_value=initial.get(UPDATE_RECOVERY))),
    ]
    return View(type="modal", callback_id=UPDATE_CALLBACK, title=plain("update_title"), submit=plain("save"), close=plain("cancel"), private_metadata=metadata, blocks=blocks)


UPDATE_APPROVE = "update_approve"
UPDATE_RETURN = "update_return"
RETURN_CALLBACK = "update_returned"
RETURN_COMMENT = "comment"


def posted_update_blocks(text: str, project_id: int, update_id: int) -> list[Block]:
    """An update as posted to the project's channel, with the lead's Approve / Return."""
    ref = json.dumps({"project": project_id, "update": update_id}, separators=(",", ":"))
    return text_sections(text) + [
        ActionsBlock(
            elements=[
                ButtonElement(text=plain("approve"), action_id=UPDATE_APPROVE, value=ref, style="primary"),
                ButtonElement(text=plain("return"), action_id=UPDATE_RETURN, value=ref),
            ]
        )
    ]


def return_view(*, metadata: str) -> View:
    return View(
        type="modal", callback_id=RETURN_CALLBACK, title=plain("return_title"), submit=plain("return"), close=plain("cancel"),
        private_metadata=metadata,
        blocks=[InputBlock(block_id=RETURN_COMMENT, label=plain("return_comment"), element=PlainTextInputElement(action_id=FIELD_ACTION, multiline=True, max_length=FORM_TEXT_LIMIT))],
    )

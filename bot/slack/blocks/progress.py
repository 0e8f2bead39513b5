"""Monitoring in Block Kit: a reminder with its buttons, the update form, an update as posted
to the project's channel with Approve / Return, and the return form."""

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, InputBlock, PlainTextInputElement, StaticSelectElement
from slack_sdk.models.views import View

from bot.slack.blocks.text import mrkdwn, option, plain, text_sections
from bot.slack.ids import (
    FIELD_ACTION,
    REMINDER_ADD_UPDATE,
    REMINDER_NOTHING,
    REMINDER_SNOOZE,
    RETURN_CALLBACK,
    RETURN_COMMENT,
    UPDATE_APPROVE,
    UPDATE_CALLBACK,
    UPDATE_EVIDENCE,
    UPDATE_MEASURE,
    UPDATE_NOTE,
    UPDATE_OTHER,
    UPDATE_PERIOD,
    UPDATE_RECOVERY,
    UPDATE_RETURN,
    UPDATE_VALUE,
    MeasureRef,
    ReturnForm,
    UpdateForm,
    UpdateRef,
)
from flows.conversation.editing import FORM_TEXT_LIMIT
from flows.conversation.inputs import Choice


def reminder_blocks(text: str, ref: MeasureRef) -> list[Block]:
    value = ref.encode()
    return text_sections(text) + [
        ActionsBlock(
            elements=[
                ButtonElement(text=plain("add_update"), action_id=REMINDER_ADD_UPDATE, value=value, style="primary"),
                ButtonElement(text=plain("snooze"), action_id=REMINDER_SNOOZE, value=value),
                ButtonElement(text=plain("nothing_to_report"), action_id=REMINDER_NOTHING, value=value),
            ]
        )
    ]


def update_view(
    *,
    metadata: UpdateForm,
    measure_name: str,
    unit: str,
    due: str,
    choices: list[Choice] | None = None,
    initial: dict[str, str | None] | None = None,
    notice: str = "",
    kind: str = "",
    periods: list[Choice] | None = None,
) -> View:
    """The update form; with `choices`, it first asks which of the caller's measures. `initial`
    and `notice` show it again with what was typed, e.g. to confirm a very large value."""
    initial = initial or {}
    blocks: list[Block] = text_sections(notice) if notice else []
    if choices:
        blocks.append(
            InputBlock(
                block_id=UPDATE_MEASURE,
                label=plain("update_measure"),
                element=StaticSelectElement(action_id=FIELD_ACTION, options=[option(c) for c in choices[:100]], placeholder=plain("pick")),
            )
        )
    else:
        blocks += text_sections(mrkdwn("update_heading", measure=measure_name, due=due))
    if periods:
        picked = next((c for c in periods if c.value == due), None)
        blocks.append(
            InputBlock(
                block_id=UPDATE_PERIOD,
                label=plain("update_period"),
                optional=True,
                hint=plain("update_period_hint"),
                element=StaticSelectElement(
                    action_id=FIELD_ACTION,
                    options=[option(c) for c in periods],
                    initial_option=option(picked) if picked else None,
                    placeholder=plain("pick"),
                ),
            )
        )
    blocks += [
        InputBlock(
            block_id=UPDATE_VALUE,
            label=plain("update_value", unit=unit),
            hint=plain("update_value_hint", kind=kind),
            element=PlainTextInputElement(action_id=FIELD_ACTION, max_length=200, initial_value=initial.get(UPDATE_VALUE)),
        ),
        InputBlock(
            block_id=UPDATE_NOTE,
            label=plain("update_note"),
            optional=True,
            element=PlainTextInputElement(
                action_id=FIELD_ACTION, multiline=True, max_length=FORM_TEXT_LIMIT, initial_value=initial.get(UPDATE_NOTE)
            ),
        ),
        InputBlock(
            block_id=UPDATE_EVIDENCE,
            label=plain("update_evidence"),
            optional=True,
            element=PlainTextInputElement(action_id=FIELD_ACTION, max_length=2000, initial_value=initial.get(UPDATE_EVIDENCE)),
        ),
        InputBlock(
            block_id=UPDATE_RECOVERY,
            label=plain("update_recovery"),
            optional=True,
            hint=plain("update_recovery_hint"),
            element=PlainTextInputElement(
                action_id=FIELD_ACTION, multiline=True, max_length=FORM_TEXT_LIMIT, initial_value=initial.get(UPDATE_RECOVERY)
            ),
        ),
        InputBlock(
            block_id=UPDATE_OTHER,
            label=plain("update_other"),
            optional=True,
            hint=plain("update_other_hint"),
            element=PlainTextInputElement(
                action_id=FIELD_ACTION, multiline=True, max_length=FORM_TEXT_LIMIT, initial_value=initial.get(UPDATE_OTHER)
            ),
        ),
    ]
    return View(
        type="modal",
        callback_id=UPDATE_CALLBACK,
        title=plain("update_title"),
        submit=plain("save"),
        close=plain("cancel"),
        private_metadata=metadata.encode(),
        blocks=blocks,
    )


def posted_update_blocks(text: str, ref: UpdateRef) -> list[Block]:
    """An update as posted to the project's channel, with the lead's Approve / Return."""
    return text_sections(text) + [
        ActionsBlock(
            elements=[
                ButtonElement(text=plain("approve"), action_id=UPDATE_APPROVE, value=ref.encode(), style="primary"),
                ButtonElement(text=plain("return"), action_id=UPDATE_RETURN, value=ref.encode()),
            ]
        )
    ]


def return_view(*, metadata: ReturnForm) -> View:
    return View(
        type="modal",
        callback_id=RETURN_CALLBACK,
        title=plain("return_title"),
        submit=plain("return"),
        close=plain("cancel"),
        private_metadata=metadata.encode(),
        blocks=[
            InputBlock(
                block_id=RETURN_COMMENT,
                label=plain("return_comment"),
                element=PlainTextInputElement(action_id=FIELD_ACTION, multiline=True, max_length=FORM_TEXT_LIMIT),
            )
        ],
    )

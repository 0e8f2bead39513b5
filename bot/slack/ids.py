"""What Slack sends back to the app: the action, block and callback ids shared by the Block
Kit builders and the listeners, and typed refs for what a button's value, a block id or a
form's private_metadata carries.

A ref is written by a builder and read back by a listener, and a member can alter it on the
way: it is parsed once, here, and anything malformed is refused as `StaleRef`. The formats are
those of messages already posted, so old buttons keep working.
"""

import re
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# Answering the current question (block id "plan:<project id>:<step id>")
ANSWER_CHOICE = "plan_choice"  # a button whose value is the answer
ANSWER_SELECT = "plan_select"  # a single-choice menu
ANSWER_MULTI = "plan_multi"  # a multiple-choice menu: read when Save is clicked
ANSWER_MULTI_SAVE = "plan_multi_save"
ANSWER_DATE = "plan_date"
ANSWER_USER = "plan_user"  # a people menu: the person picked, as a mention
ANSWER_CHANNEL = "plan_channel"  # a channel menu: the app checks it can post there first
CONTROL_SKIP, CONTROL_BACK, CONTROL_PAUSE, CONTROL_SAME = "plan_skip", "plan_back", "plan_pause", "plan_same"
CONTROL_WORDS = {CONTROL_SKIP: "skip", CONTROL_BACK: "back", CONTROL_PAUSE: "pause", CONTROL_SAME: "same"}
# App Home and summaries
HOME_CONTINUE = "home_continue"
HOME_SUMMARY = "home_summary"
EDIT_OPEN = "edit_open"
EDIT_CALLBACK = "plan_edit"
FIELD_ACTION = "value"  # the action id of every input in a form
# Monitoring
REMINDER_ADD_UPDATE = "reminder_add_update"
REMINDER_SNOOZE = "reminder_snooze"
REMINDER_NOTHING = "reminder_nothing"
UPDATE_CALLBACK = "progress_update"
UPDATE_VALUE, UPDATE_NOTE, UPDATE_EVIDENCE, UPDATE_RECOVERY, UPDATE_MEASURE = "value", "note", "evidence", "recovery_action", "measure"
UPDATE_OTHER = "other_reason"
UPDATE_PERIOD = "period"  # which period an update is for: the one due, or an older one missed
UPDATE_APPROVE = "update_approve"
UPDATE_RETURN = "update_return"
RETURN_CALLBACK = "update_returned"
RETURN_COMMENT = "comment"
# Case studies (the form's block ids are the field names of flows.case_studies.FIELDS)
CASE_STUDY_SHORTCUT = "save_case_study"  # the message shortcut, as the manifest names it
CASE_STUDY_CALLBACK = "case_study"
CASE_STUDY_EDIT = "case_study_edit"
# Communities (the form's block ids are name, place, who and needs)
COMMUNITY_CALLBACK = "community"
COMMUNITY_EDIT = "community_edit"
COMMUNITY_ADD = "community_add"

SLACK_ID = r"^[A-Z0-9]{1,32}$"
STEP_ID = re.compile(r"^[a-z_]+\.[a-z_]+(:[a-z0-9]{1,16})?$")
TS = r"^\d{1,12}\.\d{1,8}$"
ITEM_FORM = r"^(|edit|add)$"
SMALL = 200  # the longest text a ref carries (a measure name is shown again from it)
RowId = Annotated[int, Field(gt=0, lt=2**31)]  # a primary key as both databases hold it


class StaleRef(ValueError):
    """A button value, block id or form metadata the app cannot have written."""


class Ref(BaseModel):
    """A value the app wrote into a Slack payload and reads back."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    def encode(self) -> str:
        return self.model_dump_json()

    @classmethod
    def decode(cls, raw: str | None) -> Self:
        try:
            return cls.model_validate_json(raw or "")
        except ValidationError:
            raise StaleRef(cls.__name__) from None


class ProjectRef(Ref):
    """App Home's Continue and Summary: the project id alone."""

    project: RowId

    def encode(self) -> str:
        return str(self.project)

    @classmethod
    def decode(cls, raw: str | None) -> Self:
        return super().decode(f'{{"project":{raw}}}' if (raw or "").isdigit() and len(raw or "") < 12 else None)


class StepRef(Ref):
    """The step a question message asks, as the block id of its answer and control buttons."""

    project: RowId
    step: str = Field(pattern=STEP_ID.pattern)

    def encode(self, kind: str = "plan") -> str:
        return f"{kind}:{self.project}:{self.step}"

    @classmethod
    def decode(cls, raw: str | None) -> Self:
        kind, _, rest = (raw or "").partition(":")
        project, _, step = rest.partition(":")
        if kind not in ("plan", "controls") or not project.isdigit() or len(project) > 11:
            raise StaleRef(cls.__name__)
        try:
            return cls(project=int(project), step=step)
        except ValidationError:
            raise StaleRef(cls.__name__) from None


class EditRef(Ref):
    """An Edit button of a summary: one guiding question (and for "how", one measure)."""

    project: RowId
    question: str = Field(max_length=32)
    subject: str = Field(default="", max_length=16)
    page: int = Field(default=0, ge=0, le=100)  # a form of more fields than a modal holds, in pages
    item: str = Field(default="", pattern=ITEM_FORM)  # "edit": the list's item `subject`; "add": new items


class MeasureRef(Ref):
    """A reminder's buttons: one measure's reporting period."""

    project: RowId
    measure: str = Field(max_length=16)
    period: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")


class UpdateRef(Ref):
    """Approve / Return on an update posted to the project's channel."""

    project: RowId
    update: RowId


class EditForm(Ref):
    """The edit form's private_metadata: what it edits and the latest answer it saw (one number,
    whatever the number of fields: Slack keeps at most 3,000 characters here). `versions` is
    what forms opened by earlier versions carry."""

    project: RowId
    question: str = Field(max_length=32)
    subject: str = Field(default="", max_length=16)
    seen: int | None = Field(default=None, ge=0)
    versions: dict[str, int] | None = Field(default=None, max_length=100)
    item: str = Field(default="", pattern=ITEM_FORM)

    def encode(self) -> str:
        return self.model_dump_json(exclude_defaults=True)


class UpdateForm(Ref):
    """The update form's private_metadata; `confirm` holds a very large value typed once."""

    project: RowId
    measure: str | None = Field(default=None, max_length=16)
    period: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    name: str | None = Field(default=None, max_length=SMALL)
    confirm: str | None = Field(default=None, max_length=SMALL)


class ReturnForm(Ref):
    """The return form's private_metadata: the update, and the thread to answer in."""

    project: RowId
    update: RowId
    channel: str = Field(pattern=SLACK_ID)
    thread_ts: str = Field(pattern=TS)


class CaseStudyRef(Ref):
    """A listed case study's Edit button."""

    study: RowId


class CaseStudyForm(Ref):
    """The case study form's private_metadata: its project (none: organisation-wide), the study
    an edit changes, and the Slack message it came from."""

    project: RowId | None = None
    study: RowId | None = None
    permalink: str | None = Field(default=None, max_length=500)

    def encode(self) -> str:
        return self.model_dump_json(exclude_defaults=True)


class CommunityRef(Ref):
    """A listed community's Edit (or, with no community, Add), and the community form's
    private_metadata."""

    project: RowId
    community: str | None = Field(default=None, pattern=r"^c\d{1,6}$")
    seen: int | None = Field(default=None, ge=0)  # the form's: the latest answer it showed

    def encode(self) -> str:
        return self.model_dump_json(exclude_defaults=True)

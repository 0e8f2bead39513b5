"""Modal submissions: each form is validated and stored before the ack, so errors show in it."""

from slack_bolt.async_app import AsyncApp

from bot.slack.handler import form_handler
from bot.slack.ids import CASE_STUDY_CALLBACK, COMMUNITY_CALLBACK, EDIT_CALLBACK, RETURN_CALLBACK, UPDATE_CALLBACK
from bot.slack.services.case_studies import save_case_study_form
from bot.slack.services.communities import save_community_form
from bot.slack.services.edits import save_edit_form
from bot.slack.services.progress import save_return_form, save_update_form


def register(app: AsyncApp) -> None:
    app.view(EDIT_CALLBACK)(form_handler(save_edit_form, what="edit form"))
    app.view(UPDATE_CALLBACK)(form_handler(save_update_form, what="update form"))
    app.view(RETURN_CALLBACK)(form_handler(save_return_form, what="return form"))
    app.view(CASE_STUDY_CALLBACK)(form_handler(save_case_study_form, what="case study form"))
    app.view(COMMUNITY_CALLBACK)(form_handler(save_community_form, what="community form"))

"""App Home: each user's projects and how far their plans are."""

from dataclasses import dataclass

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, DividerBlock, HeaderBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.slack.blocks.text import SECTION_TEXT_LIMIT, VIEW_BLOCK_LIMIT, mrkdwn, plain, shorten, text_sections
from bot.slack.ids import HOME_CONTINUE, HOME_SUMMARY, ProjectRef


@dataclass(frozen=True)
class HomeProject:
    id: int
    name: str
    channel: str | None
    answered: int
    total: int


CASE_STUDY_BLOCKS = 2  # a divider, and one section of the latest case studies


def home_view(projects: list[HomeProject], case_studies: str = "") -> View:
    """The user's projects, then (`case_studies`, as mrkdwn) the latest case studies they may read."""
    blocks: list[Block] = [HeaderBlock(text=plain("home_header"))]
    if not projects:
        blocks += text_sections(mrkdwn("home_empty"))
    per_project = 3
    shown = projects[: (VIEW_BLOCK_LIMIT - 3 - CASE_STUDY_BLOCKS) // per_project]
    for project in shown:
        blocks += [
            DividerBlock(),
            SectionBlock(
                text=MarkdownTextObject(
                    text=shorten(
                        mrkdwn("home_project", name=project.name, channel=project.channel, answered=project.answered, total=project.total),
                        SECTION_TEXT_LIMIT,
                    )
                )
            ),
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text=plain("continue"), action_id=HOME_CONTINUE, value=ProjectRef(project=project.id).encode(), style="primary"
                    ),
                    ButtonElement(text=plain("summary"), action_id=HOME_SUMMARY, value=ProjectRef(project=project.id).encode()),
                ]
            ),
        ]
    if len(projects) > len(shown):
        blocks += text_sections(mrkdwn("home_more", count=len(projects) - len(shown)))[:1]
    if case_studies:
        blocks += [DividerBlock(), SectionBlock(text=MarkdownTextObject(text=shorten(case_studies, SECTION_TEXT_LIMIT)))]
    return View(type="home", blocks=blocks)

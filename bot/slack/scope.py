"""One Slack request, as data: who is asking and from where (the caller, built once from the
payload and Bolt's context), the parts a listener works with, and which workspace and
project the request means (`project_scope`, inside the caller's transaction)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from flows.projects import ProjectRefused, project_by_id, project_meant, workspace_of
from flows.roles import check_may_read
from flows.workspaces import back_again, installed_workspace
from storage.installations import Installations
from storage.models import Project, Workspace


@dataclass(frozen=True)
class Caller:
    team_id: str
    enterprise_id: str | None
    user: str
    channel: str  # where the caller spoke: a channel, their DM with the app, or their user id (a form)
    # From another organisation (a Slack Connect channel): their own team is not the workspace
    # the app serves. An org-wide install on Enterprise Grid serves every team of the org.
    outsider: bool = False
    # A guest of the workspace (asked of Slack where a request reads: bot/slack/services/rights.py):
    # reads a project only in its channel.
    guest: bool = False

    @classmethod
    def of(cls, body: dict[str, Any], context: AsyncBoltContext) -> "Caller":
        event = body.get("event") or {}
        user = body.get("user_id") or (body.get("user") or {}).get("id") or event.get("user") or context.user_id or ""
        channel = body.get("channel_id") or (body.get("channel") or {}).get("id") or event.get("channel") or user
        home = (body.get("user") or {}).get("team_id") or event.get("user_team")  # a command carries none
        outsider = bool(home) and home != context.team_id and not context.is_enterprise_install
        return cls(context.team_id or "", context.enterprise_id, user, channel, outsider)


@dataclass(frozen=True)
class Answer:
    """What to show the caller: messages of blocks (or one text), visible to the channel or not."""

    text: str
    groups: tuple[list[Block], ...] = ()
    public: bool = False


INSTALLATIONS = "installations"  # the context's key for distributed mode's installations (None: one workspace)


@dataclass(frozen=True)
class Request:
    """Everything a listener's body needs, built once by the handler wrapper."""

    body: dict[str, Any]
    caller: Caller
    client: AsyncWebClient
    engine: AsyncEngine
    clock: Clock
    admins: frozenset[str]
    respond: AsyncRespond | None = None
    thread_ts: str | None = None  # the assistant thread (or question thread) the request came from
    replayed: bool = False  # handled again by the worker, from the inbox: it may have been handled before
    installations: Installations | None = None  # distributed mode's

    def now(self) -> datetime:
        return self.clock.now()


@dataclass(frozen=True)
class Scope:
    workspace: Workspace
    project: Project


async def workspace_scope(db: AsyncSession, caller: Caller) -> Workspace:
    """The workspace the caller acts in: every project a request reaches is found through it."""
    if caller.outsider:
        raise ProjectRefused("outsider_refused")
    workspace = await workspace_of(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)
    await back_again(db, workspace)  # Slack sends requests only from where the app is installed
    return workspace


async def known_workspace(db: AsyncSession, caller: Caller) -> Workspace | None:
    """The caller's workspace if the app knows it and it is installed, without writing (for a
    `reading` unit of work); None sends the caller on to `workspace_scope`, which writes."""
    if caller.outsider:
        raise ProjectRefused("outsider_refused")
    return await installed_workspace(db, team_id=caller.team_id, enterprise_id=caller.enterprise_id)


async def project_scope(db: AsyncSession, caller: Caller, *, project_id: int | None = None, name: str = "") -> Scope:
    """The project a request means: the one a button or form names (only within the caller's
    workspace), else the one named, bound to the channel, or the caller's only one; and one
    the caller may read (flows/roles.py). Raises ProjectRefused, which the handler shows the caller."""
    workspace = await workspace_scope(db, caller)
    if project_id is not None:
        project = await project_by_id(db, workspace, project_id)
    else:
        project = await project_meant(db, workspace, name=name, channel=caller.channel, user=caller.user)
    await check_may_read(db, project, caller.user, channel=caller.channel, guest=caller.guest)
    return Scope(workspace, project)

"""The Slack users a plan names (measure owners and project leads): who to look up in Slack,
what was found, and who can no longer be reached.

A person is looked up when first named and again after REFRESH (names change, people leave),
a bounded number per worker pass. What Slack said is kept; a failed lookup keeps what was
known and is asked again next pass, never stored as a default.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from prompts import slack_user_of
from storage.models import Measure, Project, Workspace
from storage.people import list_people, save_person
from storage.projects import LOCAL_TEAM_ID

REFRESH = timedelta(days=7)
LOOKUPS_PER_PASS = 50  # users.info is Tier 4 (100+ a minute): a pass never spends it all
DEFAULT_TZ = "Europe/London"


@dataclass(frozen=True)
class Person:
    """What users.info said of someone (or that it does not know them)."""

    tz: str | None = None
    name: str | None = None
    gone: bool = False  # deactivated, or not a user of the workspace
    guest: bool | None = None  # a guest of the workspace (None: Slack did not say)

    @classmethod
    def of(cls, found: dict[str, object]) -> "Person":
        """A person as users.info describes them."""
        name = found.get("real_name") or found.get("name")
        return cls(
            tz=str(found["tz"]) if found.get("tz") else None,
            name=str(name) if name else None,
            gone=bool(found.get("deleted")),
            guest=bool(found.get("is_restricted") or found.get("is_ultra_restricted")),
        )


async def people_to_look_up(db: AsyncSession, now: datetime, limit: int = LOOKUPS_PER_PASS) -> list[tuple[Workspace, str]]:
    """Slack users named as a measure's owner or a project's lead whom the app has not looked
    up yet (first) or not for a while; at most `limit`."""
    owners = select(Workspace, col(Measure.owner)).join(Project, col(Project.workspace_id) == col(Workspace.id))
    owners = owners.join(Measure, col(Measure.project_id) == col(Project.id)).where(
        col(Workspace.team_id) != LOCAL_TEAM_ID, col(Measure.retired_at).is_(None), col(Workspace.uninstalled_at).is_(None)
    )
    leads = select(Workspace, col(Project.lead)).join(Project, col(Project.workspace_id) == col(Workspace.id))
    leads = leads.where(col(Workspace.team_id) != LOCAL_TEAM_ID, col(Workspace.uninstalled_at).is_(None))
    fetched = {(u.workspace_id, u.user_id): u.fetched_at for u in await list_people(db)}
    stale = now - REFRESH
    wanted: dict[tuple[int, str], tuple[Workspace, str]] = {}
    for query in (owners, leads):
        for workspace, named in (await db.exec(query)).all():
            user = slack_user_of(named)
            at = fetched.get((workspace.id, user or ""))
            if user and (at is None or at < stale):
                wanted[(workspace.id, user)] = (workspace, user)
    never_first = sorted(wanted, key=lambda key: (key in fetched, fetched.get(key) or now))
    return [wanted[key] for key in never_first[:limit]]


async def remember_person(db: AsyncSession, workspace_id: int, user: str, found: Person, now: datetime) -> None:
    fields: dict[str, object] = {"tz": found.tz or DEFAULT_TZ, "gone": found.gone}
    if found.name:  # else the name known before is kept
        fields["name"] = found.name
    if found.guest is not None:
        fields["guest"] = found.guest
    await save_person(db, workspace_id=workspace_id, user_id=user, fetched_at=now, **fields)


async def mark_gone(db: AsyncSession, workspace_id: int, user: str, now: datetime) -> None:
    """Slack refused to deliver to this person: not reminded again until a lookup finds them."""
    await save_person(db, workspace_id=workspace_id, user_id=user, fetched_at=now, gone=True)


async def people_names(db: AsyncSession, workspace_id: int) -> dict[str, str]:
    """Slack user id -> name, for writing people in the terminal and in files."""
    return {u.user_id: u.name for u in await list_people(db, workspace_id=workspace_id) if u.name}


async def unreminded(db: AsyncSession, workspace: Workspace, measures: list[Measure]) -> dict[str, str]:
    """Why a measure of a Slack workspace's project gets no reminders, by measure key: no owner,
    an owner typed as a name rather than picked in Slack, or an owner Slack no longer has. (A
    terminal project gets none at all: `socialvalue reminders` lists what is due.)"""
    if workspace.team_id == LOCAL_TEAM_ID:
        return {}
    named = any(slack_user_of(m.owner) for m in measures)  # only then is Slack's word on them read
    gone = {p.user_id for p in await list_people(db, workspace_id=workspace.id) if p.gone} if named else set()
    reasons: dict[str, str] = {}
    for measure in measures:
        user = slack_user_of(measure.owner)
        if not measure.owner:
            reasons[measure.key] = "no_owner"
        elif user is None:
            reasons[measure.key] = "owner_not_in_slack"
        elif user in gone:
            reasons[measure.key] = "owner_gone"
    return reasons

"""Which reminders are due, as rows of the job table.

Each measure whose owner is a Slack user gets, for each reporting period, a reminder a week
before the due date, on it, and when overdue (the project lead too): at 09:30 in the owner's
time zone, on weekdays. Planning is repeatable: a reminder's dedupe key is unique, so it is
queued once however often planning runs. After downtime only the latest missed reminder of a
period is queued (never more than one a day), and at send time a reminder for a period
reported meanwhile is dropped. An owner Slack no longer has (deactivated) is not reminded;
the project's lead is told once, to give their measures another owner.
"""

import logging
from datetime import date, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.conversation.engine import FlowState
from flows.outbox import OwnerGone, Planned, Reminder, queue
from flows.people import DEFAULT_TZ
from flows.progress.status import MeasureStatus, one_measure_status, statuses_of
from flows.schedules import reminder_moments
from prompts import slack_user_of
from storage.models import Measure, Project, Workspace
from storage.people import get_person, list_people
from storage.portfolio import load_plans
from storage.progress import current_updates_of
from storage.projects import LOCAL_TEAM_ID

logger = logging.getLogger(__name__)

AHEAD = timedelta(days=10)  # reminders are queued this far ahead of their time
READ_CHUNK = 100  # projects whose plans and updates are read together when planning
CATCH_UP = timedelta(days=21)  # periods due longer ago than this are not reminded of any more
REMINDER_SPAN = timedelta(days=12)  # wider than a period's reminders reach either side of its due date


async def slack_projects(db: AsyncSession) -> list[tuple[Workspace, Project]]:
    found = await db.exec(
        select(Workspace, Project)
        .join(Project, col(Project.workspace_id) == col(Workspace.id))
        .where(col(Workspace.team_id) != LOCAL_TEAM_ID, col(Workspace.uninstalled_at).is_(None))
    )
    return [(w, p) for w, p in found.all()]


def _reminders_of(status: MeasureStatus, tz: str, now: datetime) -> list[tuple[str, date, datetime]]:
    """(kind, period due date, when) of the reminders a measure needs around `now`. Of the
    periods already past, only the latest unreported one is reminded of: after downtime, or a
    year of silence, a measure is one line of one reminder, not one per missed period."""
    wanted = []
    schedule, today = status.plan.schedule, now.date()
    latest_missed = schedule.latest_unreported(today - timedelta(days=1), status.reported)
    # A period's reminders fall from 9 days before its due date to 3 after (weekends, time
    # zones): only the periods due in this window can have one to plan.
    for index in schedule.due_between(today - CATCH_UP - REMINDER_SPAN, today + AHEAD + REMINDER_SPAN):
        period = schedule[index]
        due_at = reminder_moments(period.end, tz)
        if period.end in status.reported or max(due_at.values()) < now - CATCH_UP or min(due_at.values()) > now + AHEAD:
            continue
        if latest_missed and period.end < latest_missed.end:
            continue
        missed = [kind for kind, at in due_at.items() if at <= now]
        for kind, at in due_at.items():
            if at <= now and kind != missed[-1]:
                continue  # superseded by a later reminder of the same period
            if at <= now + AHEAD:
                wanted.append((kind, period.end, at))
    return wanted


async def reminders_wanted(db: AsyncSession, now: datetime) -> list[Planned]:
    """Every reminder due now or soon, and when (reads only: the caller queues them, and a
    reminder already queued stays one row). An owner Slack no longer has is not reminded: the
    lead is told once instead."""
    people = {(u.workspace_id, u.user_id): u for u in await list_people(db)}
    wanted: list[Planned] = []
    projects = await slack_projects(db)
    statuses: dict[int, list[MeasureStatus]] = {}
    for start in range(0, len(projects), READ_CHUNK):  # a few queries per hundred projects, not per project
        chunk = [project for _, project in projects[start : start + READ_CHUNK]]
        plans = await load_plans(db, chunk)
        updates = await current_updates_of(db, project_ids=[p.id for p in chunk])
        for p in chunk:
            state = FlowState(
                p, plans.communities.get(p.id, []), plans.measures.get(p.id, []), plans.answers.get(p.id, {}), plans.needs.get(p.id, [])
            )
            try:
                statuses[p.id] = statuses_of(state, updates, now.date())
            except Exception:  # one project's bad row must not stop every workspace's reminders
                logger.exception("project %s: its reminders cannot be planned", p.id)
                statuses[p.id] = []
    for workspace, project in projects:
        lead = slack_user_of(project.lead)
        if lead is not None and (workspace.id, lead) in people and people[(workspace.id, lead)].gone:
            lead = None
        for status in statuses[project.id]:
            owner = slack_user_of(status.measure.owner)
            if owner is None:
                continue
            known = people.get((workspace.id, owner))
            if known is not None and known.gone:
                if lead is not None and lead != owner:
                    wanted.append(Planned(OwnerGone(project_id=project.id, user=owner, lead=lead), now, workspace.id))
                continue
            tz = known.tz if known is not None else DEFAULT_TZ
            for kind, period_end, at in _reminders_of(status, tz, now):
                recipients = [owner]
                if kind == "overdue" and lead is not None and lead != owner:
                    recipients.append(lead)
                for recipient in recipients:
                    reminder = Reminder(
                        project_id=project.id,
                        measure_id=status.measure.id,
                        period_end=period_end.isoformat(),
                        moment=kind,
                        to=recipient,
                        owner=owner,
                        tz=tz,
                    )
                    wanted.append(Planned(reminder, at, workspace.id))
    return wanted


def superseded(reminder: Reminder, now: datetime) -> bool:
    """A later reminder of the same period is also due: after downtime only the latest is sent."""
    if reminder.moment not in ("before", "due", "overdue"):
        return False  # a snoozed reminder was asked for
    moments = reminder_moments(date.fromisoformat(reminder.period_end), reminder.tz)
    kinds = list(moments)
    return any(moments[later] <= now for later in kinds[kinds.index(reminder.moment) + 1 :])


async def reminder_subject(db: AsyncSession, reminder: Reminder, now: datetime) -> tuple[Project, MeasureStatus] | None:
    """The project and measure a queued reminder is about, or None if it is no longer needed:
    the period was reported or is no longer one of the measure's, a later reminder replaces
    it, the measure is gone (or removed from the plan), or Slack no longer has the person it
    is for."""
    if superseded(reminder, now):
        return None
    project = await db.get(Project, reminder.project_id)
    if project is None:
        return None
    person = await get_person(db, workspace_id=project.workspace_id, user_id=reminder.to)
    if person is not None and person.gone:
        return None
    status = await one_measure_status(db, project, reminder.measure_id, now.date())
    due = date.fromisoformat(reminder.period_end)
    if status is None or due in status.reported:
        return None
    period = status.plan.schedule.ending(due)
    if period is None or period.end != due:  # the measure's schedule changed since it was queued
        return None
    return project, status


async def snooze_reminder(db: AsyncSession, project: Project, measure: Measure, *, period_end: str, user: str, now: datetime) -> None:
    """Remind `user` of this measure's period again in a day (once per day and period)."""
    known = await get_person(db, workspace_id=project.workspace_id, user_id=user)
    again = now + timedelta(days=1)
    reminder = Reminder(
        project_id=project.id,
        measure_id=measure.id,
        period_end=period_end,
        moment="snoozed",
        to=user,
        owner=slack_user_of(measure.owner) or user,
        tz=known.tz if known else DEFAULT_TZ,
        day=again.date().isoformat(),
    )
    await queue(db, reminder, due_at=again, workspace_id=project.workspace_id)

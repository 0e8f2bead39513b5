"""Rows, conversations and answers that tests start from."""

from flows.conversation.runner import Reply, answer_flow, open_flow
from flows.plan import PLAN
from flows.projects import local_project
from storage.engine import transaction

PROJECT = "A38 Derby Junctions"

WHY = [
    "To leave lasting jobs & skills in Derby",
    "1, 2",
    "National Highways",
    "Chaddesden residents | Derby DE21 | 12,000 households\nSpondon | Derby | commuters",
    "done",
    "safe crossings | Ward profile 2024 | Derby City Council road safety team\nquiet nights",  # Chaddesden's needs
    "done",
    "local jobs | Census 2021",  # Spondon's
    "done",
]
WHAT = [
    "2",  # Skills for growth
    "1",  # Apprenticeships on the contract
    "Local labour | FTE | NH-SV-03 | National Highways Social Value Plan",
    "done",
    "1, 2",  # apprenticeships -> Chaddesden residents' safe crossings and quiet nights
    "local jobs",  # local labour -> Spondon's need, in its words
]
HOW = [
    "Weeks of apprenticeship on site, from the apprenticeship register",
    "Contractor's HR system",
    "1",  # a running total, the usual kind for it
    "0",
    "01/04/2026",
    "520",
    "31/03/2028",
    "none",  # the straight line
    "Apprenticeship agreements",
    "Priya Shah",
    "Headcount with home postcode within 10 miles",
    "Monthly payroll returns",
    "running total",
    "12 FTE",
    "2026-04-01",
    "40",
    "31/03/2027",
    "straight line",
    "Payroll extracts",
    "Tom Evans",
]
HOW_LONG = [
    "1, 2, 3, 4",
    "2",
    "30/09/2027",
    "31/10/2027",
    "3",
    "National Highways East Midlands operations",
    "The local labour target to 2030",
]
MONITORING = ["monthly", "3", "1, 2", "#a38-social-value", "no", "100, 85, 60", "Quarterly at the steering group"]
WHOLE_PLAN = WHY + WHAT + HOW + HOW_LONG + MONITORING

BAD_INPUT = [
    ([], "", "why.purpose", "empty"),
    ([], "x" * 10_000, "why.purpose", "10000 characters long"),
    (["Purpose"], "99", "why.drivers", '"99" is not one of the choices'),
    (WHY[:3], "| Derby", "why.communities", "lacks a required part"),
    (WHY[:5], "| Ward profile 2024", "why.needs:c1", "lacks a required part"),
    (WHY + WHAT[:2], "Local labour", "what.own_measures", "lacks a required part"),
    (WHY + WHAT[:4], "Nowhere", "what.needs:m1", "not one of the choices"),
    (WHY + WHAT + HOW[:2], "a guess", "how.kind:m1", "not one of the choices"),
    (WHY + WHAT + HOW[:3], "ten", "how.baseline_value:m1", "Please give a number in apprenticeship weeks"),
    (WHY + WHAT + HOW[:3], "🚧", "how.baseline_value:m1", "Please give a number"),
    (WHY + WHAT + HOW[:4], "31/02/2027", "how.baseline_date:m1", "not a date in the calendar"),
    (WHY + WHAT + HOW[:6], "01/01/2026", "how.target_date:m1", "before 1 Apr 2026"),
    (WHY + WHAT + HOW[:7], "30/06/2026 forty", "how.profile:m1", "is not a date and the value planned for it in apprenticeship weeks"),
    (WHY + WHAT + HOW[:7], "30/06/2026 40; 31/05/2026 60", "how.profile:m1", "not after the line before it"),
    (WHY + WHAT + HOW[:7], "30/06/2029 40", "how.profile:m1", "on or before the target date (31 Mar 2028)"),
    (WHY + WHAT + HOW + HOW_LONG[:4], "300", "how_long.legacy_years", "no larger than 50 years"),
    (WHY + WHAT + HOW + HOW_LONG + MONITORING[:4], "maybe", "monitoring.default_thresholds", "yes or no"),
    (WHY + WHAT + HOW + HOW_LONG + MONITORING[:5], "60, 85, 100", "monitoring.thresholds", "highest first"),
]


async def start_plan(engine, project: str = "A38 Derby Junctions", user: str = "alice") -> Reply:
    async with transaction(engine) as db:
        found = await local_project(db, name=project, lead=user)
        return await open_flow(db, PLAN, project=found, user=user)


async def say(engine, text: str, project: str = "A38 Derby Junctions", user: str = "alice") -> Reply:
    """One message from `user`, in its own transaction, as every transport sends it."""
    async with transaction(engine) as db:
        found = await local_project(db, name=project, lead=user)
        return await answer_flow(db, PLAN, project=found, user=user, text=text)


async def say_all(engine, *texts: str, **kwargs) -> Reply:
    reply = None
    for text in texts:
        reply = await say(engine, text, **kwargs)
    return reply


async def plan_in_slack(
    engine,
    answers: list[str],
    *,
    team: str = "T0001",
    channel: str = "C0001",
    lead: str = "ULEAD",
    name: str = "A38 Derby Junctions",
):
    """A project created in a Slack workspace, its plan answered by its lead through the runner."""
    from flows.projects import new_project, workspace_of

    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id=team)
        project = await new_project(db, workspace, name=name, channel=channel, lead=lead, private=False)
        await open_flow(db, PLAN, project=project, user=lead)
        for answer in answers:
            await answer_flow(db, PLAN, project=project, user=lead, text=answer)
    return project


async def shared_case_study(db, project, *, title: str, author: str, now) -> None:
    """A small case study of `project`, consented for sharing within the organisation."""
    from storage.case_studies import save_case_study
    from storage.models import CaseStudy

    study = CaseStudy(
        workspace_id=project.workspace_id,
        project_id=project.id,
        title=title,
        what_happened="Laptops given",
        scale="small",
        happened_on=now.date(),
        author=author,
        consent="organisation",
        consent_by=author,
        consent_on=now.date(),
    )
    await save_case_study(db, study, by=author, now=now)

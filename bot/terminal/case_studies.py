"""`socialvalue casestudy add|edit|list|show` and `socialvalue casestudies export`: the same
fields and rules as Slack's form."""

import argparse
from pathlib import Path
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.terminal.monitoring import no_project
from flows.case_studies import (
    CaseStudyInvalid,
    CaseStudyRefused,
    case_study_listing,
    find_case_study,
    parse_scale,
    record_case_study,
    shareable_case_studies,
    shareable_csv,
    shareable_markdown,
    shown,
)
from flows.projects import find_project, workspace_of
from prompts import MarkupKind, render
from storage.engine import transaction
from storage.models import Project, utcnow


def typed_fields(args: argparse.Namespace) -> dict[str, str | None]:
    """The fields given on the command line, as a person would type them in the form."""
    return {
        "title": args.title,
        "what_happened": args.what,
        "benefited": args.benefited,
        "scale": args.scale,
        "outcome": args.outcome,
        "links": "\n".join(args.link) if args.link else None,
        "happened_on": args.on,
        "consent": args.consent,
        "consent_by": args.consent_by,
        "consent_on": args.consent_on,
    }


async def save_case_study(engine: AsyncEngine, args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
    """Add a case study (of a project, or organisation-wide), or change one (`args.id`)."""
    editing = args.casestudy_command == "edit"
    try:
        async with transaction(engine) as db:
            workspace = await workspace_of(db, team_id=args.team)
            project: Project | None = None
            if not editing and args.project:
                project = await find_project(db, name=args.project, team_id=args.team)
                if project is None:
                    stderr.write(await no_project(db, args.project, team_id=args.team) + "\n")
                    return 1
            study = await record_case_study(
                db,
                workspace,
                project=project,
                raw=typed_fields(args),
                author=args.user,
                now=utcnow(),
                markup=MarkupKind.TEXT,
                study_id=args.id if editing else None,
                partial=editing,
            )
            name = project.name if project else (await shown(db, workspace.id, [study]))[0].project
    except CaseStudyInvalid as invalid:
        stderr.write(render("terminal.j2:fields_refused", errors=invalid.errors) + "\n")
        return 1
    except CaseStudyRefused as refused:
        stderr.write(render(f"case_studies.j2:{refused.reason}", **refused.context) + "\n")
        return 1
    stdout.write(render("case_studies.j2:saved", study=study, project=name, new=not editing) + "\n")
    return 0


async def print_case_studies(engine: AsyncEngine, args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
    """`list` (newest first, every one) or `show ID` (one in full)."""
    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id=args.team)
        if args.casestudy_command == "show":
            try:
                studies = await shown(db, workspace.id, [await find_case_study(db, workspace, args.id)])
            except CaseStudyRefused as refused:
                stderr.write(render(f"case_studies.j2:{refused.reason}", **refused.context) + "\n")
                return 1
            stdout.write(render("terminal.j2:case_studies", studies=studies, full=True) + "\n")
            return 0
        project = None
        if args.project:
            project = await find_project(db, name=args.project, team_id=args.team)
            if project is None:
                stderr.write(await no_project(db, args.project, team_id=args.team) + "\n")
                return 1
        listing = await case_study_listing(db, workspace, project=project, scale=args.scale, limit=None)
    head = render("case_studies.j2:listing", studies=listing.studies, total=listing.total, project=args.project, scale=args.scale)
    stdout.write(head + "\n\n" + render("terminal.j2:case_studies", studies=listing.studies, full=False) + "\n")
    return 0


async def export_case_studies(engine: AsyncEngine, args: argparse.Namespace, *, stderr: TextIO, stdout: TextIO) -> int:
    """Only the case studies consented for public use, as Markdown or CSV."""
    async with transaction(engine) as db:
        studies = await shareable_case_studies(db, await workspace_of(db, team_id=args.team))
    document = shareable_csv(studies) if args.format == "csv" else shareable_markdown(studies) + "\n"
    if args.out is None:
        stdout.write(document)
    else:
        Path(args.out).write_text(document, encoding="utf-8")
        stderr.write(render("terminal.j2:case_studies_written", count=len(studies), format=args.format, path=args.out) + "\n")
    return 0


def scale_argument(text: str) -> str:
    try:
        return parse_scale(text)
    except ValueError:
        raise argparse.ArgumentTypeError(render("errors.j2:case_study_scale")) from None

"""The `socialvalue` command."""

import argparse
import asyncio
import getpass
import json
import re
import signal
import sys
from datetime import date, timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import ValidationError
from pydantic_core import PydanticCustomError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.logs import configure_logging
from bot.settings import Settings, get_settings
from bot.terminal.case_studies import export_case_studies, print_case_studies, save_case_study, scale_argument
from bot.terminal.chat import chat
from bot.terminal.communities import community
from bot.terminal.edit import edit_plan, import_measures
from bot.terminal.monitoring import no_project, print_reminders, print_status, update
from bot.terminal.pdf import PdfRefused, html_to_pdf
from bot.terminal.returns import export_returns
from bot.terminal.team import project_team
from bot.terminal.workspaces import workspace_command
from flows.assessment import assessment_csv, assessment_markdown, build_assessment
from flows.conversation.inputs import EARLIEST_YEAR, LATEST_YEAR, MAX_SHORT_TEXT, clean_text
from flows.digest import digest_text, is_iso_week, preview_digest
from flows.handover import HANDOVER, take_over
from flows.handover_pack import handover_document, handover_started
from flows.project_file import MAX_FILE_BYTES, PROBLEMS_SHOWN, FileRefused, read_project_file
from flows.projects import find_project, workspace_of
from flows.returns import FORMATS as RETURN_FORMATS
from prompts import MarkupKind, cli_help, render
from storage.engine import create_engine, transaction
from storage.installations import Sealer, reseal_tokens, unopenable_tokens
from storage.jobs import list_jobs, retry_jobs
from storage.migrate import upgrade
from storage.models import JobStatus, Project, start_clock_at, utcnow
from storage.portable import ImportRefused, export_project, import_project
from storage.projects import LOCAL_TEAM_ID

TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,31}$")  # a Slack workspace (or an org-wide install's enterprise)
JOBS_SHOWN = 200  # per status: a year of failures is still one screenful per page, not a flood


def _person(text: str) -> str:
    """Who is acting, as an answer's author is stored: printable, and no longer than its column."""
    try:
        return clean_text(text, maximum=MAX_SHORT_TEXT)
    except PydanticCustomError:
        raise argparse.ArgumentTypeError(render("terminal.j2:import_user_invalid")) from None


def _team(text: str) -> str:
    if text != LOCAL_TEAM_ID and not TEAM_ID.match(text):
        raise argparse.ArgumentTypeError(render("terminal.j2:team_invalid", team=text[:40]))
    return text


def parser() -> argparse.ArgumentParser:
    words = cli_help()
    root = argparse.ArgumentParser(prog="socialvalue", description=words["socialvalue"])
    commands = root.add_subparsers(dest="command", required=True)

    chat_ = commands.add_parser("chat", help=words["chat"])
    chat_.add_argument("--project", required=True, help=words["chat_project"])
    chat_.add_argument("--user", type=_person, default=getpass.getuser(), help=words["chat_user"])

    edit = commands.add_parser("edit", help=words["edit"])
    edit.add_argument("--project", required=True, help=words["export_project"])
    edit.add_argument("--user", type=_person, default=getpass.getuser(), help=words["chat_user"])
    edit.add_argument("target", nargs="*", help=words["edit_target"])

    measures = commands.add_parser("import-measures", help=words["import_measures"])
    measures.add_argument("file", type=Path, help=words["import_measures_file"])
    measures.add_argument("--project", required=True, help=words["export_project"])
    measures.add_argument("--user", type=_person, default=getpass.getuser(), help=words["chat_user"])

    key = commands.add_parser("key", help=words["key"])
    key_commands = key.add_subparsers(dest="key_command", required=True)
    key_commands.add_parser("new", help=words["key_new"])
    key_commands.add_parser("reseal", help=words["key_reseal"])

    db = commands.add_parser("db", help=words["db"])
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help=words["db_upgrade"])

    export = commands.add_parser("export", help=words["export"])
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--project", help=words["export_project"])
    which.add_argument("--all", action="store_true", help=words["export_all"])
    export.add_argument("--format", choices=["json", *RETURN_FORMATS], default="json", help=words["export_format"])
    export.add_argument("--team", type=_team, default=LOCAL_TEAM_ID, help=words["export_team"])
    export.add_argument("--out", type=Path, help=words["export_out"])

    import_ = commands.add_parser("import", help=words["import"])
    import_.add_argument("file", type=Path, help=words["import_file"])
    import_.add_argument("--as-custodian", action="store_true", help=words["import_custodian"])
    import_.add_argument("--team", type=_team, default=LOCAL_TEAM_ID, help=words["import_team"])
    import_.add_argument("--keep-slack-places", action="store_true", help=words["import_keep"])
    import_.add_argument("--user", type=_person, default=getpass.getuser(), help=words["import_user"])

    handover = commands.add_parser("handover", help=words["handover"])
    handover.add_argument("--project", required=True, help=words["export_project"])
    handover.add_argument("--format", choices=["md", "html", "json", "pdf"], default="md", help=words["handover_format"])
    handover.add_argument("--out", type=Path, help=words["export_out"])
    handover.add_argument("--user", type=_person, default=getpass.getuser(), help=words["chat_user"])
    handover.add_argument("--on", type=date.fromisoformat, default=None, help=words["status_on"])
    handover.add_argument("--with-history", action="store_true", help=words["handover_history"])

    status = commands.add_parser("status", help=words["status"])
    status.add_argument("--project", required=True, help=words["export_project"])
    status.add_argument("--on", type=date.fromisoformat, default=None, help=words["status_on"])

    reminders = commands.add_parser("reminders", help=words["reminders"])
    reminders.add_argument("--project", required=True, help=words["export_project"])
    reminders.add_argument("--on", type=date.fromisoformat, default=None, help=words["status_on"])

    update = commands.add_parser("update", help=words["update"])
    update.add_argument("--project", required=True, help=words["export_project"])
    update.add_argument("--user", type=_person, default=getpass.getuser(), help=words["chat_user"])
    update.add_argument("--measure", dest="measure_key", help=words["update_measure"])
    update.add_argument("--value", help=words["update_value"])
    update.add_argument("--period", help=words["update_period"])
    update.add_argument("--note", help=words["update_note"])
    update.add_argument("--evidence", help=words["update_evidence"])
    update.add_argument("--recovery", dest="recovery_action", help=words["update_recovery"])
    update.add_argument("--other", dest="other_reason", help=words["update_other"])
    update.add_argument("--nothing-to-report", action="store_true", help=words["update_nothing"])
    update.add_argument("--yes", dest="confirmed", action="store_true", help=words["update_yes"])
    update.add_argument("--on", type=date.fromisoformat, default=None, help=words["update_on"])

    assessment = commands.add_parser("assessment", help=words["assessment"])
    assessment.add_argument("--project", required=True, help=words["export_project"])
    assessment.add_argument("--year", type=_year, required=True, help=words["assessment_year"])
    assessment.add_argument("--format", choices=["md", "csv"], default="md", help=words["assessment_format"])
    assessment.add_argument("--out", type=Path, help=words["export_out"])

    digest = commands.add_parser("digest", help=words["digest"])
    digest.add_argument("--preview", action="store_true", required=True, help=words["digest_preview"])
    digest.add_argument("--week", help=words["digest_week"])
    digest.add_argument("--team", type=_team, default=LOCAL_TEAM_ID, help=words["export_team"])

    _case_study_commands(commands, words)
    _community_commands(commands, words)
    _project_commands(commands, words)
    _workspace_commands(commands, words)

    serve = commands.add_parser("serve", help=words["serve"])
    serve.add_argument("--port", type=int, default=None, help=words["serve_port"])
    serve.add_argument("--host", default="0.0.0.0", help=words["serve_host"])
    commands.add_parser("socket", help=words["socket"])
    worker = commands.add_parser("worker", help=words["worker"])
    worker.add_argument("--once", action="store_true", help=words["worker_once"])

    jobs = commands.add_parser("jobs", help=words["jobs"])
    jobs.add_argument("--failed", action="store_true", help=words["jobs_failed"])
    jobs_commands = jobs.add_subparsers(dest="jobs_command")
    retry = jobs_commands.add_parser("retry", help=words["jobs_retry"])
    retry.add_argument("ids", nargs="*", type=int, help=words["jobs_ids"])
    retry.add_argument("--all", action="store_true", help=words["jobs_all"])
    return root


def _row_id(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 0 < int(text) < 2**31):
        raise argparse.ArgumentTypeError(render("terminal.j2:id_invalid", given=text[:MAX_SHORT_TEXT]))
    return int(text)


def _case_study_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]", words: dict[str, str]) -> None:
    casestudy = commands.add_parser("casestudy", help=words["casestudy"])
    actions = casestudy.add_subparsers(dest="casestudy_command", required=True)
    add = actions.add_parser("add", help=words["casestudy_add"])
    add.add_argument("--project", help=words["casestudy_project"])
    edit = actions.add_parser("edit", help=words["casestudy_edit"])
    edit.add_argument("id", type=_row_id, help=words["casestudy_id"])
    for form in (add, edit):
        form.add_argument("--title", help=words["casestudy_title"])
        form.add_argument("--what", help=words["casestudy_what"])
        form.add_argument("--benefited", help=words["casestudy_benefited"])
        form.add_argument("--scale", help=words["casestudy_scale"])
        form.add_argument("--outcome", help=words["casestudy_outcome"])
        form.add_argument("--link", action="append", help=words["casestudy_link"])
        form.add_argument("--on", help=words["casestudy_on"])
        form.add_argument("--consent", help=words["casestudy_consent"])
        form.add_argument("--consent-by", help=words["casestudy_consent_by"])
        form.add_argument("--consent-on", help=words["casestudy_consent_on"])
        form.add_argument("--user", type=_person, default=getpass.getuser(), help=words["chat_user"])
    listing = actions.add_parser("list", help=words["casestudy_list"])
    listing.add_argument("--project", help=words["casestudy_list_project"])
    listing.add_argument("--scale", type=scale_argument, help=words["casestudy_scale"])
    show = actions.add_parser("show", help=words["casestudy_show"])
    show.add_argument("id", type=_row_id, help=words["casestudy_id"])
    for action in (add, edit, listing, show):
        action.add_argument("--team", type=_team, default=LOCAL_TEAM_ID, help=words["export_team"])

    casestudies = commands.add_parser("casestudies", help=words["casestudies"])
    exports = casestudies.add_subparsers(dest="casestudies_command", required=True)
    export = exports.add_parser("export", help=words["casestudies_export"])
    export.add_argument("--shareable", action="store_true", required=True, help=words["casestudies_shareable"])
    export.add_argument("--format", choices=["md", "csv"], default="md", help=words["casestudies_format"])
    export.add_argument("--out", type=Path, help=words["export_out"])
    export.add_argument("--team", type=_team, default=LOCAL_TEAM_ID, help=words["export_team"])


def _workspace_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]", words: dict[str, str]) -> None:
    parent = commands.add_parser("workspace", help=words["workspace"])
    actions = parent.add_subparsers(dest="workspace_command", required=True)
    export = actions.add_parser("export", help=words["workspace_export"])
    export.add_argument("team", type=_team, help=words["workspace_team"])
    export.add_argument("--out", type=Path, help=words["export_out"])
    delete = actions.add_parser("delete", help=words["workspace_delete"])
    delete.add_argument("team", type=_team, help=words["workspace_team"])
    delete.add_argument("--confirm", action="store_true", help=words["workspace_confirm"])


def _project_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]", words: dict[str, str]) -> None:
    parent = commands.add_parser("project", help=words["project"])
    actions = parent.add_subparsers(dest="project_command", required=True)
    editors = actions.add_parser("editors", help=words["project_editors"])
    editors.add_argument("action", nargs="?", choices=["add", "remove"], help=words["project_editors_action"])
    editors.add_argument("people", nargs="*", type=_person, help=words["project_editors_people"])
    lead = actions.add_parser("lead", help=words["project_lead"])
    lead.add_argument("person", type=_person, help=words["project_lead_person"])
    for action in (editors, lead):
        action.add_argument("--project", required=True, help=words["export_project"])
        action.add_argument("--user", type=_person, default=getpass.getuser(), help=words["chat_user"])


def _community_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]", words: dict[str, str]) -> None:
    parent = commands.add_parser("community", help=words["community"])
    actions = parent.add_subparsers(dest="community_command", required=True)
    listing = actions.add_parser("list", help=words["community_list"])
    add = actions.add_parser("add", help=words["community_add"])
    edit = actions.add_parser("edit", help=words["community_edit"])
    edit.add_argument("community", help=words["community_which"])
    for action in (listing, add, edit):
        action.add_argument("--project", required=True, help=words["export_project"])
    for form in (add, edit):
        form.add_argument("--name", required=form is add, help=words["community_name"])
        form.add_argument("--place", help=words["community_place"])
        form.add_argument("--who", help=words["community_who"])
        form.add_argument("--need", action="append", help=words["community_need"])
        form.add_argument("--user", type=_person, default=getpass.getuser(), help=words["chat_user"])


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as refused:  # a setting from the environment or .env: one line each, no traceback
        for problem in refused.errors():
            print(render("terminal.j2:setting_refused", name=str(problem["loc"][0]).upper(), why=problem["msg"]), file=sys.stderr)
        return 2
    if missing := settings.missing_for(args.command):
        for name in missing:
            print(render("terminal.j2:setting_missing", name=name, command=args.command), file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    start_clock_at(settings.socialvalue_now)
    # The Slack app (Bolt, slack_sdk, aiohttp) is imported only by the commands that run it:
    # it is most of a second of every other command's start.
    if args.command in ("serve", "socket"):
        from bot.slack.server import serve_http, serve_socket_mode
    if args.command == "serve":
        asyncio.run(serve_http(settings, args.port or settings.port, args.host))
        return 0
    if args.command == "socket":
        asyncio.run(serve_socket_mode(settings))
        return 0
    if settings.distributed and args.command in ("serve", "worker") and (unopened := _unopenable(settings)):
        print(render("terminal.j2:tokens_unopenable", count=unopened), file=sys.stderr)
        return 2
    if args.command == "key" and args.key_command == "new":
        print(Fernet.generate_key().decode())
        return 0
    if args.command == "key" and not settings.encryption_keys():
        print(render("terminal.j2:no_encryption_key"), file=sys.stderr)
        return 2
    url = settings.database_url
    upgrade(url)
    if args.command == "db":
        print(render("terminal.j2:upgraded", url=url.split("@")[-1]))
        return 0
    return asyncio.run(_run(args, url))


def _unopenable(settings: Settings) -> int:
    """Stored Slack tokens that SOCIALVALUE_ENCRYPTION_KEY cannot open (a key removed too soon)."""

    async def count() -> int:
        engine = create_engine(settings.database_url)
        try:
            return await unopenable_tokens(engine, Sealer(settings.encryption_keys()))
        finally:
            await engine.dispose()

    upgrade(settings.database_url)
    return asyncio.run(count())


async def _run(args: argparse.Namespace, url: str) -> int:
    engine = create_engine(url)
    try:
        if args.command == "chat":
            await chat(engine, project=args.project, user=args.user, stdin=sys.stdin, stdout=sys.stdout)
            return 0
        if args.command == "edit":
            target = " ".join(args.target) or None
            return await edit_plan(engine, project=args.project, user=args.user, target=target, stdin=sys.stdin, stdout=sys.stdout)
        if args.command == "import-measures":
            return await import_measures(engine, project=args.project, user=args.user, path=args.file, stdout=sys.stdout)
        if args.command == "export":
            return await _export(engine, args)
        if args.command == "casestudy" and args.casestudy_command in ("add", "edit"):
            return await save_case_study(engine, args, stdout=sys.stdout, stderr=sys.stderr)
        if args.command == "casestudy":
            return await print_case_studies(engine, args, stdout=sys.stdout, stderr=sys.stderr)
        if args.command == "community":
            return await community(engine, args, stdout=sys.stdout, stderr=sys.stderr)
        if args.command == "workspace":
            return await workspace_command(engine, args, stdout=sys.stdout, stderr=sys.stderr)
        if args.command == "project":
            return await project_team(engine, args, stdout=sys.stdout, stderr=sys.stderr)
        if args.command == "casestudies":
            return await export_case_studies(engine, args, stdout=sys.stdout, stderr=sys.stderr)
        if args.command == "handover":
            return await _handover(engine, args)
        if args.command == "assessment":
            return await _assessment(engine, args)
        if args.command == "worker":
            return await _work(engine, args)
        if args.command == "key":
            resealed = await reseal_tokens(engine, Sealer(get_settings().encryption_keys()))
            print(render("terminal.j2:resealed", count=resealed))
            return 0
        if args.command == "digest":
            return await _digest(engine, args)
        if args.command == "jobs":
            return await _jobs(engine, args)
        if args.command == "reminders":
            return await print_reminders(engine, project=args.project, on=args.on or _today(), stdout=sys.stdout)
        if args.command == "status":
            return await print_status(engine, project=args.project, on=args.on or _today(), stdout=sys.stdout)
        if args.command == "update":
            fields = {
                key: getattr(args, key)
                for key in (
                    "measure_key",
                    "value",
                    "period",
                    "note",
                    "evidence",
                    "recovery_action",
                    "other_reason",
                    "nothing_to_report",
                    "confirmed",
                )
            }
            interactive = args.measure_key is None or (args.value is None and not args.nothing_to_report)
            return await update(
                engine,
                project=args.project,
                user=args.user,
                on=args.on or _today(),
                fields=fields,
                stdin=sys.stdin,
                stdout=sys.stdout,
                interactive=interactive,
            )
        return await _import(engine, args)
    finally:
        await engine.dispose()


async def _work(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator

    from bot.slack.app import build_app, slack_client
    from bot.slack.inbox import replayer
    from bot.slack.oauth import installations
    from bot.worker.inbox import IDLE_POLL_SECONDS, POLL_SECONDS
    from bot.worker.loop import WorkerRefused, run_worker
    from bot.worker.tokens import Installs

    settings = get_settings()
    client = slack_client(settings, wait_out_rate_limits=False)
    replay = replayer(build_app(settings, engine, replaying=True), engine)
    store = installations(settings, engine)
    installs = None
    if store is not None:  # distributed: each workspace's token, renewed with the app's credentials
        secret = settings.slack_client_secret.get_secret_value()
        installs = Installs(engine, store, AsyncTokenRotator(client_id=settings.slack_client_id, client_secret=secret, client=client))
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):  # a supervisor's stop, or Ctrl-C: finish the message in hand
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    try:
        result = await run_worker(
            engine,
            client,
            once=args.once,
            stop=stop,
            replay=replay,
            lease=timedelta(seconds=settings.worker_lease_seconds),
            inbox_poll_seconds=POLL_SECONDS if settings.handle_requests_in == "worker" else IDLE_POLL_SECONDS,
            installs=installs,
        )
    except WorkerRefused as refused:
        print(str(refused), file=sys.stderr)
        return 1
    print(render("terminal.j2:worker_pass", result=result))
    return 0


async def _handover(engine: AsyncEngine, args: argparse.Namespace) -> int:
    """The handover conversation the first time (its questions go to stderr when the pack goes
    to stdout), then the pack."""
    async with transaction(engine) as db:
        project = await find_project(db, name=args.project)
        started = project is not None and await handover_started(db, project)
        unknown = await no_project(db, args.project) if project is None else ""
    if project is None:
        print(unknown, file=sys.stderr)
        return 1
    if not started:
        talk = sys.stdout if args.out else sys.stderr
        await chat(engine, project=args.project, user=args.user, stdin=sys.stdin, stdout=talk, flow=HANDOVER)
    async with transaction(engine) as db:  # read again: the handover answers changed it
        project = await db.get_one(Project, project.id, populate_existing=True)
        fmt = "html" if args.format == "pdf" else args.format
        document = await handover_document(db, project, fmt, args.on or _today(), with_history=args.with_history)
    try:
        data = html_to_pdf(document) if args.format == "pdf" else document.encode("utf-8")
    except PdfRefused as refused:
        print(render(f"terminal.j2:{refused.reason}", detail=refused.detail), file=sys.stderr)
        return 1
    if args.out is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        args.out.write_bytes(data)
        print(render("terminal.j2:pack_written", format=args.format, name=args.project, path=args.out))
    return 0


async def _assessment(engine: AsyncEngine, args: argparse.Namespace) -> int:
    async with transaction(engine) as db:
        project = await find_project(db, name=args.project)
        if project is None:
            print(await no_project(db, args.project), file=sys.stderr)
            return 1
        found = await build_assessment(db, project, args.year)
    document = assessment_csv(found) if args.format == "csv" else assessment_markdown(found)
    if args.out is None:
        sys.stdout.write(document)
    else:
        args.out.write_text(document, encoding="utf-8")
        print(render("terminal.j2:assessment_written", format=args.format, name=project.name, year=args.year, path=args.out))
    return 0


async def _digest(engine: AsyncEngine, args: argparse.Namespace) -> int:
    if args.week and not is_iso_week(args.week):
        print(render("terminal.j2:week_invalid", week=args.week), file=sys.stderr)
        return 1
    async with transaction(engine) as db:
        workspace = await workspace_of(db, team_id=args.team)
        digest = await preview_digest(db, workspace, now=utcnow(), week=args.week)
    print(digest_text(digest, MarkupKind.TEXT))
    return 0


async def _jobs(engine: AsyncEngine, args: argparse.Namespace) -> int:
    """List waiting and failed jobs, or put failed ones back in the queue."""
    if args.jobs_command == "retry":
        if not args.ids and not args.all:
            print(render("terminal.j2:jobs_retry_what"), file=sys.stderr)
            return 1
        async with transaction(engine) as db:
            failed = {job.id for job in await list_jobs(db, status=JobStatus.FAILED)}
            count = await retry_jobs(db, ids=None if args.all else args.ids)
        missing = [] if args.all else [i for i in args.ids if i not in failed]
        print(render("terminal.j2:jobs_retried", count=count, missing=missing))
        return 1 if missing else 0
    async with transaction(engine) as db:
        statuses = [JobStatus.FAILED] if args.failed else [JobStatus.PENDING, JobStatus.CLAIMED, JobStatus.FAILED]
        shown = [job for status in statuses for job in await list_jobs(db, status=status, limit=JOBS_SHOWN)]
    print(render("terminal.j2:job_list", jobs=shown, failed=args.failed))
    return 0


def _year(text: str) -> int:
    """A year as `--year` takes it: four digits, in the range dates may have."""
    if not (text.isascii() and text.isdigit() and EARLIEST_YEAR <= int(text) <= LATEST_YEAR):
        raise argparse.ArgumentTypeError(
            render("terminal.j2:year_invalid", year=text[:MAX_SHORT_TEXT], earliest=EARLIEST_YEAR, latest=LATEST_YEAR)
        )
    return int(text)


def _today() -> date:
    return utcnow().date()


async def _export(engine: AsyncEngine, args: argparse.Namespace) -> int:
    if args.format != "json":
        return await export_returns(engine, args, stdout=sys.stdout, stderr=sys.stderr)
    if args.all:
        print(render("terminal.j2:export_all_json"), file=sys.stderr)
        return 1
    async with transaction(engine) as db:
        project = await find_project(db, name=args.project, team_id=args.team)
        if project is None:
            print(await no_project(db, args.project, team_id=args.team), file=sys.stderr)
            return 1
        document = await export_project(db, project)
    text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(render("terminal.j2:exported", name=args.project, path=args.out), file=sys.stderr)
    return 0


async def _import(engine: AsyncEngine, args: argparse.Namespace) -> int:
    """Check the whole file, then store it in one transaction: a refused file stores nothing."""
    try:
        with args.file.open("rb") as file:
            document = read_project_file(file.read(MAX_FILE_BYTES + 1))
        async with transaction(engine) as db:
            project = await import_project(
                db,
                document.model_dump(),
                team_id=args.team,
                importer=args.user,
                as_custodian=args.as_custodian,
                keep_places=args.keep_slack_places,
            )
            handed = await take_over(db, project, custodian=args.user) if args.as_custodian else None
    except FileRefused as refused:
        shown = [render("terminal.j2:import_problem", path=path, problem=problem) for path, problem in refused.problems[:PROBLEMS_SHOWN]]
        more = len(refused.problems) - len(shown)
        print(render("terminal.j2:import_problems", path=args.file, problems=shown, more=more), file=sys.stderr)
        return 1
    except ImportRefused as refused:
        reason = render(f"terminal.j2:{refused.reason}", **refused.context)
    except OSError as unreadable:
        reason = unreadable.strerror or str(unreadable)
    else:
        if args.as_custodian:
            print(render("terminal.j2:imported_as_custodian", project=project, handed=handed, measures=len(document.measures)))
        else:
            print(render("terminal.j2:imported", name=project.name, answers=len(document.answers)))
        return 0
    print(render("terminal.j2:import_refused", path=args.file, reason=reason), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

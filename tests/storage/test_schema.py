import asyncio
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlmodel import SQLModel, select

from storage import models
from storage.engine import create_engine, transaction
from storage.migrate import HEAD, alembic_config, upgrade
from storage.models import FlowSession, InboxEntry, Job, SlackEvent, SlackUser
from storage.projects import list_communities, list_measures, list_needs


async def test_migrations_create_exactly_the_models(engine):
    async with engine.connect() as connection:
        differences = await connection.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata))
    assert differences == []


async def test_upgrade_twice_changes_nothing(database_url):
    upgrade(database_url)  # already at head: must be a no-op, not an error
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    await engine.dispose()
    assert version == ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def test_the_head_the_app_checks_at_start_is_the_newest_migration(database_url):
    # A new migration must move HEAD too, or a database before it would be taken as up to date.
    assert ScriptDirectory.from_config(alembic_config(database_url)).get_current_head() == HEAD


async def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    upgrade(url)
    engine = create_engine(url)
    async with engine.connect() as connection:
        assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar() >= 5000
    await engine.dispose()


async def test_the_posted_parts_migration_keeps_the_jobs_in_place(database_url):
    """0004 -> 0005 with a pending job in place: the row survives whole, with no part posted."""
    from alembic import command

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0004")  # its own event loop
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO job (kind, dedupe_key, due_at, payload, status, attempts, created_at) "
                "VALUES ('message', 'update:7', :due, :payload, 'pending', 2, :due)"
            ),
            {
                "due": datetime(2026, 11, 28, 10, tzinfo=UTC) if engine.dialect.name == "postgresql" else "2026-11-28 10:00:00.000000",
                "payload": '{"channel": "C1", "text": "Hi", "groups": [[{"type": "divider"}]]}',
            },
        )
    await engine.dispose()
    upgrade(database_url)
    engine = create_engine(database_url)
    async with transaction(engine) as db:
        [job] = (await db.exec(select(Job))).all()
    await engine.dispose()
    assert (job.kind, job.dedupe_key, job.status, job.attempts, job.posted) == ("message", "update:7", "pending", 2, None)
    assert job.payload["groups"] == [[{"type": "divider"}]] and job.due_at == datetime(2026, 11, 28, 10, tzinfo=UTC)


async def test_the_unshown_step_migration_keeps_the_flow_sessions_in_place(database_url):
    """0005 -> 0006 with a user halfway through a plan: their place is kept, no question marked unshown."""
    from alembic import command

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0005")
    engine = create_engine(database_url)
    stamp = await _a_project(engine)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                'INSERT INTO flowsession (project_id, flow, "user", position, status, channel, question_ts, started_at, updated_at) '
                "VALUES (1, 'plan', 'ULEAD', 'why.drivers', 'active', 'DLEAD', '1.2', :t, :t)"
            ),
            {"t": stamp},
        )
    await engine.dispose()
    upgrade(database_url)
    engine = create_engine(database_url)
    async with transaction(engine) as db:
        [session] = (await db.exec(select(FlowSession))).all()
    await engine.dispose()
    assert (session.position, session.status, session.question_ts, session.unshown_step) == ("why.drivers", "active", "1.2", None)


async def test_the_people_migration_keeps_what_was_known_of_each_user(database_url):
    """0006 -> 0007 with a user's time zone in place: kept, with no name yet and not gone."""
    from alembic import command

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0006")
    engine = create_engine(database_url)
    stamp = datetime(2026, 11, 28, 10, tzinfo=UTC) if engine.dialect.name == "postgresql" else "2026-11-28 10:00:00.000000"
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO workspace (enterprise_id, team_id, name, created_at) VALUES ('', 'T1', '', :t)"), {"t": stamp}
        )
        await connection.execute(
            text("INSERT INTO slackuser (workspace_id, user_id, tz, fetched_at) VALUES (1, 'UPRIYA', 'Asia/Kolkata', :t)"), {"t": stamp}
        )
    await engine.dispose()
    upgrade(database_url)
    engine = create_engine(database_url)
    async with transaction(engine) as db:
        [person] = (await db.exec(select(SlackUser))).all()
    await engine.dispose()
    assert (person.user_id, person.tz, person.name, person.gone) == ("UPRIYA", "Asia/Kolkata", None, False)
    assert person.fetched_at == datetime(2026, 11, 28, 10, tzinfo=UTC)


async def test_the_inbox_migration_keeps_the_events_already_handled(database_url):
    """0007 -> 0008 with a handled event in place: kept (so Slack's retry is still recognised); the inbox starts empty."""
    from alembic import command

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0007")
    engine = create_engine(database_url)
    stamp = datetime(2026, 11, 28, 10, tzinfo=UTC) if engine.dialect.name == "postgresql" else "2026-11-28 10:00:00.000000"
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO slackevent (event_id, received_at) VALUES ('Ev1', :t)"), {"t": stamp})
    await engine.dispose()
    upgrade(database_url)
    engine = create_engine(database_url)
    async with transaction(engine) as db:
        handled = (await db.exec(select(SlackEvent))).all()
        inbox = (await db.exec(select(InboxEntry))).all()
    await engine.dispose()
    assert [e.event_id for e in handled] == ["Ev1"] and inbox == []


async def _a_project(engine):
    """A workspace and a project as rows (any schema since 0001 has them); returns the stamp
    the backend takes."""
    stamp = datetime(2026, 11, 28, 10, tzinfo=UTC) if engine.dialect.name == "postgresql" else "2026-11-28 10:00:00.000000"
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO workspace (enterprise_id, team_id, name, created_at) VALUES ('', 'T1', '', :t)"), {"t": stamp}
        )
        await connection.execute(
            text("INSERT INTO project (workspace_id, name, created_at, updated_at) VALUES (1, 'A38', :t, :t)"), {"t": stamp}
        )
    return stamp


async def test_the_retirement_migration_keeps_every_community_and_measure_in_the_plan(database_url):
    """0008 -> 0009 with a community and a measure in place: both kept, neither retired."""
    from alembic import command

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0008")
    engine = create_engine(database_url)
    stamp = await _a_project(engine)
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO community (project_id, key, name, created_at) VALUES (1, 'c1', 'Derby residents', :t)"), {"t": stamp}
        )
        await connection.execute(
            text(
                "INSERT INTO measure (project_id, key, name, unit, community_id, cumulative, created_at)"
                " VALUES (1, 'm1', 'Local hires', 'people', 1, true, :t)"
            ),
            {"t": stamp},
        )
    await engine.dispose()
    upgrade(database_url)
    engine = create_engine(database_url)
    async with transaction(engine) as db:
        communities = await list_communities(db, project_id=1)
        measures = await list_measures(db, project_id=1)
    await engine.dispose()
    assert [(c.key, c.name, c.retired_at, c.retired_by) for c in communities] == [("c1", "Derby residents", None, None)]
    assert [(m.key, m.name, m.needs, m.retired_at) for m in measures] == [("m1", "Local hires", ["n1"], None)]  # 0011: its community's need


async def test_the_kinds_migration_keeps_each_measures_running_totals_or_amounts(database_url):
    """0009 -> 0010 with a running-total measure, one of amounts per period and an update in
    place: each keeps how its updates add up, and the update is kept whole."""
    from alembic import command

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0009")
    engine = create_engine(database_url)
    stamp = await _a_project(engine)
    async with engine.begin() as connection:
        for key, name, cumulative in (("m1", "Local hires", True), ("m2", "Local spend", False)):
            await connection.execute(
                text(
                    "INSERT INTO measure (project_id, key, name, unit, cumulative, created_at)"
                    " VALUES (1, :key, :name, 'people', :cumulative, :t)"
                ),
                {"key": key, "name": name, "cumulative": cumulative, "t": stamp},
            )
        await connection.execute(
            text(
                "INSERT INTO progressupdate (measure_id, period_start, period_end, value, author, created_at, version, review)"
                " VALUES (2, '2026-10-01', '2026-11-01', 4500, 'priya', :t, 1, 'submitted')"
            ),
            {"t": stamp},
        )
    await engine.dispose()
    upgrade(database_url)
    engine = create_engine(database_url)
    async with transaction(engine) as db:
        measures = await list_measures(db, project_id=1)
        updates = (await db.exec(select(models.ProgressUpdate))).all()
    await engine.dispose()
    assert [(m.key, m.kind, m.profile) for m in measures] == [("m1", "total", None), ("m2", "per_period", None)]
    assert [(u.measure_id, u.value, u.other_reason) for u in updates] == [(2, 4500, None)]


async def test_the_needs_migration_makes_each_communitys_needs_records_and_keeps_each_measures_link(database_url):
    """0010 -> 0011 with communities, their needs text, answers and measures in place: each
    line or semicolon of the text is a need (the old signposting its evidence), a measure of
    one community answers all that community's needs, one of "all" the project as a whole, and
    each gets an answer in the history stamped as the answer it came from."""
    from alembic import command

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0010")
    engine = create_engine(database_url)
    stamp = await _a_project(engine)
    said = datetime(2026, 3, 2, 9, 30, tzinfo=UTC).replace(tzinfo=None)
    async with engine.begin() as connection:
        for key, name, needs, signposting in (
            ("c1", "Chaddesden residents", "safe crossings during the works;\nquiet nights ; ", "Ward profile 2024"),
            ("c2", "Station users", None, None),  # linked below, with no needs: a need to describe
            ("c3", "Local schools", None, None),  # neither: no need made
        ):
            await connection.execute(
                text("INSERT INTO community (project_id, key, name, needs, signposting, created_at) VALUES (1, :k, :n, :needs, :s, :t)"),
                {"k": key, "n": name, "needs": needs, "s": signposting, "t": stamp},
            )
        for key, name, community in (("m1", "Local hires", 1), ("m2", "Bus pass", 2), ("m3", "Spend", None), ("m4", "Trees", None)):
            await connection.execute(
                text(
                    "INSERT INTO measure (project_id, key, name, unit, community_id, kind, created_at) VALUES (1, :k, :n, 'x', :c, 'total', :t)"
                ),
                {"k": key, "n": name, "c": community, "t": stamp},
            )
        for subject, value, author in (("m1", '"c1"', "U01"), ("m3", '"all"', "U02")):
            await connection.execute(
                text(
                    "INSERT INTO answer (project_id, flow, flow_version, question, field, subject, value, author, created_at, version)"
                    " VALUES (1, 'plan', 1, 'what', 'community', :s, :v, :a, :t, 1)"
                ),
                {"s": subject, "v": value, "a": author, "t": said},
            )
    await engine.dispose()
    upgrade(database_url)
    engine = create_engine(database_url)
    async with transaction(engine) as db:
        needs = await list_needs(db, project_id=1)
        measures = await list_measures(db, project_id=1)
        answers = (await db.exec(select(models.Answer).where(models.Answer.field == "needs").order_by(models.Answer.id))).all()
    await engine.dispose()
    assert [(n.key, n.community_id, n.name, n.evidence) for n in needs] == [
        ("n1", 1, "safe crossings during the works", "Ward profile 2024"),
        ("n2", 1, "quiet nights", "Ward profile 2024"),
        ("n3", 2, "Needs not yet described", None),
    ]
    assert [(m.key, m.needs) for m in measures] == [("m1", ["n1", "n2"]), ("m2", ["n3"]), ("m3", ["project"]), ("m4", None)]
    assert [(a.question, a.subject, a.value, a.author) for a in answers] == [
        ("why", "n1", {"name": "safe crossings during the works", "evidence": "Ward profile 2024", "signposting": None}, "migration 0011"),
        ("why", "n2", {"name": "quiet nights", "evidence": "Ward profile 2024", "signposting": None}, "migration 0011"),
        ("why", "n3", {"name": "Needs not yet described", "evidence": None, "signposting": None}, "migration 0011"),
        ("what", "m1", ["n1", "n2"], "U01"),
        ("what", "m2", ["n3"], "migration 0011"),
        ("what", "m3", ["project"], "U02"),
    ]
    assert answers[3].created_at == said.replace(tzinfo=UTC)  # a past moment reads the link as it was


async def test_the_case_studies_migration_keeps_the_projects_in_place_and_takes_their_case_studies(database_url):
    """0011 -> 0012 with a project in place: it is kept, and a case study of it (with a version) is stored."""
    from alembic import command

    from storage.case_studies import case_study_versions, list_case_studies, save_case_study

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0011")
    engine = create_engine(database_url)
    await _a_project(engine)
    await engine.dispose()
    upgrade(database_url)
    engine = create_engine(database_url)
    async with transaction(engine) as db:
        project = await db.get_one(models.Project, 1)
        study = models.CaseStudy(
            workspace_id=project.workspace_id,
            project_id=project.id,
            title="Laptops",
            what_happened="Donated",
            scale="small",
            happened_on=datetime(2026, 3, 2).date(),
            author="U01",
        )
        await save_case_study(db, study, by="U01")
    async with transaction(engine) as db:
        [kept] = await list_case_studies(db, workspace_id=project.workspace_id, project_id=1)
        versions = await case_study_versions(db, study_id=kept.id)
    await engine.dispose()
    assert (project.name, kept.title, kept.consent, kept.links) == ("A38", "Laptops", "none", [])
    assert [(v.version, v.value["title"]) for v in versions] == [(1, "Laptops")]


async def test_the_summary_size_migration_gives_each_digest_config_the_default(database_url):
    """0012 -> 0013 with a workspace's digest settings in place: kept, with summaries above 200 projects."""
    from alembic import command

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0012")
    engine = create_engine(database_url)
    stamp = await _a_project(engine)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO digestconfig (workspace_id, channel_id, weekday, time, tz, enabled, updated_at)"
                " VALUES (1, 'C0STEER', 4, '16:30', 'Europe/London', true, :t)"
            ),
            {"t": stamp},
        )
    await engine.dispose()
    upgrade(database_url)
    engine = create_engine(database_url)
    async with transaction(engine) as db:
        [config] = (await db.exec(select(models.DigestConfig))).all()
    await engine.dispose()
    assert (config.channel_id, config.weekday, config.time, config.summary_above) == ("C0STEER", 4, "16:30", 200)


async def test_the_editors_migration_makes_editors_of_everyone_who_already_answered_a_plan(database_url):
    """0013 -> 0014 with answers in place: their Slack authors other than the lead become
    editors (nobody working on a plan is shut out by the upgrade); a terminal's names do not."""
    from alembic import command

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0013")
    engine = create_engine(database_url)
    stamp = await _a_project(engine)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE project SET lead = 'ULEAD'"))
        for version, author in enumerate(("ULEAD", "UPRIYA", "sam", "UPRIYA", "W0TOM"), 1):
            await connection.execute(
                text(
                    "INSERT INTO answer (project_id, flow, flow_version, question, field, subject, value, author, created_at, version)"
                    " VALUES (1, 'plan', 1, 'why', 'purpose', '', '\"x\"', :author, :t, :v)"
                ),
                {"author": author, "t": stamp, "v": version},
            )
    await engine.dispose()
    upgrade(database_url)
    engine = create_engine(database_url)
    async with transaction(engine) as db:
        editors = (await db.exec(select(models.ProjectEditor))).all()
    await engine.dispose()
    assert sorted((e.project_id, e.user_id, e.added_by) for e in editors) == [(1, "UPRIYA", "upgrade"), (1, "W0TOM", "upgrade")]


async def test_the_uninstall_migration_gives_each_job_the_workspace_it_names(database_url):
    """0014 -> 0015 with jobs in place: a project's job and a workspace's job learn their
    workspace; a plain message keeps none; every workspace is installed."""
    from alembic import command

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0014")
    engine = create_engine(database_url)
    stamp = await _a_project(engine)
    payloads = {
        "reminder": '{"project_id": 1, "to": "U1"}',
        "digest": '{"workspace_id": 1, "week": "2026-W48"}',
        "message": '{"channel": "U1"}',
    }
    async with engine.begin() as connection:
        for kind, payload in payloads.items():
            await connection.execute(
                text(
                    "INSERT INTO job (kind, dedupe_key, due_at, payload, status, attempts, created_at)"
                    " VALUES (:kind, :kind, :t, :payload, 'pending', 0, :t)"
                ),
                {"kind": kind, "t": stamp, "payload": payload},
            )
    await engine.dispose()
    upgrade(database_url)
    engine = create_engine(database_url)
    async with transaction(engine) as db:
        jobs = {job.kind: job.workspace_id for job in (await db.exec(select(Job))).all()}
        [workspace] = (await db.exec(select(models.Workspace))).all()
    await engine.dispose()
    assert jobs == {"reminder": 1, "digest": 1, "message": None}
    assert workspace.uninstalled_at is None


async def test_the_editor_names_migration_keeps_each_editor(database_url):
    """0015 -> 0016 with an editor and a person in place: kept, a long name fits afterwards,
    and nobody is taken for a guest before Slack is asked."""
    from alembic import command

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0015")
    engine = create_engine(database_url)
    stamp = await _a_project(engine)
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO project_editor (project_id, user_id, added_by, added_at) VALUES (1, 'UPRIYA', 'ULEAD', :t)"), {"t": stamp}
        )
        await connection.execute(
            text("INSERT INTO slackuser (workspace_id, user_id, tz, fetched_at, gone) VALUES (1, 'UPRIYA', 'Europe/Paris', :t, false)"),
            {"t": stamp},
        )
    await engine.dispose()
    upgrade(database_url)
    engine = create_engine(database_url)
    async with transaction(engine) as db:
        db.add(models.ProjectEditor(project_id=1, user_id="x" * 200, added_by="ULEAD"))
    async with transaction(engine) as db:
        editors = [(e.user_id, e.added_by) for e in (await db.exec(select(models.ProjectEditor).order_by(models.ProjectEditor.id))).all()]
        [person] = (await db.exec(select(SlackUser))).all()
    await engine.dispose()
    assert editors == [("UPRIYA", "ULEAD"), ("x" * 200, "ULEAD")]
    assert (person.user_id, person.tz, person.guest) == ("UPRIYA", "Europe/Paris", None)


async def test_the_installations_migration_keeps_the_workspaces_and_takes_an_installation(database_url):
    """0016 -> 0017 with a workspace and its project in place: kept; the installation tables are
    new, empty, and take a sealed token as long as a rotating one becomes."""
    from alembic import command
    from slack_sdk.oauth.installation_store import Installation

    from storage.installations import Installations, Sealer

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0016")
    engine = create_engine(database_url)
    await _a_project(engine)
    await engine.dispose()
    upgrade(database_url)
    engine = create_engine(database_url)
    store = Installations("1111.2222", engine, Sealer([Fernet.generate_key().decode()]))
    rotating = "xoxe.xoxb-1-" + "M" * 160  # a rotating token's length, sealed: some 300 characters
    await store.async_save(
        Installation(app_id="A1", team_id="T1", bot_token=rotating, bot_refresh_token="xoxe-1-" + "R" * 140, user_id="U1")
    )
    found = await store.bot_of(enterprise_id="", team_id="T1")
    async with transaction(engine) as db:
        projects = [(p.workspace_id, p.name) for p in (await db.exec(select(models.Project))).all()]
    await engine.dispose()
    assert projects == [(1, "A38")]
    assert found is not None and found.bot_token == rotating

"""A synthetic portfolio for the benchmarks: projects x 20 measures with weekly history, and
due reminder jobs, inserted in bulk."""

import tempfile
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, text

from storage.engine import create_engine
from storage.migrate import upgrade
from storage.models import Answer, Job, Measure, ProgressUpdate, Project, Workspace

MEASURES = 20
NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
START = date(2023, 11, 27)  # a Monday, three years before NOW


async def empty_database(url: str = "") -> str:
    """The URL of an empty, migrated database: `url`'s (a dedicated PostgreSQL database,
    emptied), else a new SQLite file."""
    if url:
        engine = create_engine(url)
        async with engine.begin() as db:
            await db.execute(text("DROP SCHEMA public CASCADE"))
            await db.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    else:
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    return url


async def build(url: str, projects: int, weeks: int, jobs: int) -> None:
    engine = create_engine(url)
    start = NOW.date() - timedelta(weeks=weeks + 1) if weeks else START
    start -= timedelta(days=start.weekday())
    created = datetime(2023, 11, 1, tzinfo=UTC)
    async with engine.begin() as db:
        await db.execute(insert(Workspace), [{"id": 1, "team_id": "T0001", "enterprise_id": "", "name": "Bench", "created_at": created}])
        await db.execute(
            insert(Project),
            [
                {
                    "id": p,
                    "workspace_id": 1,
                    "name": f"Scheme {p}",
                    "channel_id": f"C{p:05d}",
                    "lead": f"ULEAD{p}",
                    "planned_completion": date(2027, 12, 31),
                    "created_at": created,
                    "updated_at": created,
                }
                for p in range(1, projects + 1)
            ],
        )
        await db.execute(
            insert(Answer),
            [
                {
                    "project_id": p,
                    "flow": "plan",
                    "flow_version": 1,
                    "question": "how_long",
                    "field": "legacy_years",
                    "subject": "",
                    "value": 3,
                    "author": "bench",
                    "created_at": created,
                    "version": 1,
                }
                for p in range(1, projects + 1)
            ],
        )
        measures = [
            {
                "id": (p - 1) * MEASURES + k,
                "project_id": p,
                "key": f"m{k}",
                "name": f"Measure {k}",
                "unit": "FTE",
                "baseline_value": 0,
                "baseline_date": START,
                "target_value": 1000,
                "target_date": date(2027, 12, 31),
                "owner": f"U{p:05d}{k:02d}",
                "cadence": "weekly",
                "kind": "total",
                "created_at": created,
            }
            for p in range(1, projects + 1)
            for k in range(1, MEASURES + 1)
        ]
        await db.execute(insert(Measure), measures)
        for chunk in range(0, len(measures), 500):
            rows = [
                {
                    "measure_id": m["id"],
                    "period_start": start + timedelta(weeks=w),
                    "period_end": start + timedelta(weeks=w + 1),
                    "value": float(w),
                    "author": m["owner"],
                    "created_at": created,
                    "version": 1,
                    "review": "submitted",
                }
                for m in measures[chunk : chunk + 500]
                for w in range(weeks)
            ]
            if rows:
                await db.execute(insert(ProgressUpdate), rows)
        due = start + timedelta(weeks=weeks + 1)  # the first period not reported
        if jobs:
            await db.execute(
                insert(Job),
                [
                    {
                        "kind": "reminder",
                        "dedupe_key": f"reminder:{m['id']}:{due}:due",
                        "due_at": NOW - timedelta(minutes=1),
                        "payload": {
                            "project_id": m["project_id"],
                            "measure_id": m["id"],
                            "tz": "Europe/London",
                            "period_end": due.isoformat(),
                            "kind": "snoozed",
                            "to": m["owner"],
                            "owner": m["owner"],
                        },
                        "status": "pending",
                        "attempts": 0,
                        "created_at": created,
                    }
                    for m in measures[:jobs]
                ],
            )
    await engine.dispose()

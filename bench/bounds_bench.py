"""Benchmark: the largest plan the app accepts, against a typical one, in the same run.

The largest allowed plan: 30 communities with 100 needs, every catalogue measure and 50 of the
team's own (68 measures, each answering every need), each weekly from 1990 to 2150 with 50 legacy years: each schedule is cut at
60 years, 3,130 periods. It is answered through the conversation like any plan, in a Slack
workspace, with a year of weekly updates per measure (stored in bulk; the typical plan: each period so far). A typical plan is the A38 example
(2 measures, monthly and quarterly). For each, `/socialvalue status`'s work (the project's
status and summary) and one worker planning pass: SQL statements, time, and peak memory
(tracemalloc). Statements must not grow with the plan (a pass that queues reminders writes one
row each: the table shows the next pass, with them queued); time and memory grow, bounded.

    make bench-bounds
    BENCH_DATABASE_URL=postgresql+asyncpg://... .venv/bin/python bench/bounds_bench.py
"""

import asyncio
import os
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))

from seed import empty_database

from bot.worker.loop import plan_jobs
from flows.conversation.engine import load_state
from flows.conversation.presenting import overview
from flows.conversation.runner import answer_flow, open_flow
from flows.plan import MAX_COMMUNITIES, MAX_NEEDS, MAX_OWN_MEASURES, PLAN
from flows.progress.status import project_status
from flows.projects import new_project, workspace_of
from prompts import MarkupKind
from storage.engine import create_engine, reading, transaction
from storage.models import Job, ProgressUpdate, Project
from storage.projects import LOCAL_TEAM_ID
from tests.factories import WHOLE_PLAN

TEAM, OWNER = "T0001", "<@U0OWNER>"
NOW = datetime(2026, 11, 27, 10, tzinfo=UTC)
UPDATES = 52  # a year of weekly reports per measure


def largest_answer(step: str, choices: int, sent_items: set[str]) -> str:
    """What a team filling the plan to every limit types at `step`."""
    key = step.split(":")[0]
    if key == "why.communities":
        if key in sent_items:
            return "done"
        sent_items.add(key)
        return "\n".join(f"Street {n} | Derby | residents" for n in range(MAX_COMMUNITIES))
    if key == "why.needs":  # the plan's 100 needs, spread over its communities, then each list ends
        if step in sent_items:
            return "done"
        sent_items.add(step)
        community = int(step.split(":c")[1]) - 1
        share = range(community * MAX_NEEDS // MAX_COMMUNITIES, (community + 1) * MAX_NEEDS // MAX_COMMUNITIES)
        return "\n".join(f"need {n} | census {n} | service {n}, help@example.org" for n in share)
    if key == "what.own_measures":
        if key in sent_items:
            return "done"
        sent_items.add(key)
        return "\n".join(f"Measure {n} | units | C{n} | Framework" for n in range(MAX_OWN_MEASURES))
    fixed = {
        "how.baseline_value": "0",
        "how.baseline_date": "01/01/1990",
        "how.target_value": "1000",
        "how.target_date": "31/12/2150",
        "how.profile": "none",
        "how.owner": OWNER,
        "how_long.completion_date": "31/12/2150",
        "how_long.handover_date": "31/12/2150",
        "how_long.legacy_years": "50",
        "monitoring.cadence": "weekly",
        "monitoring.default_thresholds": "yes",
    }
    if key in fixed:
        return fixed[key]
    if choices:
        every = ("what.outcomes", "what.catalogue_measures", "what.needs")  # each measure answers every need
        return ", ".join(str(n) for n in range(1, choices + 1)) if key in every else "1"
    return "Words"


async def planned(engine, name: str, answers: list[str] | None) -> Project:
    """A plan answered through the conversation: `answers` in order, or the largest allowed."""
    async with transaction(engine) as db:
        project = await new_project(db, await workspace_of(db, team_id=TEAM), name=name, channel="C0001", lead="U0LEAD")
        reply = await open_flow(db, PLAN, project=project, user="U0LEAD")
    sent: set[str] = set()
    typed = iter(answers or [])
    started = time.perf_counter()
    while reply.step is not None:
        said = next(typed, "skip") if answers is not None else largest_answer(reply.step, len(reply.choices), sent)
        async with transaction(engine) as db:
            reply = await answer_flow(db, PLAN, project=project, user="U0LEAD", text=said)
        if reply.error and answers is None:
            raise SystemExit(f"the largest plan was refused at {reply.step}: {reply.notice}")
    print(f"{name}: answered in {time.perf_counter() - started:.1f} s", flush=True)
    answered = time.perf_counter()
    async with transaction(engine) as db:
        rows = []
        for status in await project_status(db, project, NOW.date()):
            schedule = status.plan.schedule
            for index in range(max(schedule.due_by(NOW.date()) - UPDATES, 0), schedule.due_by(NOW.date())):
                period = schedule[index]
                value = status.measure.target_value
                rows.append({"measure_id": status.measure.id, "period_start": period.start, "period_end": period.end, "value": value})
        await (await db.connection()).execute(
            insert(ProgressUpdate),
            [{**row, "author": "U0OWNER", "version": 1, "created_at": NOW} for row in rows],
        )
    print(f"{name}: {len(rows)} updates stored in {time.perf_counter() - answered:.1f} s", flush=True)
    return project


class Statements:
    def __init__(self, engine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._one)

    def _one(self, *_args: Any) -> None:
        self.count += 1


async def measured(statements: Statements, work: Callable[[], Awaitable[object]]) -> tuple[int, float, float]:
    """(statements, seconds, peak MB) of one call of `work`."""
    statements.count = 0
    tracemalloc.start()
    started = time.perf_counter()
    await work()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statements.count, seconds, peak / 1e6


async def run(url: str = "") -> list[tuple[str, str, str, str]]:
    url = await empty_database(url)
    engine = create_engine(url)
    started = time.perf_counter()
    typical = await planned(engine, "A38 Derby Junctions", [a.replace("Priya Shah", OWNER).replace("Tom Evans", OWNER) for a in WHOLE_PLAN])
    largest = await planned(engine, "The largest plan", None)
    print(f"plans answered in {time.perf_counter() - started:.0f} s", flush=True)
    statements = Statements(engine)

    def status_of(project: Project) -> Callable[[], Awaitable[object]]:
        async def status() -> object:
            async with reading(engine) as db:
                state = await load_state(db, project)
                statuses = await project_status(db, project, NOW.date(), state=state)
                return statuses, overview(PLAN, state, MarkupKind.MRKDWN)

        return status

    async def worker_pass() -> None:
        await plan_jobs(engine, NOW)

    figures = {}
    for name, project in (("typical", typical), ("largest", largest)):
        async with reading(engine) as db:
            state = await load_state(db, project)
        periods = sum(len(s.plan.schedule) for s in await _statuses(engine, project))
        figures[name] = (len(state.measures), periods, await measured(statements, status_of(project)))
    # The worker plans the Slack workspaces' projects: without the largest (moved for a moment to
    # the terminal's workspace, which has no reminders), then with it.
    async with transaction(engine) as db:
        moved = await db.get(Project, largest.id)
        moved.workspace_id = (await workspace_of(db, team_id=LOCAL_TEAM_ID)).id
    await worker_pass()  # the typical plan's reminders queued: each figure below is of a pass that finds its own
    alone = await measured(statements, worker_pass)
    async with transaction(engine) as db:
        back = await db.get(Project, largest.id)
        back.workspace_id = (await workspace_of(db, team_id=TEAM)).id
    both = await measured(statements, worker_pass)  # queues the largest plan's reminders
    again = await measured(statements, worker_pass)  # they are queued: the steady state of every pass
    async with reading(engine) as db:
        queued = await db.scalar(select(func.count()).select_from(Job))
    await engine.dispose()

    print(f"\n{'plan':<8} {'measures':>8} {'periods':>8} {'statements':>10} {'seconds':>8} {'peak MB':>8}")
    for name, (measures, periods, (count, seconds, peak)) in figures.items():
        print(f"{name:<8} {measures:>8} {periods:>8} {count:>10} {seconds:>8.3f} {peak:>8.1f}")
    print(
        f"\nworker planning pass: the typical plan alone {alone[0]} statements {alone[1]:.3f} s {alone[2]:.1f} MB;"
        f"\n  with the largest, queuing its reminders ({queued} jobs in all): {both[0]} statements {both[1]:.3f} s {both[2]:.1f} MB;"
        f"\n  again, nothing new to queue: {again[0]} statements {again[1]:.3f} s {again[2]:.1f} MB"
    )
    (_, _, small), (_, _, big) = figures["typical"], figures["largest"]
    return [
        ("largest plan: status statements", str(big[0]), f"{small[0]} (typical plan)", f"{big[0] / small[0]:.2f}x"),
        ("largest plan: status seconds", f"{big[1]:.3f}", f"{small[1]:.3f} (typical plan)", f"{big[1] / small[1]:.1f}x"),
        ("largest plan: status peak MB", f"{big[2]:.1f}", f"{small[2]:.1f} (typical plan)", f"{big[2] / small[2]:.1f}x"),
        ("largest plan: worker pass statements", str(again[0]), f"{alone[0]} (without it)", f"{again[0] / alone[0]:.2f}x"),
        ("largest plan: worker pass seconds", f"{again[1]:.3f}", f"{alone[1]:.3f} (without it)", f"{again[1] / alone[1]:.1f}x"),
        ("largest plan: worker pass peak MB", f"{again[2]:.1f}", f"{alone[2]:.1f} (without it)", f"{again[2] / alone[2]:.1f}x"),
    ]


async def _statuses(engine, project: Project) -> list:
    async with reading(engine) as db:
        return await project_status(db, project, NOW.date())


if __name__ == "__main__":
    asyncio.run(run(os.environ.get("BENCH_DATABASE_URL", "")))

"""Answers are appended with versions; projects are scoped by workspace."""

import asyncio

import pytest
from sqlalchemy.exc import IntegrityError

from storage.answers import answer_history, append_answer, current_answers
from storage.engine import transaction
from storage.models import Answer
from storage.projects import (
    create_project,
    get_or_create_workspace,
    get_project,
    list_projects,
)


async def make_project(db, team_id="T1", name="A38 Derby Junctions"):
    workspace = await get_or_create_workspace(db, team_id=team_id)
    return await create_project(db, workspace_id=workspace.id, name=name)


def purpose(project_id: int, value: str, author: str = "alice") -> dict:
    return dict(project_id=project_id, flow="plan", flow_version=1, question="why", field="purpose", value=value, author=author)


async def test_each_answer_is_a_new_version_and_the_latest_is_current(engine):
    async with transaction(engine) as db:
        project = await make_project(db)
        for text in ("one", "two", "three"):
            await append_answer(db, **purpose(project.id, text))
    async with transaction(engine) as db:
        history = await answer_history(db, project_id=project.id)
        current = await current_answers(db, project_id=project.id)
    assert [(a.version, a.value) for a in history] == [(1, "one"), (2, "two"), (3, "three")]
    assert current[("why", "purpose", "")].value == "three"
    assert all(a.created_at.tzinfo is not None for a in history)


async def test_two_writers_of_the_same_version_cannot_both_land(engine):
    async with transaction(engine) as db:
        project = await make_project(db)
        await append_answer(db, **purpose(project.id, "first"))
    with pytest.raises(IntegrityError):
        async with transaction(engine) as db:
            db.add(Answer(**purpose(project.id, "stale edit"), version=1))
    async with transaction(engine) as db:
        assert [a.value for a in await answer_history(db, project_id=project.id)] == ["first"]


async def test_concurrent_appends_all_land_with_distinct_versions(engine):
    async with transaction(engine) as db:
        project = await make_project(db)

    async def append(n: int) -> None:
        for attempt in range(20):
            try:
                async with transaction(engine) as db:
                    await append_answer(db, **purpose(project.id, f"edit {n}"))
                return
            except IntegrityError:  # PostgreSQL: a concurrent writer took the version; retry
                await asyncio.sleep(0.01 * attempt)
        raise AssertionError("never landed")

    await asyncio.gather(*(append(n) for n in range(10)))
    async with transaction(engine) as db:
        history = await answer_history(db, project_id=project.id)
    assert sorted(a.version for a in history) == list(range(1, 11))
    assert sorted(a.value for a in history) == sorted(f"edit {n}" for n in range(10))


async def test_project_names_are_unique_within_a_workspace_only(engine):
    async with transaction(engine) as db:
        await make_project(db, team_id="T1")
        await make_project(db, team_id="T2")  # same name, other workspace: fine
    with pytest.raises(IntegrityError):
        async with transaction(engine) as db:
            await make_project(db, team_id="T1")
    async with transaction(engine) as db:
        t1 = await get_or_create_workspace(db, team_id="T1")
        t2 = await get_or_create_workspace(db, team_id="T2")
        assert [p.name for p in await list_projects(db, workspace_id=t1.id)] == ["A38 Derby Junctions"]
        project_t2 = await get_project(db, workspace_id=t2.id, name="A38 Derby Junctions")
        assert project_t2.workspace_id == t2.id


async def test_a_failed_transaction_leaves_nothing_behind(engine):
    with pytest.raises(RuntimeError):
        async with transaction(engine) as db:
            project = await make_project(db)
            await append_answer(db, **purpose(project.id, "lost with the rollback"))
            raise RuntimeError("the process dies mid-step")
    async with transaction(engine) as db:
        workspace = await get_or_create_workspace(db, team_id="T1")
        assert await list_projects(db, workspace_id=workspace.id) == []

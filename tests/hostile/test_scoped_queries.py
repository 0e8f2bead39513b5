"""Every repository function that reads or writes a workspace's data must be given what scopes
it (the workspace, or a project, measure or row reached through it): called without it, it
fails, rather than reading across workspaces. The few that span every workspace, for the
worker and the terminal's administration, are named here with why."""

import importlib
import inspect

import pytest

from storage.engine import transaction

WORKSPACE_DATA = ("answers", "case_studies", "editors", "flow_sessions", "people", "portable", "portfolio", "progress", "projects")
SCOPES = {
    *("workspace_id", "workspace", "team_id", "project_id", "project", "projects", "project_ids", "measure_id"),
    *("study_id", "study", "update_id", "update", "flow_session_id", "flow_session", "item", "community_id", "document", "fields"),
}
ACROSS_WORKSPACES = {
    "list_people": "the worker looks up the people of every installed workspace (and a workspace's, given one)",
    "list_digest_configs": "the worker plans every workspace's digest",
    "unknown_privacy": "the worker asks Slack about the channels of older projects, in every workspace",
}


def repository_functions():
    for module_name in WORKSPACE_DATA:
        module = importlib.import_module(f"storage.{module_name}")
        for name, function in inspect.getmembers(module, inspect.iscoroutinefunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                yield name, function


def required(function) -> set[str]:
    return {p.name for p in inspect.signature(function).parameters.values() if p.default is inspect.Parameter.empty}


@pytest.mark.parametrize(("name", "function"), list(repository_functions()), ids=lambda value: value if isinstance(value, str) else "")
def test_each_repository_function_requires_its_scope(name, function):
    if name in ACROSS_WORKSPACES:
        assert not required(function) & {"workspace_id", "workspace", "project_id"}, f"{name} is scoped now: take it off the list"
        return
    assert required(function) & SCOPES, f"storage.{function.__module__}.{name} can be called without a workspace, project or row"


async def test_called_without_its_workspace_a_repository_function_fails(engine):
    from storage.projects import get_project, list_projects

    async with transaction(engine) as db:
        with pytest.raises(TypeError, match="workspace_id"):
            await list_projects(db)  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="workspace_id"):
            await get_project(db, name="A38 Derby Junctions")  # type: ignore[call-arg]

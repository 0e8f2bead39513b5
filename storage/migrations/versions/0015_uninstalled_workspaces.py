"""when a workspace uninstalled the app, and the workspace each job is sent in

Revision ID: 0015
Revises: 0014
Created: 2026-11-30 19:20:00

Jobs queued before this revision learn their workspace from what they name: a workspace's
digest or returns its workspace, a project's message its project's. A plain message (a
confirmation) names neither and keeps none: it is sent, or dropped when Slack says the
token is gone.
"""

import json

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None
CHUNK = 500  # job ids per UPDATE


def upgrade() -> None:
    with op.batch_alter_table("workspace") as batch:
        batch.add_column(sa.Column("uninstalled_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("workspace_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_job_workspace_id_workspace", "workspace", ["workspace_id"], ["id"])
        batch.create_index("ix_job_workspace_id", ["workspace_id"], unique=False)
    bind = op.get_bind()
    projects = dict(bind.execute(sa.text("SELECT id, workspace_id FROM project")).all())
    workspaces = {row[0] for row in bind.execute(sa.text("SELECT id FROM workspace")).all()}
    jobs_of: dict[int, list[int]] = {}
    for job_id, payload in bind.execute(sa.text("SELECT id, payload FROM job")).all():
        named = json.loads(payload) if isinstance(payload, str) else payload or {}
        workspace = named.get("workspace_id") if named.get("workspace_id") in workspaces else projects.get(named.get("project_id"))
        if workspace is not None:
            jobs_of.setdefault(workspace, []).append(job_id)
    for workspace, ids in jobs_of.items():
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            bind.execute(sa.text("UPDATE job SET workspace_id = :w WHERE id IN :ids").bindparams(sa.bindparam("ids", expanding=True)), {"w": workspace, "ids": chunk})


def downgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.drop_index("ix_job_workspace_id")
        batch.drop_constraint("fk_job_workspace_id_workspace", type_="foreignkey")
        batch.drop_column("workspace_id")
    with op.batch_alter_table("workspace") as batch:
        batch.drop_column("uninstalled_at")

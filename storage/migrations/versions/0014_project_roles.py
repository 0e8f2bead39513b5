"""the editors a project's lead lets change its plan, and whether its channel is private

Revision ID: 0014
Revises: 0013
Created: 2026-11-30 19:00:00

Until now anyone in the workspace could answer or edit a plan. Everyone who already has
(an author of one of its answers, other than its lead) is made an editor, so nobody who
was working on a plan is shut out of it by the upgrade.
"""

import re
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.models import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,31}")  # a terminal's authors are names, not people to let in


def upgrade() -> None:
    editors = op.create_table(
        "project_editor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("added_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "user_id"),
    )
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("channel_private", sa.Boolean(), nullable=True))
    authors = op.get_bind().execute(
        sa.text(
            "SELECT DISTINCT answer.project_id, answer.author FROM answer JOIN project ON project.id = answer.project_id"
            " WHERE project.lead IS NULL OR answer.author <> project.lead ORDER BY answer.project_id, answer.author"
        )
    )
    now = datetime.now(UTC)
    rows = [
        {"project_id": project_id, "user_id": author, "added_by": "upgrade", "added_at": now}
        for project_id, author in authors
        if SLACK_USER.fullmatch(author)
    ]
    if rows:
        op.bulk_insert(editors, rows)


def downgrade() -> None:
    op.drop_table("project_editor")
    with op.batch_alter_table("project") as batch:
        batch.drop_column("channel_private")

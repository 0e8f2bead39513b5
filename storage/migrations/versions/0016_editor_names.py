"""an editor named in the terminal may be as long as any person's name (200 characters), and
whether a Slack user is a guest of their workspace (not known for anyone until asked)

Revision ID: 0016
Revises: 0015
Created: 2026-11-30 20:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("project_editor") as batch:
        batch.alter_column(
            "user_id",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=32),
            type_=sqlmodel.sql.sqltypes.AutoString(length=200),
            existing_nullable=False,
        )
    with op.batch_alter_table("slackuser") as batch:
        batch.add_column(sa.Column("guest", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("slackuser") as batch:
        batch.drop_column("guest")
    with op.batch_alter_table("project_editor") as batch:
        batch.alter_column(
            "user_id",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=200),
            type_=sqlmodel.sql.sqltypes.AutoString(length=32),
            existing_nullable=False,
        )

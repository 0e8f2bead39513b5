"""slack user name and gone: a person's name for files, and whether Slack still has them

Revision ID: 0007
Revises: 0006
Created: 2026-11-29 19:30:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("slackuser") as batch:
        batch.add_column(sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch.add_column(sa.Column("gone", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("slackuser") as batch:
        batch.drop_column("gone")
        batch.drop_column("name")

"""flow session unshown step: the step whose question Slack refused to show

Revision ID: 0006
Revises: 0005
Created: 2026-11-29 17:12:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flowsession") as batch:
        batch.add_column(sa.Column("unshown_step", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("flowsession") as batch:
        batch.drop_column("unshown_step")

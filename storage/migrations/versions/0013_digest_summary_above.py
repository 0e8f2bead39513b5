"""the size above which a workspace's digest is a summary

Revision ID: 0013
Revises: 0012
Created: 2026-11-30 16:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digestconfig") as batch:
        batch.add_column(sa.Column("summary_above", sa.Integer(), server_default="200", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("digestconfig") as batch:
        batch.drop_column("summary_above")

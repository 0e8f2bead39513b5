"""measure kinds and profiles, and the "Other" rating of an update

A measure's `cumulative` flag becomes its kind (running total, or amounts per period); levels
and milestones are new kinds. A measure may carry a profile of planned values. An update may
say why its performance is rated Other.

Revision ID: 0010
Revises: 0009
Created: 2026-11-30 11:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("measure") as batch:
        batch.add_column(sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default="total"))
        batch.add_column(sa.Column("profile", sa.JSON(), nullable=True))
    op.execute("UPDATE measure SET kind = 'per_period' WHERE NOT cumulative")
    with op.batch_alter_table("measure") as batch:
        batch.drop_column("cumulative")
    with op.batch_alter_table("progressupdate") as batch:
        batch.add_column(sa.Column("other_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("progressupdate") as batch:
        batch.drop_column("other_reason")
    with op.batch_alter_table("measure") as batch:
        batch.add_column(sa.Column("cumulative", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute("UPDATE measure SET cumulative = (kind <> 'per_period')")
    with op.batch_alter_table("measure") as batch:
        batch.drop_column("profile")
        batch.drop_column("kind")

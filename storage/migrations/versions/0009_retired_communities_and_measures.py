"""retired communities and measures: removed from the plan by someone, at a time, and kept

Revision ID: 0009
Revises: 0008
Created: 2026-11-30 08:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("community", "measure"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("retired_at", storage.models.UTCDateTime(timezone=True), nullable=True))
            batch.add_column(sa.Column("retired_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))


def downgrade() -> None:
    for table in ("community", "measure"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("retired_by")
            batch.drop_column("retired_at")

"""case studies of good practice, with every saved version

Revision ID: 0012
Revises: 0011
Created: 2026-11-30 15:40:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.models import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_study",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("what_happened", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("benefited", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("benefited_key", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("scale", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("permalink", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("consent", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("consent_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("consent_on", sa.Date(), nullable=True),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_case_study_project_id"), "case_study", ["project_id"], unique=False)
    op.create_index(op.f("ix_case_study_workspace_id"), "case_study", ["workspace_id"], unique=False)
    op.create_table(
        "case_study_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_study_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_study_id"], ["case_study.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_study_id", "version"),
    )


def downgrade() -> None:
    op.drop_table("case_study_version")
    op.drop_index(op.f("ix_case_study_workspace_id"), table_name="case_study")
    op.drop_index(op.f("ix_case_study_project_id"), table_name="case_study")
    op.drop_table("case_study")

"""slack conversations and event dedupe

Revision ID: 0002
Revises: 0001
Created: 2026-11-28 19:22:19.301590
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel

import storage.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('slackevent',
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('received_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    with op.batch_alter_table('flowsession', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('thread_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('question_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('flowsession', schema=None) as batch_op:
        batch_op.drop_column('question_ts')
        batch_op.drop_column('thread_ts')
        batch_op.drop_column('channel')

    op.drop_table('slackevent')

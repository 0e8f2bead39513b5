"""communities' needs as records, and the needs each measure answers

A community's needs text becomes its needs, one per line or semicolon; what its old
"signposting" column held (shown as "Evidenced in") becomes each need's evidence. A measure
that served one community answers every need of that community; one that served "all the
communities" answers the project as a whole. A community with no needs text but with evidence
or a measure gets one need, "Needs not yet described", so nothing it held is lost (and the
coverage view shows it as a gap to describe). Each need and each measure's link gets an answer
in the history, stamped as the answer it came from, so a past moment reads as it was.

Revision ID: 0011
Revises: 0010
Created: 2026-11-30 14:00:00
"""

import re
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.models import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UNDESCRIBED = "Needs not yet described"
AUTHOR = "migration 0011"

need = sa.table(
    "need",
    sa.column("id", sa.Integer),
    sa.column("project_id", sa.Integer),
    sa.column("community_id", sa.Integer),
    sa.column("key", sa.String),
    sa.column("name", sa.String),
    sa.column("evidence", sa.String),
    sa.column("created_at", UTCDateTime()),
)
answer = sa.table(
    "answer",
    sa.column("project_id", sa.Integer),
    sa.column("flow", sa.String),
    sa.column("flow_version", sa.Integer),
    sa.column("question", sa.String),
    sa.column("field", sa.String),
    sa.column("subject", sa.String),
    sa.column("value", sa.JSON),
    sa.column("author", sa.String),
    sa.column("created_at", UTCDateTime()),
    sa.column("version", sa.Integer),
)
measure = sa.table("measure", sa.column("id", sa.Integer), sa.column("needs", sa.JSON))


def upgrade() -> None:
    op.create_table(
        "need",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("evidence", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("signposting", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
        sa.Column("retired_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "key"),
    )
    op.create_index(op.f("ix_need_community_id"), "need", ["community_id"], unique=False)
    op.create_index(op.f("ix_need_project_id"), "need", ["project_id"], unique=False)
    with op.batch_alter_table("measure") as batch:
        batch.add_column(sa.Column("needs", sa.JSON(), nullable=True))
    _move_needs(op.get_bind())
    with op.batch_alter_table("measure") as batch:
        batch.drop_column("community_id")
    with op.batch_alter_table("community") as batch:
        batch.drop_column("needs")
        batch.drop_column("signposting")


def _latest_answers(bind: sa.Connection, question: str, field: str) -> dict[tuple[int, str], Any]:
    """(project id, subject) -> the current answer of that question's field."""
    rows = bind.execute(
        sa.select(answer.c.project_id, answer.c.subject, answer.c.value, answer.c.author, answer.c.created_at)
        .where(answer.c.question == question, answer.c.field == field)
        .order_by(answer.c.version)
    )
    return {(row.project_id, row.subject): row for row in rows}


def _move_needs(bind: sa.Connection) -> None:
    stamped = {"created_at": UTCDateTime()}
    communities = bind.execute(
        sa.text("SELECT id, project_id, key, needs, signposting, created_at FROM community ORDER BY project_id, id").columns(**stamped)
    ).all()
    measures = bind.execute(sa.text("SELECT id, project_id, key, community_id, created_at FROM measure ORDER BY id").columns(**stamped)).all()
    community_answers = _latest_answers(bind, "why", "communities")
    link_answers = _latest_answers(bind, "what", "community")
    linked = {m.community_id for m in measures if m.community_id is not None}
    needs_of: dict[int, list[str]] = {}
    count: dict[int, int] = {}
    for community in communities:
        names = [part.strip() for part in re.split(r"[\n;]", community.needs or "") if part.strip()]
        if not names and (community.signposting or community.id in linked):
            names = [UNDESCRIBED]
        said = community_answers.get((community.project_id, community.key))
        stamp = said.created_at if said is not None else community.created_at
        for name in names:
            count[community.project_id] = count.get(community.project_id, 0) + 1
            key = f"n{count[community.project_id]}"
            evidence = community.signposting or None
            bind.execute(
                need.insert().values(
                    project_id=community.project_id, community_id=community.id, key=key, name=name, evidence=evidence, created_at=stamp
                )
            )
            _answer(bind, community.project_id, "why", "needs", key, {"name": name, "evidence": evidence, "signposting": None}, said, stamp)
            needs_of.setdefault(community.id, []).append(key)
    for row in measures:
        said = link_answers.get((row.project_id, row.key))
        if row.community_id is not None:
            keys: list[str] | None = needs_of.get(row.community_id, [])
        elif said is not None and said.value == "all":
            keys = ["project"]
        else:
            continue
        bind.execute(measure.update().where(measure.c.id == row.id).values(needs=keys))
        _answer(bind, row.project_id, "what", "needs", row.key, keys, said, said.created_at if said is not None else row.created_at)


def _answer(bind: sa.Connection, project_id: int, question: str, field: str, subject: str, value: Any, said: Any, stamp: Any) -> None:
    bind.execute(
        answer.insert().values(
            project_id=project_id,
            flow="plan",
            flow_version=1,
            question=question,
            field=field,
            subject=subject,
            value=value,
            author=said.author if said is not None else AUTHOR,
            created_at=stamp,
            version=1,
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("community") as batch:
        batch.add_column(sa.Column("needs", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column("signposting", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table("measure") as batch:
        batch.add_column(sa.Column("community_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_measure_community_id", "community", ["community_id"], ["id"])
    bind = op.get_bind()
    needs = bind.execute(sa.text("SELECT project_id, community_id, key, name, evidence FROM need WHERE retired_at IS NULL ORDER BY id")).all()
    by_community: dict[int, list[Any]] = {}
    for row in needs:
        by_community.setdefault(row.community_id, []).append(row)
    for community_id, rows in by_community.items():
        evidence = "; ".join(dict.fromkeys(r.evidence for r in rows if r.evidence)) or None
        bind.execute(
            sa.text("UPDATE community SET needs = :needs, signposting = :evidence WHERE id = :id"),
            {"needs": "; ".join(r.name for r in rows), "evidence": evidence, "id": community_id},
        )
    community_of = {(r.project_id, r.key): r.community_id for r in needs}
    for row in bind.execute(sa.text("SELECT id, project_id, needs FROM measure").columns(needs=sa.JSON())).all():
        first = next((community_of[(row.project_id, k)] for k in row.needs or [] if (row.project_id, k) in community_of), None)
        if first is not None:
            bind.execute(sa.text("UPDATE measure SET community_id = :c WHERE id = :id"), {"c": first, "id": row.id})
    op.execute("DELETE FROM answer WHERE (question = 'why' AND field = 'needs') OR (question = 'what' AND field = 'needs')")
    with op.batch_alter_table("measure") as batch:
        batch.drop_column("needs")
    op.drop_index(op.f("ix_need_project_id"), table_name="need")
    op.drop_index(op.f("ix_need_community_id"), table_name="need")
    op.drop_table("need")

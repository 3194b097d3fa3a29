"""feedback answers that cannot be joined to their receipts

A feedback answer had a counting id and the receipt saying who answered a precise time, so the
n-th answer of a session belonged to the n-th receipt. Answers now carry a random id and lie in
shuffled order; receipts keep no time. The existing answers are re-written that way.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-11 09:00:00.000000
"""

import random
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _answers(id_type: sa.types.TypeEngine[Any]) -> sa.TableClause:
    return sa.table(
        "feedback_answers",
        sa.column("id", id_type),
        sa.column("session_id", sa.Integer()),
        sa.column("questionnaire_id", sa.Integer()),
        sa.column("answers", sa.JSON()),
    )


def _take_answers() -> list[dict[str, object]]:
    """Read every answer and drop the table, to be created again with other ids."""
    old = _answers(sa.Integer())
    rows = [
        {"session_id": s, "questionnaire_id": q, "answers": a}
        for s, q, a in op.get_bind().execute(
            sa.select(old.c.session_id, old.c.questionnaire_id, old.c.answers)
        )
    ]
    op.drop_table("feedback_answers")
    return rows


def _create_answers(id_column: sa.Column[Any]) -> None:
    op.create_table(
        "feedback_answers",
        id_column,
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["questionnaire_id"],
            ["questionnaires.id"],
        ),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feedback_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_answers_session_id"), ["session_id"], unique=False
        )


def upgrade() -> None:
    with op.batch_alter_table("feedback_receipts", schema=None) as batch_op:
        batch_op.drop_column("created_at")
    rows = _take_answers()
    _create_answers(sa.Column("id", sa.Uuid(), nullable=False))
    random.SystemRandom().shuffle(rows)
    if rows:
        op.bulk_insert(_answers(sa.Uuid()), [{"id": uuid.uuid4(), **row} for row in rows])


def downgrade() -> None:
    with op.batch_alter_table("feedback_receipts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "created_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
    with op.batch_alter_table("feedback_receipts", schema=None) as batch_op:
        batch_op.alter_column("created_at", server_default=None)
    rows = _take_answers()
    _create_answers(sa.Column("id", sa.Integer(), nullable=False))
    if rows:
        op.bulk_insert(_answers(sa.Integer()), rows)

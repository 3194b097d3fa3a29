"""accessibility feedback and the send counts of public forms

Feedback sent from the accessibility statement is kept for coordinators until a set time after
one of them marks it handled. form_send_counts counts how often one client address sent a public
form lately, under a keyed hash (no address is kept).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accessibility_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["handled_by"], ["staff.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_accessibility_feedback_handled_at", "accessibility_feedback", ["handled_at"]
    )
    op.create_table(
        "form_send_counts",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.Column("clears_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_hash"),
    )
    op.create_index("ix_form_send_counts_clears_at", "form_send_counts", ["clears_at"])


def downgrade() -> None:
    op.drop_index("ix_form_send_counts_clears_at", table_name="form_send_counts")
    op.drop_table("form_send_counts")
    op.drop_index("ix_accessibility_feedback_handled_at", table_name="accessibility_feedback")
    op.drop_table("accessibility_feedback")

"""staff password resets and the security log

A coordinator can issue a one-time link that lets a staff member set a new password: the link
holds a random id, the row only its SHA-256 and when it stops working (one live link per staff
member). The security log keeps, per staff member, what happened to their access: logins,
failures, logouts, ended sessions, password changes and resets, deactivations and two-factor
changes; never a password, a code, a token or an IP address.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-14 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("staff_id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "staff_security_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("by_staff_id", sa.Integer(), nullable=True),
        sa.Column("browser", sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["by_staff_id"], ["staff.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_staff_security_events_staff_at", "staff_security_events", ["staff_id", "at"]
    )
    op.create_index(op.f("ix_staff_security_events_at"), "staff_security_events", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_security_events_at"), table_name="staff_security_events")
    op.drop_index("ix_staff_security_events_staff_at", table_name="staff_security_events")
    op.drop_table("staff_security_events")
    op.drop_table("staff_password_resets")

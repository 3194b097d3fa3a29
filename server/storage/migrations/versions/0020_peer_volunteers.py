"""parents who continue as peer volunteers; staff who log in with a login name

peer_invitations: a coordinator's single-use, expiring invitation to a parent who completed a
series (server/volunteering). staff.login_name and staff.login_key (casefolded, unique): an
account may log in with a login name instead of an e-mail address, so staff.email may be NULL.
Existing accounts keep their e-mail address and get no login name.

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-03 17:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("login_name", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("login_key", sa.String(length=40), nullable=True))
        batch.alter_column("email", existing_type=sa.String(length=254), nullable=True)
        batch.create_unique_constraint("uq_staff_login_key", ["login_key"])
    op.create_table(
        "peer_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=True),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["enrolment_id"], ["enrolments.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invited_by"], ["staff.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["volunteer_id"], ["staff.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_peer_invitations_enrolment_id", "peer_invitations", ["enrolment_id"])
    op.create_index("ix_peer_invitations_series_id", "peer_invitations", ["series_id"])
    op.create_index("ix_peer_invitations_volunteer_id", "peer_invitations", ["volunteer_id"])
    op.create_index(
        "uq_peer_invitation_open",
        "peer_invitations",
        ["enrolment_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("uq_peer_invitation_open", table_name="peer_invitations")
    op.drop_index("ix_peer_invitations_volunteer_id", table_name="peer_invitations")
    op.drop_index("ix_peer_invitations_series_id", table_name="peer_invitations")
    op.drop_index("ix_peer_invitations_enrolment_id", table_name="peer_invitations")
    op.drop_table("peer_invitations")
    # An account without an e-mail address cannot survive the way down: its login is gone.
    op.execute("DELETE FROM staff WHERE email IS NULL")
    with op.batch_alter_table("staff") as batch:
        batch.drop_constraint("uq_staff_login_key", type_="unique")
        batch.alter_column("email", existing_type=sa.String(length=254), nullable=False)
        batch.drop_column("login_key")
        batch.drop_column("login_name")

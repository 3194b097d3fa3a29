"""individual times a facilitator offers and one parent books

sessions.kind: "group" for every existing session; "individual" for a time offered to the parents
of a series, whose room only the parent who booked it (sessions.booked_enrolment_id) and the staff
may enter. series.individual_limit: how many such times one parent may hold at once (1).

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-03 17:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=10), nullable=False, server_default="group")
        )
        batch.add_column(sa.Column("booked_enrolment_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_sessions_booked_enrolment_id_enrolments",
            "enrolments",
            ["booked_enrolment_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_sessions_booked_enrolment_id", ["booked_enrolment_id"])
    with op.batch_alter_table("series") as batch:
        batch.add_column(
            sa.Column("individual_limit", sa.Integer(), nullable=False, server_default="1")
        )


def downgrade() -> None:
    with op.batch_alter_table("series") as batch:
        batch.drop_column("individual_limit")
    # The individual times go, with what refers to them: SQLite runs migrations with foreign
    # keys off, so ON DELETE CASCADE would not follow (and the check after would refuse).
    individual = "SELECT id FROM sessions WHERE kind = 'individual'"
    op.execute(
        "DELETE FROM room_presence WHERE member_id IN"  # noqa: S608 - constant SQL
        f" (SELECT id FROM room_members WHERE session_id IN ({individual}))"
    )
    # A ban given in such a room holds on, and the log keeps what staff did: only the room goes.
    for name in ("series_bans", "moderation_log"):
        op.execute(f"UPDATE {name} SET session_id = NULL WHERE session_id IN ({individual})")  # noqa: S608
    for name in (
        "room_members",
        "room_events",
        "rooms",
        "attendance_corrections",
        "feedback_receipts",
        "feedback_answers",
    ):
        op.execute(f"DELETE FROM {name} WHERE session_id IN ({individual})")  # noqa: S608
    op.execute("DELETE FROM sessions WHERE kind = 'individual'")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_index("ix_sessions_booked_enrolment_id")
        batch.drop_constraint("fk_sessions_booked_enrolment_id_enrolments", type_="foreignkey")
        batch.drop_column("booked_enrolment_id")
        batch.drop_column("kind")

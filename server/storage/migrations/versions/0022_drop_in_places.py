"""a drop-in viewer holds a place in the session they joined from the join

enrolments.live_session_id: the session a drop-in viewer last joined
(server/scheduling/drop_in.py). Capacity counted only viewers who had entered the room, so two
visitors joining at once could both take the last place; a join now records its session and is
counted under the series lock. Existing viewers have none (those in a room are still counted
by their room membership).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 21:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("enrolments") as batch:
        batch.add_column(sa.Column("live_session_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_enrolments_live_session_id_sessions",
            "sessions",
            ["live_session_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_enrolments_live_session_id", ["live_session_id"])


def downgrade() -> None:
    with op.batch_alter_table("enrolments") as batch:
        batch.drop_index("ix_enrolments_live_session_id")
        batch.drop_constraint("fk_enrolments_live_session_id_sessions", type_="foreignkey")
        batch.drop_column("live_session_id")

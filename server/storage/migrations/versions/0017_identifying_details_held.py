"""a series may hold messages with identifying details for a moderator's approval

series.identifying_held: when true, a chat message a parent sends anyway after the room asked
about identifying details waits for a moderator (server/rooms/holding.py). Existing series keep
posting such messages as before (false).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 15:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("series") as batch:
        batch.add_column(
            sa.Column("identifying_held", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("series") as batch:
        batch.drop_column("identifying_held")

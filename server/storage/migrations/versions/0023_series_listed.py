"""a series may be left off the public list, reachable by its address only

series.listed: whether the front page, the series list and the public API show the series. A
training series for volunteers-to-be (the experience partner training) was listed beside the
parents' groups, where a parent looking for a group could enrol in it by mistake; its address is
now handed to the people invited instead. Existing series stay listed.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 05:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("series") as batch:
        batch.add_column(
            sa.Column("listed", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("series") as batch:
        batch.drop_column("listed")

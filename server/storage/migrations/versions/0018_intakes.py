"""intakes: series parents enrol into before their groups are composed

series.intake: true for an intake (parents enrol and answer the questions; after its deadline a
coordinator composes groups from it; it has no sessions of its own). Existing series are groups
as before (false).
series.intake_id: for a group composed from an intake, that intake; None otherwise. An intake
deleted leaves its groups standing (SET NULL).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 17:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("series") as batch:
        batch.add_column(
            sa.Column("intake", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("intake_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_series_intake_id_series", "series", ["intake_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_series_intake_id", ["intake_id"])


def downgrade() -> None:
    with op.batch_alter_table("series") as batch:
        batch.drop_index("ix_series_intake_id")
        batch.drop_constraint("fk_series_intake_id_series", type_="foreignkey")
        batch.drop_column("intake_id")
        batch.drop_column("intake")

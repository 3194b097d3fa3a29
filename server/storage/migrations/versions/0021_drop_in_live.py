"""a stage series may let visitors drop in to a live session without enrolling

series.drop_in: when true, a running stage session's public page offers "Join the live now"
(server/enrolment/drop_in.py). enrolments.drop_in marks the enrolment such a visitor gets
(status "drop_in", no e-mail address); enrolments.browser_key is a keyed hash of the visitor's
browser cookie for that series, so a ban and the one feedback hold for that browser. Existing
series allow no drop-in (false); existing enrolments are not drop-ins.

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-03 17:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("series") as batch:
        batch.add_column(
            sa.Column("drop_in", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("enrolments") as batch:
        batch.add_column(
            sa.Column("drop_in", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("browser_key", sa.String(length=64), nullable=True))
        batch.create_index("ix_enrolments_series_browser", ["series_id", "browser_key"])


def downgrade() -> None:
    with op.batch_alter_table("enrolments") as batch:
        batch.drop_index("ix_enrolments_series_browser")
        batch.drop_column("browser_key")
        batch.drop_column("drop_in")
    with op.batch_alter_table("series") as batch:
        batch.drop_column("drop_in")

"""staff deactivation: when an account was deactivated, instead of an active flag

A coordinator deactivates a staff account who left the organisation and can reactivate it; the
time it happened is kept (UTC). ``deactivated_at IS NULL`` now means active, so the old
``active`` flag goes: two columns for one fact would sooner or later disagree.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True))
    # The old flag kept no time; the moment of the upgrade is the closest honest one.
    op.execute('UPDATE staff SET deactivated_at = CURRENT_TIMESTAMP WHERE NOT active')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('active')


def downgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true())
        )
    op.execute('UPDATE staff SET active = (deactivated_at IS NULL)')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.alter_column('active', server_default=None)
        batch_op.drop_column('deactivated_at')

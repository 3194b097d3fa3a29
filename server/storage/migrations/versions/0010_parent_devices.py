"""parent devices: the personal link is swapped for a cookie, and opens nothing while one is held

An enrolment records the browser its link was swapped for (only a hash of the cookie's secret)
and until when that browser holds it; see server/enrolment/devices.py. Existing enrolments start
with no device: their links work as before until first opened.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-11 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('device_expires_at', sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_unique_constraint('uq_enrolments_device_hash', ['device_hash'])


def downgrade() -> None:
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_constraint('uq_enrolments_device_hash', type_='unique')
        batch_op.drop_column('device_expires_at')
        batch_op.drop_column('device_hash')

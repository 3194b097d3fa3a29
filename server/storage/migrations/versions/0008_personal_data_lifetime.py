"""personal data lifetime: when an enrolment's e-mail address, answers and notices were deleted

E-mail addresses, enrolment answers and notices are deleted a set number of days after the series
ends (``TUPA_PERSONAL_DATA_RETENTION_DAYS``) or at once when a parent's data is erased; the time it
happened is kept (UTC), so the background pass skips enrolments already done and the staff page can
say why an address is missing.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('personal_data_deleted_at', sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_column('personal_data_deleted_at')

"""bans that hold: who banned, bans and log entries outside a room

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('series_bans', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('by_name', sa.String(length=60), nullable=False, server_default='')
        )
        batch_op.alter_column('session_id', existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table('moderation_log', schema=None) as batch_op:
        batch_op.alter_column('session_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # Entries and bans without a session cannot be kept under the old schema.
    op.execute('DELETE FROM moderation_log WHERE session_id IS NULL')
    op.execute('DELETE FROM series_bans WHERE session_id IS NULL')
    with op.batch_alter_table('moderation_log', schema=None) as batch_op:
        batch_op.alter_column('session_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('series_bans', schema=None) as batch_op:
        batch_op.alter_column('session_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('by_name')

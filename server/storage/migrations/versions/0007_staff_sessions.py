"""staff sessions kept on the server

A staff login used to live in a signed cookie, which carried the data with it (a pending two-factor
secret among it) and could not be ended before it expired. Each login is now a row: the cookie
holds a random id, the row its SHA-256, created and last-seen times and a coarse browser name.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'staff_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('browser', sa.String(length=60), nullable=False),
        sa.Column('code_due', sa.Boolean(), nullable=False),
        sa.Column('next_path', sa.String(length=200), nullable=True),
        sa.Column('totp_setup', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index(
        op.f('ix_staff_sessions_staff_id'), 'staff_sessions', ['staff_id'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_staff_sessions_staff_id'), table_name='staff_sessions')
    op.drop_table('staff_sessions')

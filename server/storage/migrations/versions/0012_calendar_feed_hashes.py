"""staff calendar feeds kept as hashes

A staff member's calendar feed address carries a token that is a working credential (a calendar
app subscribes with it, no login). It was kept in plain text, so a copy of the database read every
staff member's sessions. The column now holds the token's SHA-256 (as staff sessions and personal
links do); the same address hashes to the same value, so existing subscriptions keep working. The
address is shown once, when its owner makes it; an account has no feed until then (NULL).

Downgrading cannot bring the old tokens back: every staff member gets a new random token, and
every existing subscription stops working.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-13 09:00:00.000000
"""

import hashlib
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

staff = sa.table(
    "staff",
    sa.column("id", sa.Integer()),
    sa.column("calendar_token", sa.String()),
    sa.column("calendar_token_hash", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_token_hash", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    for staff_id, token in bind.execute(sa.select(staff.c.id, staff.c.calendar_token)).all():
        hashed = hashlib.sha256(token.encode()).hexdigest()
        bind.execute(
            staff.update().where(staff.c.id == staff_id).values(calendar_token_hash=hashed)
        )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("calendar_token")
        batch_op.create_unique_constraint("uq_staff_calendar_token_hash", ["calendar_token_hash"])


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_token", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    for (staff_id,) in bind.execute(sa.select(staff.c.id)).all():
        bind.execute(
            staff.update()
            .where(staff.c.id == staff_id)
            .values(calendar_token=secrets.token_urlsafe(24))
        )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_constraint("uq_staff_calendar_token_hash", type_="unique")
        batch_op.drop_column("calendar_token_hash")
        batch_op.alter_column("calendar_token", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("staff_calendar_token_key", ["calendar_token"])

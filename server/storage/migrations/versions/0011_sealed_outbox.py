"""outbox mail sealed, and deleted once sent

The outbox kept every mail in plain text for good: the recipient's address next to the body with
a working personal link, also after it was sent. Recipient, subject and body now travel together
in one ``sealed`` column, encrypted with a key derived from the secret key, and are deleted once
the mail is sent; each row also names its template and language for the operator's listing.

A migration cannot encrypt (it does not hold the secret key), so: the content of sent mail is
deleted here; mail not yet sent keeps its content as plain JSON marked ``plain:`` until the next
background pass of ``tupa serve`` seals it (server/notify/outbox.py ``tidy``). Downgrading brings
the columns back; sealed content cannot be read without the key and comes back empty.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-12 09:00:00.000000
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGACY = "plain:"


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("template", sa.String(length=40), nullable=False, server_default="mail")
        )
        batch_op.add_column(
            sa.Column("language", sa.String(length=5), nullable=False, server_default="fi")
        )
        batch_op.add_column(sa.Column("sealed", sa.Text(), nullable=True))
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer()),
        sa.column("recipient", sa.String()),
        sa.column("subject", sa.String()),
        sa.column("body", sa.Text()),
        sa.column("sent_at", sa.DateTime(timezone=True)),
        sa.column("sealed", sa.Text()),
    )
    bind = op.get_bind()
    waiting = bind.execute(
        sa.select(outbox.c.id, outbox.c.recipient, outbox.c.subject, outbox.c.body).where(
            outbox.c.sent_at.is_(None)
        )
    ).all()
    for row in waiting:
        content = {"recipient": row.recipient, "subject": row.subject, "body": row.body}
        bind.execute(
            outbox.update()
            .where(outbox.c.id == row.id)
            .values(sealed=LEGACY + json.dumps(content))
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("body")
        batch_op.drop_column("subject")
        batch_op.drop_column("recipient")
        batch_op.alter_column("template", server_default=None)
        batch_op.alter_column("language", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recipient", sa.String(length=254), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("subject", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("sealed")
        batch_op.drop_column("language")
        batch_op.drop_column("template")
        batch_op.alter_column("recipient", server_default=None)
        batch_op.alter_column("subject", server_default=None)
        batch_op.alter_column("body", server_default=None)

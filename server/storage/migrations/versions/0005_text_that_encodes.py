"""text that encodes: lone surrogates in stored room events become U+FFFD

Before frames were checked for text that cannot be encoded as UTF-8, a message, question or
report reason could be stored with a lone surrogate (sent as a JSON escape such as "\\ud800").
Such a row cannot be sent to anyone: every newcomer's welcome carrying it failed. This replaces
each lone surrogate in stored event data with the replacement character, once.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00.000000
"""

import json
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LONE_SURROGATE = re.compile('[\ud800-\udfff]')
BATCH = 500


def _repaired(value: Any) -> Any:
    if isinstance(value, str):
        return LONE_SURROGATE.sub('\ufffd', value)
    if isinstance(value, list):
        return [_repaired(item) for item in value]
    if isinstance(value, dict):
        return {_repaired(key): _repaired(item) for key, item in value.items()}
    return value


def upgrade() -> None:
    connection = op.get_bind()
    # A surrogate can only be stored escaped; pairs (emoji) are escaped alike, so candidates are
    # checked one by one after decoding, where a pair is one character and a lone one is not.
    candidates = connection.execute(
        sa.text(
            "SELECT id, CAST(data AS TEXT) FROM room_events "
            "WHERE lower(CAST(data AS TEXT)) LIKE '%\\ud%' ESCAPE '!'"
        )
    )
    updates = []
    for row_id, stored in candidates:
        data = json.loads(stored)
        repaired = _repaired(data)
        if repaired != data:
            updates.append({'id': row_id, 'data': json.dumps(repaired)})
    update = sa.text('UPDATE room_events SET data = :data WHERE id = :id')
    if connection.dialect.name == 'postgresql':
        update = sa.text('UPDATE room_events SET data = CAST(:data AS JSON) WHERE id = :id')
    for start in range(0, len(updates), BATCH):
        connection.execute(update, updates[start : start + BATCH])


def downgrade() -> None:
    pass  # the replaced characters could not be sent to anyone; there is nothing to restore

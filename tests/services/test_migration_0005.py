"""Stored text with lone surrogates (from before frames were checked) is repaired on upgrade,
so the room's history can be sent again."""

import json

from alembic import command

from server.storage.migrate import alembic_config, upgrade
from tests.conftest import in_thread
from tests.services.migration_support import rows


def test_lone_surrogates_in_stored_events_become_replacement_characters(tmp_path):
    path = tmp_path / "tupa.db"
    url = f"sqlite+aiosqlite:///{path}"
    in_thread(command.upgrade, alembic_config(url), "0004")
    # A bare connection (no foreign keys enforced): only the rows under repair are needed.
    broken = {"text": "hei \ud800 ja \udfff", "reason": ["\udc00"], "peer": "aaaa"}
    emoji = {"text": "hei 👋"}
    for seq, data in ((1, broken), (2, emoji)):
        rows(
            path,
            "INSERT INTO room_events (id, session_id, seq, type, data, audience, created_at) "
            "VALUES (:seq, 1, :seq, 'message', :data, '{}', '2026-12-01 10:00:00')",
            seq=seq,
            data=json.dumps(data),
        )
    in_thread(upgrade, url)
    stored = {
        seq: json.loads(data) for seq, data in rows(path, "SELECT seq, data FROM room_events")
    }
    assert stored[1] == {"text": "hei \ufffd ja \ufffd", "reason": ["\ufffd"], "peer": "aaaa"}
    assert stored[2] == emoji
    json.dumps(stored[1], ensure_ascii=False).encode()  # sendable again

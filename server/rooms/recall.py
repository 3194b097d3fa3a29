"""Who wrote an older message, read back from the database: a room keeps only its recent ones in
memory (``state.MESSAGE_WINDOW``), and a moderator may still delete, or anyone report, one from
the start of a long session."""

from __future__ import annotations

from sqlalchemy import select

from server.rooms.commands import Command, Delete, Report
from server.rooms.erasure import WRITTEN
from server.rooms.events import Audience, EventType
from server.rooms.state import MessageInfo, RoomState
from server.storage.db import Database
from server.storage.tables import RoomEventRow


async def recall(database: Database, state: RoomState, command: Command) -> None:
    """Put the message ``command`` is about into ``state.messages`` if it is stored but no
    longer in memory, so that the room's rules judge it as they would a recent one. The next
    ``RoomState.forget_old`` lets go of it again."""
    if not isinstance(command, (Delete, Report)):
        return
    seq = command.seq
    if seq in state.messages or not 0 < seq <= state.last_seq:
        return
    async with database.unit_of_work() as db:
        row = (
            await db.execute(
                select(
                    RoomEventRow.actor,
                    RoomEventRow.type,
                    RoomEventRow.audience,
                    RoomEventRow.deleted_at,
                ).where(
                    RoomEventRow.session_id == state.session_id,
                    RoomEventRow.seq == seq,
                    RoomEventRow.type.in_([t.value for t in WRITTEN]),
                )
            )
        ).first()
    if row is None or row.actor is None or seq in state.messages:
        return
    kind = EventType(row.type)
    peers = Audience.from_json(row.audience).peers if kind is EventType.PRIVATE else frozenset()
    deleted = row.deleted_at is not None
    # An approved held message is a message like any other (``apply._on_held_settled``).
    shown = "message" if kind is EventType.HELD_APPROVED else kind.value
    state.messages[seq] = MessageInfo(row.actor, shown, peers, deleted)

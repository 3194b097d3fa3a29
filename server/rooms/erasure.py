"""What an erasure deletes in a room: everything the person wrote, through the room's own events.

An erased parent's committed ``access`` event (``AccessReason.ERASED``) closes their sockets, and
``apply`` and the stored rows delete all they wrote; the ``deleted`` events made here tell the
people connected now, exactly as a moderator's deletion would. The ``access`` event deletes whatever
the person wrote even if it arrived after these were made, so live state and storage agree.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.rooms.events import EVERYONE, Audience, Event, EventType
from server.rooms.state import Member, MessageInfo
from server.storage.tables import RoomEventRow

# What a person wrote: a held message and its approval carry the author as actor, too.
WRITTEN = (
    EventType.MESSAGE,
    EventType.PRIVATE,
    EventType.QUESTION,
    EventType.HELD,
    EventType.HELD_APPROVED,
)


def deletion(seq: int, info: MessageInfo) -> Event:
    """A ``deleted`` event for one message, seen as a moderator's deletion is: a private message
    by its two people, anything else by everyone admitted. No actor: nobody in the room did it."""
    audience = Audience(peers=info.peers) if info.kind == EventType.PRIVATE else EVERYONE
    return Event(EventType.DELETED, {"message": seq}, audience)


async def written_by(db: AsyncSession, session_id: int, peer: str) -> dict[int, MessageInfo]:
    """What ``peer`` wrote in the room and is still stored with its text, by sequence number."""
    rows = await db.execute(
        select(RoomEventRow.seq, RoomEventRow.type, RoomEventRow.audience)
        .where(
            RoomEventRow.session_id == session_id,
            RoomEventRow.actor == peer,
            RoomEventRow.type.in_([t.value for t in WRITTEN]),
            RoomEventRow.deleted_at.is_(None),
        )
        .order_by(RoomEventRow.seq)
    )
    return {
        seq: MessageInfo(peer, kind, _pair(kind, Audience.from_json(audience)))
        for seq, kind, audience in rows
    }


def _pair(kind: str, audience: Audience) -> frozenset[str]:
    return audience.peers if kind == EventType.PRIVATE else frozenset()


async def deletions(db: AsyncSession, session_id: int, people: list[Member]) -> list[Event]:
    """The ``deleted`` events for everything ``people`` wrote in the room."""
    events = []
    for person in people:
        written = await written_by(db, session_id, person.peer)
        events += [deletion(seq, info) for seq, info in written.items()]
    return events

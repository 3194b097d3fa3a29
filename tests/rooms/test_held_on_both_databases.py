"""Held messages through the real hub on SQLite and PostgreSQL (issue 21, point 2): what is
stored, what each person is sent, and that a room rebuilt from storage agrees with the live one."""

from sqlalchemy import select

from server.rooms.store import load_state
from server.storage.tables import ModerationLogRow, RoomEventRow
from tests.rooms.hub_support import HubRoom, an_open_room, until

PHONE = "Soita 040 123 4567"
ADDRESS = "Asun Hämeenkatu 3 B 12"


async def _send_anyway(room: HubRoom, name: str, cid: str, text: str) -> int:
    await room.receive(name, type="send", cid=cid, text=text)
    await until(lambda: bool(room.sockets[name].of_type("check", cid=cid)))
    await room.receive(name, type="send", cid=cid, text=text, confirmed=True)
    await until(lambda: bool(room.sockets[name].answers(cid)))
    [ack] = room.sockets[name].answers(cid)
    return int(ack["seq"])


async def _stored(room: HubRoom) -> list[str]:
    async with room.hub.database.unit_of_work() as db:
        rows = await db.scalars(
            select(RoomEventRow).where(RoomEventRow.session_id == room.session.id)
        )
        return [str(row.data) for row in rows]


async def test_held_then_approved_and_rejected_agrees_with_storage(database, org, clock):
    room = await an_open_room(database, org, clock, "AB", identifying_held=True)
    try:
        approved = await _send_anyway(room, "A", "c1", PHONE)
        rejected = await _send_anyway(room, "A", "c2", ADDRESS)
        await until(lambda: len(room.sockets["F"].of_type("held")) == 2)
        assert [f["seq"] for f in room.sockets["A"].of_type("held")] == [approved, rejected]
        assert not any(f["type"].startswith("held") for f in room.sockets["B"].frames)
        assert PHONE not in str(room.sockets["B"].frames)

        await room.receive("F", type="held", message=approved, approve=True)
        await room.receive("F", type="held", message=rejected, approve=False)
        await until(lambda: bool(room.sockets["A"].of_type("held_rejected", held=rejected)))
        [posted] = room.sockets["B"].of_type("held_approved", held=approved)
        assert posted["text"] == PHONE and "flagged" not in posted
        assert ADDRESS not in str(room.sockets["B"].frames)
        assert "text" not in room.sockets["A"].of_type("held_rejected")[0]

        stored = await _stored(room)
        assert sum(PHONE in data for data in stored) == 1  # in the approval only
        assert not any(ADDRESS in data for data in stored)
        live = room.hub.rooms[room.session.id].state.durable()
        assert live["held"] == {}
        async with database.unit_of_work() as db:
            reloaded = await load_state(db, room.session, room.hub.opens_before)
        assert reloaded.durable() == live

        async with database.unit_of_work() as db:
            actions = list(
                await db.scalars(
                    select(ModerationLogRow.action)
                    .where(ModerationLogRow.action.like("held%"))
                    .order_by(ModerationLogRow.id)
                )
            )
        assert actions == ["held", "held", "held_approved", "held_rejected"]
    finally:
        await room.hub.stop()

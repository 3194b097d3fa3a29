"""The database is the source of truth for delivery: an instance that sees a gap in a room's
sequence fills it from the stored events instead of skipping it (issue 19, point 1). Two hubs in
one process share a database and a bus whose publishing the test can hold."""

import asyncio

from sqlalchemy import func, select

from server.storage.tables import RoomEventRow
from tests.rooms.bus_support import shared_room
from tests.rooms.support import eventually


async def stored_count(database, session_id: int) -> int:
    async with database.unit_of_work() as db:
        query = select(func.count()).where(RoomEventRow.session_id == session_id)
        return int(await db.scalar(query) or 0)


async def test_an_event_whose_publish_is_held_still_reaches_everyone_in_order_exactly_once(
    database, org, clock
):
    room, facilitator = await shared_room(database, org, clock, ["Mustikka", "Puolukka"])
    try:
        mustikka = await room.enter(0, "Mustikka")  # on the instance whose publish is held
        puolukka = await room.enter(1, "Puolukka")
        before = await stored_count(database, room.session.id)
        room.buses[0].hold()
        held = asyncio.create_task(room.say(0, mustikka, "odotettu"))
        await eventually(lambda: room.buses[0].waiting == 1)
        assert await stored_count(database, room.session.id) == before + 1  # stored, unpublished
        await room.say(1, puolukka, "perässä")  # reaches both instances at once

        everyone = (facilitator, mustikka, puolukka)
        await eventually(lambda: all(len(p.messages()) == 2 for p in everyone), timeout=5)
        room.buses[0].release()
        await held  # the held publish arrives now, on both instances: already delivered
        await room.say(1, puolukka, "viimeinen")
        await eventually(lambda: all(len(p.messages()) == 3 for p in everyone), timeout=5)
        for person in everyone:
            got = person.messages()
            assert [m["text"] for m in got] == ["odotettu", "perässä", "viimeinen"], got
            assert [m["seq"] for m in got] == sorted({m["seq"] for m in got})
    finally:
        await room.stop()

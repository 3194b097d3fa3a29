"""A deactivated staff member is shut out of the live room at once, and stays out."""

import asyncio

from sqlalchemy import select

from server.people import deactivation
from server.rooms.frames import CloseCode
from server.storage.tables import StaffRow
from tests.roomclient import connect
from tests.rooms.support import open_room_with_parents


async def test_a_deactivated_facilitator_is_closed_with_4001_within_2s_and_cannot_enter_again(
    live_server, org, clock
):
    room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    coordinator = await connect(live_server, room.session_id, cookies=room.coordinator)
    await coordinator.expect("welcome")
    async with live_server.database.unit_of_work() as db:
        facilitator_id = await db.scalar(
            select(StaffRow.id).where(StaffRow.email == "facilitator@example.org")
        )
        assert facilitator_id is not None
        await deactivation.deactivate(db, facilitator_id, clock.now)

    async with asyncio.timeout(2):
        assert await facilitator.closed_with(2) == CloseCode.UNAUTHENTICATED
    again = await connect(live_server, room.session_id, cookies=room.facilitator)
    assert await again.closed_with(2) == CloseCode.UNAUTHENTICATED

    await coordinator.say("jatketaan")  # the others go on
    await parents["Mustikka"].expect("message", text="jatketaan")

"""Presence held through an instance that stops heartbeating expires (issue 19, point 4): nobody
stays "online" through an instance that was killed, and a frozen one that comes back shows its
people again. Two hubs share one bus; one of them is killed by holding everything it publishes
(its heartbeats too) and dropping its sockets without a departure."""

import asyncio

from tests.rooms.bus_support import shared_room, shown_online
from tests.rooms.support import eventually

EXPIRY = 1.0
# Scheduling on a busy machine: the sweep itself runs every quarter of the expiry.
SLACK = 0.5


async def test_people_connected_through_an_instance_that_dies_are_shown_offline_within_the_expiry(
    database, org, clock
):
    room, facilitator = await shared_room(
        database, org, clock, ["Mustikka", "Puolukka"], presence_expiry=EXPIRY
    )
    try:
        await room.enter(1, "Mustikka")
        await eventually(lambda: facilitator.sees_online("Mustikka"))
        loop = asyncio.get_running_loop()

        room.buses[1].hold()  # killed: nothing it sends arrives any more, no departure either
        killed = loop.time()
        await eventually(lambda: not facilitator.sees_online("Mustikka"), timeout=EXPIRY + 2)
        assert loop.time() - killed <= EXPIRY + SLACK
        assert "Mustikka" not in shown_online(room.hubs[0], room)

        puolukka = await room.enter(0, "Puolukka")
        assert not puolukka.sees_online("Mustikka")  # in the welcome
    finally:
        room.buses[1].release()
        await room.stop()


async def test_a_frozen_instance_shows_its_people_again_with_its_next_heartbeat(
    database, org, clock
):
    room, facilitator = await shared_room(
        database, org, clock, ["Mustikka"], presence_expiry=EXPIRY
    )
    try:
        await room.enter(1, "Mustikka")
        await eventually(lambda: facilitator.sees_online("Mustikka"))
        room.buses[1].hold()
        await eventually(lambda: not facilitator.sees_online("Mustikka"), timeout=EXPIRY + 2)

        room.buses[1].release()
        await eventually(lambda: facilitator.sees_online("Mustikka"), timeout=EXPIRY + 2)
        assert "Mustikka" in shown_online(room.hubs[0], room)
    finally:
        await room.stop()


async def test_people_on_a_live_instance_stay_online_past_the_expiry(database, org, clock):
    room, facilitator = await shared_room(
        database, org, clock, ["Mustikka"], presence_expiry=EXPIRY
    )
    try:
        mustikka = await room.enter(1, "Mustikka")
        await eventually(lambda: facilitator.sees_online("Mustikka"))
        # What is tested is time passing: three expiries of heartbeats and sweeps.
        await asyncio.sleep(3 * EXPIRY)
        assert facilitator.sees_online("Mustikka")
        assert mustikka.sees_online(shown_name(room, facilitator))
        assert all("Mustikka" in shown_online(hub, room) for hub in room.hubs)
    finally:
        await room.stop()


def shown_name(room, person) -> str:
    """The name a person is shown under in the room."""
    members = room.hubs[0].rooms[room.session.id].state.members
    return members[person.conn.peer].name

"""An individual time's room admits its booked parent and the staff only, and a parent who
cancels or moves the time is shut out of the live room at once (through an event after commit)."""

from datetime import timedelta

from server.enrolment import service as enrolment
from server.rooms.frames import CloseCode
from server.rooms.store import load_state
from server.scheduling import individual
from server.storage.tables import SessionRow
from tests.roomclient import RoomSetup, a_room, connect


async def offer_and_book(server, org, clock, room: RoomSetup, minutes: int = 5) -> int:
    """An individual time starting ``minutes`` from now, booked by Mustikka."""
    starts = (clock.now + timedelta(minutes=minutes)).astimezone(org.zone)
    async with server.database.unit_of_work() as db:
        offered = await individual.offer_time(
            db, org, room.series_id, starts.date(), starts.time(), 45, clock.now
        )
        mustikka = await enrolment.enrolment_by_token(db, room.parent_links["Mustikka"])
        await individual.book(db, org, mustikka, offered.id, clock.now)
    return offered.id


async def test_only_the_parent_who_booked_the_time_enters_its_room(live_server, org, clock):
    room = await a_room(live_server, org, clock)
    time_id = await offer_and_book(live_server, org, clock, room)
    facilitator = await connect(live_server, time_id, cookies=room.facilitator)
    await facilitator.expect("welcome")
    await facilitator.send(type="open")
    await facilitator.expect("room", status="open")
    await facilitator.send(type="lobby", enabled=False)
    await facilitator.expect("room", lobby=False)

    other = await connect(live_server, time_id, link=room.parent_links["Puolukka"])
    assert await other.closed_with(2) == CloseCode.FORBIDDEN
    booked = await connect(live_server, time_id, link=room.parent_links["Mustikka"])
    await booked.expect("welcome")
    # The group's own room still lets the other parent in: the refusal is the time's alone.
    group = await connect(live_server, room.session_id, link=room.parent_links["Puolukka"])
    assert (await group.next())["type"] in ("welcome", "waiting", "lobby")


async def test_cancelling_a_booked_time_shuts_its_parent_out_of_the_live_room(
    live_server, org, clock
):
    room = await a_room(live_server, org, clock)
    time_id = await offer_and_book(live_server, org, clock, room)
    facilitator = await connect(live_server, time_id, cookies=room.facilitator)
    await facilitator.expect("welcome")
    await facilitator.send(type="open")
    await facilitator.expect("room", status="open")
    await facilitator.send(type="lobby", enabled=False)
    await facilitator.expect("room", lobby=False)
    parent = await connect(live_server, time_id, link=room.parent_links["Mustikka"])
    await parent.expect("welcome")

    async with live_server.database.unit_of_work() as db:
        mustikka = await enrolment.enrolment_by_token(db, room.parent_links["Mustikka"])
        await individual.cancel(db, org, mustikka, time_id, clock.now)

    assert await parent.closed_with(2) == CloseCode.FORBIDDEN
    again = await connect(live_server, time_id, link=room.parent_links["Mustikka"])
    assert await again.closed_with(2) == CloseCode.FORBIDDEN
    await facilitator.send(type="ping")
    await facilitator.expect("pong")  # the room goes on for the staff
    hub = live_server.app.state.hub
    async with live_server.database.unit_of_work() as db:
        session = await db.get(SessionRow, time_id)
        rebuilt = await load_state(db, session, hub.opens_before)
    assert rebuilt.durable() == hub.rooms[time_id].state.durable()


async def test_an_individual_room_asks_about_identifying_details_and_its_ban_holds_in_the_series(
    live_server, org, clock
):
    room = await a_room(live_server, org, clock)
    time_id = await offer_and_book(live_server, org, clock, room)
    facilitator = await connect(live_server, time_id, cookies=room.facilitator)
    await facilitator.expect("welcome")
    await facilitator.send(type="open")
    await facilitator.expect("room", status="open")
    await facilitator.send(type="lobby", enabled=False)
    await facilitator.expect("room", lobby=False)
    parent = await connect(live_server, time_id, link=room.parent_links["Mustikka"])
    await parent.expect("welcome")

    await parent.send(type="send", cid="c1", text="Soita 040 123 4567")
    assert (await parent.expect("check", cid="c1"))["findings"] == ["phone"]

    await facilitator.send(type="ban", peer=parent.peer)
    assert await parent.closed_with() == CloseCode.REMOVED
    group = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    assert await group.closed_with() == CloseCode.FORBIDDEN

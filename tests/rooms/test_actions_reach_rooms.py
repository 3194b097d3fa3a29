"""Actions committed over HTTP reach the live room: the people they concern are shut out at once
with the documented close code, and the room reloads the same afterwards."""

from datetime import timedelta

from server.enrolment import service as enrolment
from server.enrolment.bans import ban, lift_ban
from server.rooms.frames import CloseCode
from server.rooms.state import MemberStatus
from server.rooms.store import load_state
from server.scheduling import service as scheduling
from server.storage.tables import EnrolmentRow, SessionRow
from tests.roomclient import a_room, connect
from tests.rooms.support import eventually, open_room_with_parents


async def enrolment_id(server, series_id, pseudonym):
    async with server.database.unit_of_work() as db:
        rows = await enrolment.enrolments_in(db, series_id)
    return next(r.id for r in rows if isinstance(r, EnrolmentRow) and r.pseudonym == pseudonym)


async def reloads_the_same(server, session_id):
    hub = server.app.state.hub
    async with server.database.unit_of_work() as db:
        session = await db.get(SessionRow, session_id)
        rebuilt = await load_state(db, session, hub.opens_before)
    assert rebuilt.durable() == hub.rooms[session_id].state.durable()


async def test_revoking_a_link_closes_the_parent_in_the_room(live_server, org, clock):
    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka"
    )
    target = await enrolment_id(live_server, room.series_id, "Mustikka")
    async with live_server.database.unit_of_work() as db:
        await enrolment.revoke_link(db, room.series_id, target, clock.now)
    assert await parents["Mustikka"].closed_with(2) == CloseCode.UNAUTHENTICATED
    await facilitator.say("jatketaan")
    await parents["Puolukka"].expect("message", text="jatketaan")  # the others go on
    await reloads_the_same(live_server, room.session_id)


async def test_ending_an_enrolment_closes_the_parent_in_the_room(live_server, org, clock):
    room, _facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    target = await enrolment_id(live_server, room.series_id, "Mustikka")
    async with live_server.database.unit_of_work() as db:
        await enrolment.remove(db, org, room.series_id, target, clock.now)
    assert await parents["Mustikka"].closed_with(2) == CloseCode.FORBIDDEN
    again = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    assert await again.closed_with(2) == CloseCode.FORBIDDEN


async def test_a_ban_from_the_series_page_closes_the_parent_and_holds_after_a_reload(
    live_server, org, clock
):
    room, _facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    peer = parents["Mustikka"].peer
    target = await enrolment_id(live_server, room.series_id, "Mustikka")
    async with live_server.database.unit_of_work() as db:
        await ban(db, org, room.series_id, target, clock.now, "Kaisa Koordinaattori")
    assert await parents["Mustikka"].closed_with(2) == CloseCode.FORBIDDEN
    state = live_server.app.state.hub.rooms[room.session_id].state
    assert state.members[peer].status is MemberStatus.BANNED
    await reloads_the_same(live_server, room.session_id)
    async with live_server.database.unit_of_work() as db:
        await lift_ban(db, room.series_id, target, clock.now, "Kaisa Koordinaattori")
    await eventually(lambda: state.members[peer].status is MemberStatus.REMOVED)
    await reloads_the_same(live_server, room.session_id)


async def test_cancelling_a_session_ends_its_room_for_everyone(live_server, org, clock):
    room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    async with live_server.database.unit_of_work() as db:
        await scheduling.cancel_session(db, org, room.series_id, room.session_id, clock.now)
    assert await parents["Mustikka"].closed_with(2) == CloseCode.ENDED
    assert await facilitator.closed_with(2) == CloseCode.ENDED


async def test_cancelling_a_series_ends_its_rooms(live_server, org, clock):
    room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    async with live_server.database.unit_of_work() as db:
        await scheduling.cancel_series(db, org, room.series_id, clock.now)
    assert await parents["Mustikka"].closed_with(2) == CloseCode.ENDED
    assert await facilitator.closed_with(2) == CloseCode.ENDED


async def test_taking_a_facilitator_off_the_series_closes_their_sockets(live_server, org, clock):
    room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    async with live_server.database.unit_of_work() as db:
        series = await scheduling.get_series(db, room.series_id)
        keep = [s.staff_id for s in series.staff if s.member.role != "facilitator"]
        await scheduling.assign_staff(db, room.series_id, keep)
    assert await facilitator.closed_with(2) == CloseCode.FORBIDDEN
    await parents["Mustikka"].send(type="ping")
    await parents["Mustikka"].expect("pong")


async def test_a_parent_waiting_for_a_moved_session_is_told_the_new_time(live_server, org, clock):
    room, _facilitator, _parents = await open_room_with_parents(live_server, org, clock)
    waiting = await connect(live_server, room.other_session_id, link=room.parent_links["Mustikka"])
    first = await waiting.expect("waiting")
    async with live_server.database.unit_of_work() as db:
        session = await scheduling.get_session(db, room.series_id, room.other_session_id)
        later = (session.starts_at + timedelta(days=1)).astimezone(org.zone)
        await scheduling.move_session(
            db, org, room.series_id, session.id, later.date(), later.time(), clock.now
        )
    moved = await waiting.expect("waiting")
    assert moved["opens_at"] != first["opens_at"]
    await reloads_the_same(live_server, room.other_session_id)


async def test_a_parent_who_only_came_to_the_door_and_is_banned_is_banned_in_the_live_room_too(
    live_server, org, clock
):
    room = await a_room(live_server, org, clock)
    facilitator = await connect(live_server, room.session_id, cookies=room.facilitator)
    await facilitator.expect("welcome")  # the room is not open yet: parents wait at the door
    door = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    await door.expect("waiting")
    await door.close()
    target = await enrolment_id(live_server, room.series_id, "Mustikka")
    async with live_server.database.unit_of_work() as db:
        await ban(db, org, room.series_id, target, clock.now, "Kaisa Koordinaattori")
    state = live_server.app.state.hub.rooms[room.session_id].state
    await eventually(lambda: any(m.name == "Mustikka" for m in state.members.values()))
    await reloads_the_same(live_server, room.session_id)

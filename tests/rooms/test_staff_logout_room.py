"""Ending a staff session closes the room sockets that session opened, and only those; the room
socket accepts pages of this site's exact origin only."""

import httpx
import pytest
import websockets
from sqlalchemy import select

from server.people import deactivation
from server.people.session_rules import token_hash
from server.rooms.frames import CloseCode
from server.storage.db import Database
from server.storage.tables import StaffSessionRow
from server.web.staff_cookie import COOKIE as STAFF_COOKIE
from tests.conftest import csrf_of
from tests.roomclient import RoomClient, connect, staff_cookie
from tests.rooms.support import open_room_with_parents


async def post_as(server, cookie_header: str, page: str, action: str) -> httpx.Response:
    """Post a form from ``page`` with exactly the cookies a browser holding them would send."""
    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": cookie_header}) as http:
        html = (await http.get(page)).text
        return await http.post(action, data={"csrf_token": csrf_of(html)})


async def test_logout_closes_that_sessions_room_socket_and_its_cookie_opens_the_room_no_more(
    live_server, org, clock
):
    room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    elsewhere = await staff_cookie(live_server, "facilitator@example.org")  # a second browser
    other_tab = await connect(live_server, room.session_id, cookies=elsewhere)
    await other_tab.expect("welcome")

    out = await post_as(live_server, room.facilitator, "/staff", "/staff/logout")
    assert out.status_code == 303

    assert await facilitator.closed_with(2) == CloseCode.UNAUTHENTICATED
    again = await connect(live_server, room.session_id, cookies=room.facilitator)
    assert await again.closed_with(2) == CloseCode.UNAUTHENTICATED
    await other_tab.say("jatketaan")  # the other session is still in the room
    await parents["Mustikka"].expect("message", text="jatketaan")


async def test_ending_a_session_from_the_list_closes_its_room_socket(live_server, org, clock):
    room, facilitator, _ = await open_room_with_parents(live_server, org, clock)
    elsewhere = await staff_cookie(live_server, "facilitator@example.org")
    held = dict(part.split("=", 1) for part in room.facilitator.split("; "))[STAFF_COOKIE]
    async with live_server.database.unit_of_work() as db:
        in_room = await db.scalar(
            select(StaffSessionRow.id).where(StaffSessionRow.token_hash == token_hash(held))
        )
    page = "/staff/security"
    ended = await post_as(live_server, elsewhere, page, f"{page}/sessions/{in_room}/end")
    assert ended.headers["location"] == "/staff/security?done=session_ended"
    assert await facilitator.closed_with(2) == CloseCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    "origin",
    [
        "https://{host}",  # the right host over another scheme
        "http://{hostname}:1",  # another port
        "http://evil.example",
        "null",
    ],
)
async def test_the_room_socket_refuses_a_page_of_another_origin(live_server, org, clock, origin):
    room, _, _ = await open_room_with_parents(live_server, org, clock)
    host = live_server.url.removeprefix("http://")
    header = origin.format(host=host, hostname=host.split(":")[0])
    url = f"{live_server.ws_url}/ws/rooms/{room.session_id}"
    ws = await websockets.connect(
        url, additional_headers={"Cookie": room.coordinator, "Origin": header}
    )
    client = RoomClient(ws)  # closed at once, before any hello
    assert await client.closed_with(2) == CloseCode.FORBIDDEN


async def test_the_room_socket_admits_a_page_of_its_own_origin(live_server, org, clock):
    room, _, _ = await open_room_with_parents(live_server, org, clock)
    url = f"{live_server.ws_url}/ws/rooms/{room.session_id}"
    ws = await websockets.connect(
        url, additional_headers={"Cookie": room.coordinator, "Origin": live_server.url}
    )
    client = RoomClient(ws)
    await client.send(type="hello", v=1)
    await client.expect("welcome")
    await client.close()


async def test_a_facilitator_in_a_room_longer_than_the_idle_limit_is_still_signed_in_after_it(
    live_server, org, clock
):
    room, facilitator, _ = await open_room_with_parents(live_server, org, clock, "Mustikka")
    for _ in range(4):  # a 100-minute session in which the browser only pings
        clock.advance(minutes=25)
        await facilitator.send(type="ping")
        await facilitator.expect("pong")
        await live_server.app.state.background.run_once()  # deletes idle sessions
    async with httpx.AsyncClient(
        base_url=live_server.url, headers={"Cookie": room.facilitator}
    ) as http:
        assert (await http.get("/staff")).status_code == 200


async def test_a_room_socket_closes_at_its_next_ping_once_its_session_is_past_the_absolute_limit(
    live_server, org, clock
):
    _, facilitator, _ = await open_room_with_parents(live_server, org, clock, "Mustikka")
    clock.advance(hours=12, minutes=1)  # TUPA_STAFF_SESSION_MAX_HOURS, however busy
    await facilitator.send(type="ping")
    assert await facilitator.closed_with(2) == CloseCode.UNAUTHENTICATED


async def test_a_deactivation_from_the_command_line_closes_open_room_sockets_at_their_next_ping(
    live_server, org, clock
):
    _, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    # `tupa staff deactivate` is another process: its own connection, no room hub to tell.
    command_line = Database(live_server.database.url)
    try:
        async with command_line.unit_of_work() as db:
            staff_id = await deactivation.staff_id_by_email(db, "facilitator@example.org")
            await deactivation.deactivate(db, staff_id, clock.now)
    finally:
        await command_line.dispose()
    await facilitator.send(type="ping")
    await facilitator.expect("pong")  # told nothing yet: no hub heard of it
    clock.advance(minutes=1)
    await facilitator.send(type="ping")
    assert await facilitator.closed_with(2) == CloseCode.UNAUTHENTICATED
    await parents["Mustikka"].say("vieläkö täällä?")  # the room goes on

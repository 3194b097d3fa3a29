"""The moderation log names who acted and on whom, for actions taken over real WebSockets."""

import asyncio
from datetime import timedelta

from sqlalchemy import select

from server.rooms.frames import CloseCode
from server.storage.tables import ModerationLogRow
from tests.conftest import LiveServer
from tests.factories import enrol_parent
from tests.roomclient import RoomClient, a_room, connect

FACILITATOR = "Olli Ohjaaja"
VOLUNTEER = "Kokemuskumppani Aino"  # seen by alias


async def logged(server: LiveServer, series_id: int) -> set[tuple[str, str, str | None]]:
    async with server.database.unit_of_work() as db:
        rows = await db.execute(
            select(
                ModerationLogRow.actor_name, ModerationLogRow.action, ModerationLogRow.target_name
            ).where(ModerationLogRow.series_id == series_id)
        )
        return {(actor, action, target) for actor, action, target in rows}


async def until_logged(
    server: LiveServer, series_id: int, expected: set[tuple[str, str, str | None]]
) -> set[tuple[str, str, str | None]]:
    """The log once every expected action is in it (by action), or what it has after 5 s."""
    actions = {action for _actor, action, _target in expected}
    deadline = asyncio.get_running_loop().time() + 5
    while True:
        rows = await logged(server, series_id)
        if actions <= {action for _actor, action, _target in rows}:
            return rows
        if asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.05)


async def waits_in_lobby(server: LiveServer, session_id: int, link: str) -> RoomClient:
    parent = await connect(server, session_id, link=link)
    await parent.expect("lobby")
    return parent


async def test_each_moderation_action_is_logged_with_its_actor_and_target(live_server, org, clock):
    room = await a_room(live_server, org, clock)
    a_week_before = clock.now - timedelta(days=6)  # a_room set the clock to just before it
    lakka = await enrol_parent(live_server.database, org, room.series_id, "Lakka", a_week_before)
    facilitator = await connect(live_server, room.session_id, cookies=room.facilitator)
    await facilitator.expect("welcome")
    await facilitator.send(type="open")
    await facilitator.expect("room", status="open")
    await facilitator.send(type="volunteers_moderate", allowed=True)
    await facilitator.expect("room", volunteers_moderate=True)
    volunteer = await connect(live_server, room.session_id, cookies=room.volunteer)
    await volunteer.expect("welcome")

    # The facilitator admits Mustikka, the volunteer admits Lakka, the facilitator denies Puolukka.
    mustikka = await waits_in_lobby(live_server, room.session_id, room.parent_links["Mustikka"])
    joined = await facilitator.expect("lobby_joined", name="Mustikka")
    await facilitator.send(type="admit", peer=joined["peer"])
    await mustikka.expect("welcome")
    lakka_client = await waits_in_lobby(live_server, room.session_id, lakka.token)
    joined = await volunteer.expect("lobby_joined", name="Lakka")
    await volunteer.send(type="admit", peer=joined["peer"])
    await lakka_client.expect("welcome")
    puolukka = await waits_in_lobby(live_server, room.session_id, room.parent_links["Puolukka"])
    joined = await facilitator.expect("lobby_joined", name="Puolukka")
    await facilitator.send(type="deny", peer=joined["peer"])
    assert await puolukka.closed_with() == CloseCode.REMOVED

    await mustikka.say("poistettava")
    message = await facilitator.expect("message", text="poistettava")
    await volunteer.send(type="delete", seq=message["seq"])
    await facilitator.expect("deleted", message=message["seq"])
    await facilitator.send(type="mute", peer=mustikka.peer, seconds=300)
    await facilitator.expect("moderation", action="muted")
    await volunteer.send(type="remove", peer=mustikka.peer)
    await facilitator.expect("moderation", action="removed")
    await facilitator.send(type="ban", peer=lakka_client.peer)
    await facilitator.expect("moderation", action="banned")
    await volunteer.send(type="lock", locked=True)
    await facilitator.expect("room", locked=True)

    expected = {
        (FACILITATOR, "lobby_admitted", "Mustikka"),
        (VOLUNTEER, "lobby_admitted", "Lakka"),
        (FACILITATOR, "lobby_denied", "Puolukka"),
        (VOLUNTEER, "deleted_message", "Mustikka"),
        (FACILITATOR, "muted", "Mustikka"),
        (VOLUNTEER, "removed", "Mustikka"),
        (FACILITATOR, "banned", "Lakka"),
        (VOLUNTEER, "locked", None),
    }
    rows = await until_logged(live_server, room.series_id, expected)
    actions = {action for _actor, action, _target in expected}
    assert {row for row in rows if row[1] in actions} == expected


async def test_turning_the_lobby_off_logs_the_facilitator_as_admitting_those_waiting(
    live_server, org, clock
):
    room = await a_room(live_server, org, clock)
    facilitator = await connect(live_server, room.session_id, cookies=room.facilitator)
    await facilitator.expect("welcome")
    await facilitator.send(type="open")
    await facilitator.expect("room", status="open")
    mustikka = await waits_in_lobby(live_server, room.session_id, room.parent_links["Mustikka"])
    await facilitator.expect("lobby_joined", name="Mustikka")

    await facilitator.send(type="lobby", enabled=False)
    await mustikka.expect("welcome")

    expected: set[tuple[str, str, str | None]] = {(FACILITATOR, "lobby_admitted", "Mustikka")}
    rows = await until_logged(live_server, room.series_id, expected)
    assert {row for row in rows if row[1] == "lobby_admitted"} == expected

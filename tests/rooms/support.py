"""Helpers shared by the room tests over real WebSockets."""

import asyncio
from collections.abc import Callable
from typing import Any

from tests.conftest import Clock, LiveServer
from tests.roomclient import RoomClient, RoomSetup, a_room, connect


async def open_room_with_parents(
    server: LiveServer, org: Any, clock: Clock, *names: str, lobby: bool = False, **series: Any
) -> tuple[RoomSetup, RoomClient, dict[str, RoomClient]]:
    """An open room with the lobby off (unless asked), the facilitator and the named parents in."""
    room = await a_room(server, org, clock, **series)
    facilitator = await connect(server, room.session_id, cookies=room.facilitator)
    await facilitator.expect("welcome")
    await facilitator.send(type="open")
    await facilitator.expect("room", status="open")
    if not lobby:
        await facilitator.send(type="lobby", enabled=False)
        await facilitator.expect("room", lobby=False)
    parents = {}
    for name in names:
        parents[name] = await connect(server, room.session_id, link=room.parent_links[name])
        await parents[name].expect("welcome")
    return room, facilitator, parents


async def eventually(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    """Wait until ``condition`` holds: for state another task changes with no event to wait on."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)

"""The room server's side of a relay move, without relays: who is told, and that a move this
instance made is still told when the bus or the database was away at first."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from server.rooms import media_commands
from server.rooms.apply import apply
from server.rooms.events import Event
from server.rooms.media import Topology
from server.rooms.relay_moves import Committer, RelayMoves
from server.rooms.runtime import RoomRuntime
from server.rooms.state import Member
from server.scheduling.series import MediaMode
from signaling.placed import Moves
from tests.domain.test_room_protocol import a_room


class Relays:
    """Moves given by the test, one per check."""

    def __init__(self, *moves: Moves) -> None:
        self.moves_left = list(moves)

    async def start(self) -> None:
        pass

    async def changed(self) -> None:
        pass

    async def moves(self, rooms: Iterable[str]) -> Moves:
        return self.moves_left.pop(0) if self.moves_left else Moves()


def a_stage_runtime() -> tuple[RoomRuntime, Member, Member]:
    room, fac, _vol, a, _b = a_room(MediaMode.STAGE)
    for event in media_commands.relay_published(fac):
        apply(room.state, event)
    runtime = RoomRuntime(room.state)
    runtime.topology = Topology.RELAY
    return runtime, fac, a


async def test_a_move_this_instance_could_not_tell_is_told_at_the_next_check():
    runtime, fac, _a = a_stage_runtime()
    room = str(runtime.state.session_id)
    committed: list[Event] = []
    bus_away = [True]

    def committer(_: RoomRuntime) -> Committer:
        async def commit(peer: str, make: Callable[[Member], list[Event]]) -> None:
            if bus_away[0]:
                raise ConnectionError("the bus is away")
            committed.extend(make(runtime.state.members[peer]))

        return commit

    moves = RelayMoves(Relays(Moves(rooms=[room])), {runtime.state.session_id: runtime}, committer)
    with pytest.raises(ConnectionError):
        await moves.check()
    assert committed == []
    bus_away[0] = False
    await moves.check()  # the placement moved already: only this instance can still tell
    (told,) = committed
    assert told.data["peer"] == fac.peer and told.data["moved"] is True
    await moves.check()
    assert len(committed) == 1  # told once


async def test_a_dead_second_relays_subscribers_alone_are_told():
    runtime, fac, a = a_stage_runtime()
    room = str(runtime.state.session_id)
    committed: list[Event] = []

    def committer(_: RoomRuntime) -> Committer:
        async def commit(peer: str, make: Callable[[Member], list[Event]]) -> None:
            committed.extend(make(runtime.state.members[peer]))

        return commit

    moved = Moves(subscribers={room: [a.peer]})
    await RelayMoves(Relays(moved), {runtime.state.session_id: runtime}, committer).check()
    assert [e.data["relay"] for e in committed] == [0, fac.av.relay]
    assert all(e.audience.peers == {a.peer} for e in committed)

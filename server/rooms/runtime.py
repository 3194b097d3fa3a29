"""One room as this instance holds it: the state replica, the local connections, and events put
in sequence order before they are applied and delivered.

Events reach an instance in bursts and, across instances, possibly out of order; ``accept`` hands
them to ``handle`` one by one in ``seq`` order (ephemeral ones at once), holding back those that
come early and skipping a gap that never fills after a short wait.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from server.rooms.connection import Connection, Outgoing, Phase
from server.rooms.events import Event
from server.rooms.media import Topology
from server.rooms.stage import watching
from server.rooms.state import RoomState

GAP_WAIT_SECONDS = 0.5

Handle = Callable[["RoomRuntime", Event], None]


@dataclass
class RoomRuntime:
    """This instance's view of one room: the state replica and the local connections."""

    state: RoomState
    connections: dict[str, list[Connection]] = field(default_factory=lambda: defaultdict(list))
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    delivered_seq: int = 0
    held: dict[int, list[Event]] = field(default_factory=dict)
    gap_timer: asyncio.TimerHandle | None = None
    topology: Topology = Topology.MESH  # the last one its connections were told
    watching: int | None = None  # on a stage, the audience count its connections were told

    def local(self) -> list[Connection]:
        return [c for conns in self.connections.values() for c in conns]

    def connections_of(self, peer: str | None, phase: Phase | None = None) -> list[Connection]:
        """One person's connections here (everyone's for None), only those in ``phase`` if
        given."""
        conns = self.local() if peer is None else list(self.connections.get(peer, []))
        return conns if phase is None else [c for c in conns if c.phase is phase]

    def accept(self, events: list[Event], handle: Handle) -> None:
        """Hand ``events`` to ``handle`` in sequence order, each stored one exactly once."""
        for event in events:
            if event.seq is None:
                handle(self, event)
            elif event.seq <= self.delivered_seq:
                continue  # already delivered (replayed or duplicate)
            elif event.seq == self.delivered_seq + 1:
                handle(self, event)
                self.delivered_seq = event.seq
                self._release_held(handle)
            else:
                self.held.setdefault(event.seq, []).append(event)
                self._arm_gap_timer(handle)

    def _release_held(self, handle: Handle) -> None:
        while self.delivered_seq + 1 in self.held:
            self.delivered_seq += 1
            for event in self.held.pop(self.delivered_seq):
                handle(self, event)
        if not self.held and self.gap_timer is not None:
            self.gap_timer.cancel()
            self.gap_timer = None

    def _arm_gap_timer(self, handle: Handle) -> None:
        """An event that never arrives (its instance died before publishing) must not block the
        room: after a short wait, skip the gap. The event is in the database for resumers."""
        if self.gap_timer is not None:
            return

        def skip_gap() -> None:
            self.gap_timer = None
            if self.held:
                self.delivered_seq = min(self.held) - 1
                self._release_held(handle)

        self.gap_timer = asyncio.get_running_loop().call_later(GAP_WAIT_SECONDS, skip_gap)

    def deliver(self, event: Event, out: Outgoing) -> None:
        """Push an event (serialised once) to every local connection that may see it."""
        for conns in self.connections.values():  # delivering never adds or drops sockets
            for conn in conns:
                self.deliver_to(conn, event, out)

    def deliver_to(self, conn: Connection, event: Event, out: Outgoing) -> None:
        phase = conn.phase
        if phase is Phase.READY:  # nearly always: checked first
            state = self.state
            member = state.members.get(conn.peer)
            if member is None or not state.can_see(member, event.audience):
                return
            seq = event.seq
            if seq is not None:
                if seq <= conn.last_seq:
                    return
                conn.last_seq = seq
            if event.personal:  # a vote, or what a stage's audience wrote: framed for each
                frame = event.wire(conn.peer, state.is_moderator(member))
                out = Outgoing(json.dumps(frame, ensure_ascii=False))
            conn.push(out)
        elif phase is Phase.PENDING:
            conn.held.append((event, out))
        elif (phase is Phase.WAITING or phase is Phase.LOBBY) and event.audience.connected:
            conn.push(out)

    def tell_watching(self) -> None:
        """On a stage, tell everyone in the room how many are watching when the count changed
        (who they are is for moderators only: ``server.rooms.stage``). A welcome being made now
        counts later than this, so it is never older."""
        count = watching(self.state)
        if count is None or count == self.watching:
            return
        self.watching = count
        frame = json.dumps({"type": "watching", "count": count})
        for conn in self.local():
            if conn.phase is Phase.READY or conn.phase is Phase.PENDING:
                conn.push(frame)

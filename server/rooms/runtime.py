"""One room as this instance holds it: the state replica, the local connections, and events put
in sequence order before they are applied and delivered.

Events reach an instance in bursts and, across instances, possibly out of order; ``accept`` hands
them to ``handle`` one by one in ``seq`` order (ephemeral ones at once), holding back those that
come early. The database is the source of truth: a gap that does not fill within a short wait (a
publish delayed, lost with Redis, or from an instance that died) is read back from the stored
events, never skipped; so is everything after ``delivered_seq`` when the bus was cut off.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from server.counts import ROOMS
from server.rooms.connection import Connection, Outgoing, Phase, frame_text
from server.rooms.events import Event, EventType
from server.rooms.media import Topology
from server.rooms.stage import watching
from server.rooms.state import RoomState

log = logging.getLogger(__name__)

GAP_WAIT_SECONDS = 0.5
# While the database cannot be read, filling is tried again at growing intervals up to this.
FILL_RETRY_MAX_SECONDS = 5.0

Handle = Callable[["RoomRuntime", Event], None]
# The room's stored events with ``after < seq < before`` (no upper bound for None), oldest first,
# at most one page of them; as ``store.load_state`` reads them.
Fill = Callable[[int, int | None], Awaitable[list[Event]]]


@dataclass
class RoomRuntime:
    """This instance's view of one room: the state replica and the local connections."""

    state: RoomState
    connections: dict[str, list[Connection]] = field(default_factory=lambda: defaultdict(list))
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    delivered_seq: int = 0
    held: dict[int, list[Event]] = field(default_factory=dict)
    gap_timer: asyncio.TimerHandle | None = None
    fill: Fill | None = None  # None: gaps wait for their events (a runtime without storage)
    # Stored events this instance applied when it committed them and has not delivered yet: a
    # fill hands these on as they are, so that they are not applied a second time.
    own: dict[int, Event] = field(default_factory=dict)
    filling: asyncio.Task[None] | None = None
    fill_failures: int = 0
    catching_up: bool = False  # everything after delivered_seq is to be read, not only a gap
    topology: Topology = Topology.MESH  # the last one its connections were told
    watching: int | None = None  # on a stage, the audience count its connections were told

    def local(self) -> list[Connection]:
        return [c for conns in self.connections.values() for c in conns]

    def connections_of(self, peer: str | None, phase: Phase | None = None) -> list[Connection]:
        """One person's connections here (everyone's for None), only those in ``phase`` if
        given."""
        conns = self.local() if peer is None else list(self.connections.get(peer, []))
        return conns if phase is None else [c for c in conns if c.phase is phase]

    def committed(self, event: Event) -> None:
        """This instance stored and applied ``event``; it is delivered when the bus brings it."""
        if event.seq is not None and event.seq > self.delivered_seq:
            self.own[event.seq] = event

    def accept(self, events: list[Event], handle: Handle) -> None:
        """Hand ``events`` to ``handle`` in sequence order, each stored one exactly once."""
        for event in events:
            if event.seq is None:
                handle(self, event)
            elif event.seq <= self.delivered_seq:
                continue  # delivered already (from the database, or a duplicate)
            elif event.seq == self.delivered_seq + 1:
                self._deliver_next(event, handle)
                self._release_held(handle)
            else:
                self.held.setdefault(event.seq, []).append(event)
                self._arm_gap_timer(handle, GAP_WAIT_SECONDS)

    def catch_up(self, handle: Handle) -> None:
        """The bus may have missed events (it lost Redis): read everything after
        ``delivered_seq`` from the database now."""
        self.catching_up = True
        self._start_filling(handle)

    def _deliver_next(self, event: Event, handle: Handle) -> None:
        assert event.seq is not None
        self.delivered_seq = event.seq
        if self.own:
            event = self.own.pop(event.seq, event)
        handle(self, event)

    def _release_held(self, handle: Handle) -> None:
        while self.delivered_seq + 1 in self.held:
            # Several events under one number are one event published more than once.
            self._deliver_next(self.held.pop(self.delivered_seq + 1)[0], handle)
        if not self.held and self.gap_timer is not None:
            self.gap_timer.cancel()
            self.gap_timer = None

    def _arm_gap_timer(self, handle: Handle, wait: float) -> None:
        """A gap that does not fill by itself within ``wait`` is read from the database."""
        if self.gap_timer is not None or self.filling is not None or self.fill is None:
            return

        def fill_gap() -> None:
            self.gap_timer = None
            if self.held or self.catching_up:
                self._start_filling(handle)

        self.gap_timer = asyncio.get_running_loop().call_later(wait, fill_gap)

    def _start_filling(self, handle: Handle) -> None:
        if self.fill is None or self.filling is not None:
            return  # a fill under way looks again when it ends
        if self.gap_timer is not None:
            self.gap_timer.cancel()
            self.gap_timer = None
        self.filling = asyncio.get_running_loop().create_task(self._fill(handle))

    async def _fill(self, handle: Handle) -> None:
        """Deliver the stored events after ``delivered_seq`` from the database, page by page: up
        to the first held event, or all of them when catching up."""
        start, to_end = self.delivered_seq, self.catching_up
        self.catching_up = False
        try:
            before = None if to_end or not self.held else min(self.held)
            await self._read_and_deliver(handle, before)
            self.fill_failures = 0
        except Exception as exc:  # the database is away: try again; held events stay held
            self.catching_up = self.catching_up or to_end
            self.fill_failures += 1
            log.warning(
                "room %s: reading events after seq %s failed (%s)",
                self.state.session_id,
                self.delivered_seq,
                type(exc).__name__,
            )
        finally:
            self.filling = None
        if self.delivered_seq > start:
            log.info(
                "room %s: seq %s to %s delivered from the database",
                self.state.session_id,
                start + 1,
                self.delivered_seq,
            )
        self._release_held(handle)
        if self.fill_failures:
            wait = min(FILL_RETRY_MAX_SECONDS, GAP_WAIT_SECONDS * 2**self.fill_failures)
            self._arm_gap_timer(handle, wait)
        elif self.catching_up:
            self._start_filling(handle)
        elif self.held:
            self._arm_gap_timer(handle, GAP_WAIT_SECONDS)

    async def _read_and_deliver(self, handle: Handle, before: int | None) -> None:
        """Everything stored after ``delivered_seq`` (and before ``before``). Committed numbers
        have no gaps (the room row's lock orders them), so a number missing between stored ones
        was deleted since (retention): there is nothing to deliver for it."""
        assert self.fill is not None
        after = self.delivered_seq
        while page := await self.fill(after, before):
            for event in page:
                assert event.seq is not None
                if event.seq > self.delivered_seq + 1:
                    self._pass(event.seq - 1)
                self.accept([event], handle)
            after = page[-1].seq or after
        if before is not None and self.delivered_seq + 1 < before:
            self._pass(before - 1)

    def _pass(self, seq: int) -> None:
        """Numbers up to ``seq`` are not stored (any more): nothing is delivered for them."""
        self.delivered_seq = seq
        self.own = {s: e for s, e in self.own.items() if s > seq}

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
                out = Outgoing(frame_text(frame))
            ROOMS.delivered += 1
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


def online(state: RoomState, event: Event) -> bool | None:
    """Whether the member a presence event is about is online anywhere (None for other
    events): delivery tells others only of a change."""
    if event.type is not EventType.PRESENCE:
        return None
    member = state.members.get(event.data["peer"])
    return member.online if member else None

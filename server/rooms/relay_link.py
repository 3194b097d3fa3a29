"""The room server's side of the media relay: carrying out what the room's rules allowed.

``server.rooms.protocol`` decides whether a ``relay`` frame may go ahead; this module does it
with the relay (in this process, or a ``tupa relay`` process behind ``RelayClient``) and keeps
the relay in step with the room: it forwards a person's audio and video only while their
microphone and camera are on and allowed, and whoever leaves the room leaves the relay.

Negotiating with the relay takes tens of milliseconds (aiortc gathers its candidates first), so
it never runs under the room's lock and never holds up anyone's chat: each connection's relay
requests run in order on a task of their own.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from server.errors import ErrorCode, TupaError
from server.rooms import media_commands
from server.rooms.apply import apply
from server.rooms.commands import RelayKind, RelayRequest
from server.rooms.connection import Phase
from server.rooms.events import Event
from server.rooms.frames import RoomError
from server.rooms.media import Topology, topology
from server.rooms.relay_moves import Committer, MovingRelays, RelayMoves
from server.rooms.runtime import RoomRuntime
from server.rooms.state import Member, RoomState
from signaling.interface import KINDS, MediaRelay, RelayUnavailable

log = logging.getLogger(__name__)

# A client asking for more negotiations than this at once is refused until they are done.
MAX_PENDING_PER_CONNECTION = 16


class RelayCaller(Protocol):
    """What the link needs of a connection: who it is, a way to answer, whether it is gone."""

    peer: str

    @property
    def gone(self) -> bool: ...

    def push_frame(self, frame: dict[str, Any]) -> None: ...

    def error(
        self, code: RoomError, retry_after: int | None = None, cid: str | None = None
    ) -> None: ...


# Store and publish the events a function makes of the person's current state, under the lock.
Commit = Callable[[str, Callable[[Member], list[Event]]], Awaitable[None]]


class RelayLink:
    """Carries out relay requests for one instance's rooms; keeps the relay's forwarding right."""

    def __init__(self, relay: MediaRelay) -> None:
        self.relay = relay
        self._queues: dict[int, tuple[asyncio.Lock, int]] = {}  # per connection (id)
        self._tasks: set[asyncio.Task[None]] = set()
        # What each publisher's forwarding should be, and a lock per publisher: calls to a
        # separate relay may overtake each other, so each change applies the latest wish.
        self._wanted: dict[tuple[str, str], frozenset[str]] = {}
        self._forwarding: dict[tuple[str, str], asyncio.Lock] = {}
        self.moves: RelayMoves | None = None

    async def start(
        self, rooms: Mapping[int, RoomRuntime], committer: Callable[[RoomRuntime], Committer]
    ) -> None:
        """With several relays, move rooms off relays that die (``server.rooms.relay_moves``)."""
        if isinstance(self.relay, MovingRelays):
            self.moves = RelayMoves(self.relay, rooms, committer)
            await self.moves.start()

    def request(
        self,
        state: RoomState,
        conn: RelayCaller,
        command: RelayRequest,
        commit: Commit,
    ) -> None:
        """Start carrying out an allowed request; its answer or error reaches ``conn`` later."""
        key = id(conn)
        lock, pending = self._queues.get(key, (asyncio.Lock(), 0))
        if pending >= MAX_PENDING_PER_CONNECTION:
            conn.error(RoomError.RATE_LIMITED, cid=command.cid)
            return
        self._queues[key] = (lock, pending + 1)

        async def run() -> None:
            try:
                async with lock:
                    if not conn.gone:
                        await self._carry_out(state, conn, command, commit)
            finally:
                lock_now, left = self._queues[key]
                if left <= 1:
                    del self._queues[key]
                else:
                    self._queues[key] = (lock_now, left - 1)

        self._spawn(run())

    async def _carry_out(
        self, state: RoomState, conn: RelayCaller, command: RelayRequest, commit: Commit
    ) -> None:
        room, peer = str(state.session_id), conn.peer
        reply = {"cid": command.cid} if command.cid is not None else {}
        try:
            if command.kind is RelayKind.PUBLISH:
                assert command.sdp is not None
                answer = await self.relay.publish(room, peer, command.sdp.text)
                # Before the answer leaves: media cannot flow until the browser has it, so what
                # is switched off is never forwarded, not even for a moment.
                member = state.members.get(peer)
                applied = member.av.forwarded if member else frozenset()
                await self.forward(room, peer, applied)
                if conn.gone or member is None:
                    await self.relay.unpublish(room, peer)
                    return
                conn.push_frame({"type": "relay", "kind": "answer", "sdp": answer, **reply})
                await commit(peer, media_commands.relay_published)
                # A microphone or camera change that came while this was negotiated was not
                # followed (the person did not count as publishing yet): catch up with it.
                member = state.members.get(peer)
                if member is not None and member.av.forwarded != applied:
                    await self.forward(room, peer, member.av.forwarded)
            elif command.kind is RelayKind.SUBSCRIBE:
                assert command.publisher is not None
                offer = await self.relay.subscribe(room, peer, command.publisher)
                frame = {"type": "relay", "kind": "offer", "publisher": command.publisher}
                conn.push_frame({**frame, "sdp": offer, **reply})
            elif command.kind is RelayKind.ANSWER:
                assert command.publisher is not None and command.sdp is not None
                await self.relay.answer(room, peer, command.publisher, command.sdp.text)
            else:
                if command.kind is RelayKind.UNPUBLISH:
                    await self.relay.unpublish(room, peer)
                else:
                    await self.relay.leave(room, peer)
                await commit(peer, media_commands.relay_ended)
        except TupaError as exc:
            gone = exc.code is ErrorCode.NOT_FOUND
            conn.error(RoomError.UNKNOWN_PEER if gone else RoomError.BAD_SDP, cid=command.cid)
        except RelayUnavailable:
            log.warning("the media relay is unavailable")
            conn.error(RoomError.RELAY_UNAVAILABLE, cid=command.cid)
        except Exception:  # whatever the relay does, the room goes on
            log.exception("relay request %s failed", command.kind.value)
            conn.error(RoomError.RELAY_UNAVAILABLE, cid=command.cid)

    async def forward(self, room: str, publisher: str, kinds: frozenset[str]) -> None:
        """Make the relay forward exactly ``kinds`` of the publisher's media (or the kinds of a
        later call, if one came meanwhile: the latest wish wins)."""
        key = (room, publisher)
        self._wanted[key] = kinds
        lock = self._forwarding.setdefault(key, asyncio.Lock())
        async with lock:
            wanted = self._wanted.get(key)
            if wanted is None:
                return  # they left meanwhile
            for kind in KINDS:
                if kind in wanted:
                    await self.relay.resume_forwarding(room, publisher, kind)
                else:
                    await self.relay.stop_forwarding(room, publisher, kind)

    def follow(self, room: int, publisher: str, kinds: frozenset[str]) -> None:
        """A person's microphone or camera changed (they, or a moderator): forward accordingly."""
        self._spawn(self._quietly(self.forward(str(room), publisher, kinds)))

    def apply_av(self, state: RoomState, event: Event) -> None:
        """Apply a microphone/camera change made on this instance, and have the relay forward
        accordingly (only the instance where it happened tells the relay, which may be shared)."""
        member = state.members.get(event.data["peer"])
        before = member.av if member else None
        apply(state, event)
        if member is None or before is None or not member.av.relay:
            return
        if member.av.forwarded != before.forwarded:
            self.follow(state.session_id, member.peer, member.av.forwarded)

    def check_topology(self, runtime: RoomRuntime, commit: Commit) -> None:
        """Tell this instance's people when the room moves between mesh and relay.

        Every instance reaches the same answer from the same events; each tells its own
        connections. Moving to the mesh, it also ends its people's publications at the relay,
        so that nothing keeps flowing there for clients that did not notice the change.
        """
        now = topology(runtime.state)
        if now is runtime.topology:
            return
        runtime.topology = now
        frame = json.dumps({"type": "topology", "topology": now.value})
        for conn in runtime.local():
            if conn.phase is Phase.READY:
                conn.push(frame)
        if now is Topology.MESH:
            for peer in list(runtime.connections):
                self.leave(runtime.state.session_id, peer)
                self._spawn(commit(peer, media_commands.relay_ended))

    def leave(self, room: int, person: str) -> None:
        """The person left the room: end their publication and subscriptions at the relay."""
        self._wanted.pop((str(room), person), None)
        self._forwarding.pop((str(room), person), None)
        self._spawn(self._quietly(self.relay.leave(str(room), person)))

    async def close(self) -> None:
        if self.moves is not None:
            await self.moves.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.relay.close()

    @staticmethod
    async def _quietly(work: Awaitable[None]) -> None:
        try:
            await work
        except RelayUnavailable:
            log.warning("the media relay is unavailable")
        except Exception:
            log.exception("relay bookkeeping failed")

    def _spawn(self, work: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

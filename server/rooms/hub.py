"""The room hub: sockets of this instance ↔ room protocol ↔ storage and the bus.

``enter`` decides where an arriving person goes (waiting, lobby or the room), ``receive`` turns a
frame into a decision, stores its events and publishes them, and every instance's bus handler
applies each event to its replica of the room and delivers it to its own connections. An event is
serialised once per room; each connection has a bounded queue, and one that falls behind is closed
with "resync" rather than slowing anyone else down.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from server.lifecycle import FollowUps
from server.organisation import Organisation
from server.rooms import effects, entry, store
from server.rooms.access_changes import AccessAnnouncer
from server.rooms.apply import apply
from server.rooms.bus import Bus
from server.rooms.connection import (
    SEND_QUEUE_FRAMES,
    CloseSocket,
    Connection,
    Describe,
    Outgoing,
    Phase,
    SendText,
    Sockets,
    WriteNow,
    frame_text,
)
from server.rooms.entry import Refusal
from server.rooms.events import MEMBERSHIP_CHANGES, WITH_EFFECTS, Event, EventType
from server.rooms.frames import CloseCode
from server.rooms.heartbeats import PRESENCE_EXPIRY_SECONDS, Heartbeats
from server.rooms.ice import ice_servers, ice_transport_policy
from server.rooms.loaded_rooms import LoadedRooms
from server.rooms.presence_records import PresenceRecords
from server.rooms.receiving import Receiver
from server.rooms.relay_link import RelayLink
from server.rooms.runtime import RoomRuntime, online
from server.rooms.sends import Sends
from server.rooms.state import Member, MemberStatus, ParticipantRole, RoomStatus
from server.rooms.store import Entrant
from server.rooms.welcome import lobby_frame, waiting_frame, welcome_frames
from server.rooms.writer import EventWriter
from server.scheduling.series import MediaMode
from server.storage.db import Database
from server.storage.tables import SessionRow
from server.turn import IceConfig
from signaling.interface import MediaRelay
from signaling.relay import Relay

log = logging.getLogger(__name__)


class RoomHub:
    def __init__(
        self,
        database: Database,
        bus: Bus,
        clock: Callable[[], datetime],
        opens_before: timedelta,
        queue_size: int = SEND_QUEUE_FRAMES,
        ice: IceConfig | None = None,
        mesh_limit: int = 4,
        relay: MediaRelay | None = None,
        *,
        org: Organisation,
        presence_expiry: float = PRESENCE_EXPIRY_SECONDS,
    ) -> None:
        self.database = database
        self.bus = bus
        self.clock = clock
        self.opens_before = opens_before
        self.sockets = Sockets(queue_size)
        self.ice = ice or IceConfig()
        self.mesh_limit = mesh_limit
        # The relay runs in this process unless a separate one (`tupa relay`) is given.
        self.relay_link = RelayLink(relay if relay is not None else Relay())
        self.writer = EventWriter(database, clock, org)
        self.access = AccessAnnouncer(database, self.writer, bus, opens_before)
        self.sends = Sends(database, clock)
        self.presence = PresenceRecords(database, clock)
        self._follow_ups = FollowUps()
        self.instance = secrets.token_hex(6)
        self.loaded = LoadedRooms(database, bus, opens_before, self.instance)
        self.rooms = self.loaded.rooms
        self.heartbeats = Heartbeats(self.rooms, bus, self.instance, presence_expiry)
        receiver = Receiver(
            self.rooms,
            clock,
            self.sends,
            lambda: self.relay_link,
            self._commit,
            self._committer,
            database,
        )
        self.receive = receiver.receive  # one frame from a client (server.rooms.receiving)

    def _spawn(self, work: Coroutine[Any, Any, None], conn: Connection | None = None) -> None:
        """Run follow-up work without blocking delivery. If the database or the bus fails it,
        ``conn`` is closed with RESYNC to come back and resume."""

        async def guarded() -> None:
            try:
                await work
            except Exception as error:
                log.warning("a room's follow-up work failed (%s)", type(error).__name__)
                if conn is not None:
                    conn.terminate(CloseCode.RESYNC)

        self._follow_ups.spawn(guarded())

    @property
    def busy(self) -> bool:
        """Whether follow-up work is still running: welcomes after admission, committed actions
        being told to rooms (tests wait for this instead of sleeping)."""
        return self._follow_ups.busy or self.access.busy or self.presence.busy

    async def start(self) -> None:
        self.writer.start()
        await self.bus.start(self._on_events, self._resubscribed)
        self.heartbeats.start(self._handle)
        self.database.on_commit(self.access.committed)
        await self.relay_link.start(self.rooms, self._committer)  # several relays: rooms move

    async def stop(self) -> None:
        await self.heartbeats.stop()
        self.database.stop_listening(self.access.committed)
        for runtime in list(self.rooms.values()):
            for conn in runtime.local():
                conn.terminate(CloseCode.NORMAL)
        await self.bus.stop()
        await self.sends.stop()
        await self.writer.stop()
        await self.relay_link.close()

    # --- entering and leaving -------------------------------------------------------------

    async def enter(
        self,
        session: SessionRow,
        entrant: Entrant,
        last_seq: int | None,
        send: SendText,
        close: CloseSocket,
        describe: Describe,
        write_now: WriteNow | None = None,
    ) -> Connection | Refusal:
        """Admit a new socket into the room, or say which close code refuses it.

        ``write_now``, when the transport offers it, writes encoded frames without a task switch
        (see ``server.web.direct_frames``); ``send`` is the ordinary, awaited path. When the
        database or the bus fails, nothing of the socket stays and it is refused with RESYNC: the
        client comes back and resumes.
        """
        now = self.clock()
        conn = None
        runtime: RoomRuntime | None = None
        try:
            async with self.loaded.held(session, self.mesh_limit, self._handle) as runtime:
                state = runtime.state
                async with self.database.unit_of_work() as db:
                    row = await store.membership(db, state.session_id, entrant, now)
                member = state.members.get(row.peer)
                status = member.status if member else MemberStatus(row.status)
                connections = len(runtime.connections.get(row.peer, []))
                code = entry.refusal(state, status, entrant.role, connections)
                if code is None:
                    conn = self.sockets.connect(row.peer, send, close, describe, write_now)
                    conn.staff_session_id = entrant.staff_session_id
                    runtime.connections[row.peer].append(conn)
                    if (
                        state.status is RoomStatus.WAITING
                        and entrant.role is ParticipantRole.PARENT
                    ):
                        conn.phase = Phase.WAITING
                        conn.push_frame(waiting_frame(state))
                        return conn
                    await self._arrive(runtime, conn, row.peer, row.name, entrant.role, last_seq)
                    return conn
            # Refused: a room loaded only to say so must not stay loaded (and following its bus
            # channel) until somebody else comes and goes.
            await self.loaded.drop_if_empty(session.id, runtime)
            return Refusal(code)
        except Exception as error:
            if runtime is None:
                raise  # the room could not be loaded: as before a socket had any part in it
            log.warning("a socket could not enter its room (%s)", type(error).__name__)
            if conn is not None:
                await self.leave(session.id, conn)
            await self.loaded.drop_if_empty(session.id, runtime)
            return Refusal(CloseCode.RESYNC)

    async def _arrive(
        self,
        runtime: RoomRuntime,
        conn: Connection,
        peer: str,
        name: str,
        role: ParticipantRole,
        last_seq: int | None,
    ) -> None:
        """Put a connection into the lobby or the room (the caller holds the room lock)."""
        state = runtime.state
        member = state.members.get(peer)
        status = entry.entry_status(state, member, role)
        first_here = len(runtime.connections[peer]) == 1
        if member is None or member.status is not status or first_here:
            arriving = Member(peer, name, role, status)
            await self._commit(runtime, entry.arrive(state, arriving))
        if status is MemberStatus.LOBBY:
            conn.phase = Phase.LOBBY
            conn.push_frame(lobby_frame(state, peer))
            return
        await self._welcome(runtime, conn, last_seq)

    async def _welcome(self, runtime: RoomRuntime, conn: Connection, last_seq: int | None) -> None:
        """Send the snapshot and what the person missed, then the live events held meanwhile."""
        state = runtime.state
        member = state.members[conn.peer]
        conn.phase = Phase.PENDING
        conn.held = []
        async with self.database.unit_of_work() as db:
            missed = await store.replay(db, state, member, last_seq or 0)
            if conn.presence_id is None:
                conn.presence_id = await store.presence_began(db, conn.peer, self.clock())
        media = None
        if state.mode is not MediaMode.CHAT:
            media = {
                "ice_servers": ice_servers(self.ice, member.peer, self.clock()),
                "ice_transport_policy": ice_transport_policy(self.ice),
            }
        frames = welcome_frames(state, member, missed, last_seq, media)
        conn.last_seq = frames[-1]["seq"]
        for frame in frames:
            conn.push_frame(frame)
        conn.phase = Phase.READY
        for event, out in conn.held:
            runtime.deliver_to(conn, event, out)
        conn.held = []

    async def leave(self, session_id: int, conn: Connection) -> None:
        """The socket closed: detach it first, then tell the room if it was the person's last
        one. The attendance record and the other instances are told best-effort: neither keeps
        the socket here or the person online when the database or the bus is away."""
        await conn.stopped()
        self.presence.ended(conn.presence_id)
        runtime = self.rooms.get(session_id)
        if runtime is None:
            return
        async with runtime.lock:
            conns = runtime.connections.get(conn.peer, [])
            if conn in conns:
                conns.remove(conn)
            member = runtime.state.members.get(conn.peer)
            if not conns:
                runtime.connections.pop(conn.peer, None)
                if runtime.state.mode is not MediaMode.CHAT:
                    self.relay_link.leave(session_id, conn.peer)
                if member is not None and self.instance in member.online_on:
                    departs = entry.depart(runtime.state, member)
                    departs = [e.from_instance(self.instance) for e in departs]
                    try:
                        await self._commit(runtime, departs)
                    except Exception as error:  # the bus is away: at least this instance knows
                        log.warning("a departure was not published (%s)", type(error).__name__)
                        runtime.accept(departs, self._handle)
        await self.loaded.drop_if_empty(session_id, runtime)

    # --- commands ---------------------------------------------------------------------------

    async def _commit(self, runtime: RoomRuntime, events: list[Event]) -> list[Event]:
        """Store, apply locally at once (so the next decision sees it), and publish."""
        events = [e.from_instance(self.instance) for e in events]
        needs_writing = any(e.lasting or e.type in WITH_EFFECTS for e in events)
        stored = (
            await self.writer.write(runtime.state.session_id, events) if needs_writing else events
        )
        for event in stored:
            runtime.committed(event)
            # Presence is left to delivery, which must see the change to tell others about it;
            # everything else is applied here once, and delivery skips it (see _handle).
            if event.type is EventType.AV:
                self.relay_link.apply_av(runtime.state, event)
            elif event.type is not EventType.PRESENCE:
                apply(runtime.state, event)
        await self.bus.publish(runtime.state.session_id, stored)
        return stored

    def _committer(
        self, runtime: RoomRuntime
    ) -> Callable[[str, Callable[[Member], list[Event]]], Coroutine[Any, Any, None]]:
        """For work finished outside the lock: events made from a person's state as it is now."""

        async def commit(peer: str, make: Callable[[Member], list[Event]]) -> None:
            async with runtime.lock:
                member = runtime.state.members.get(peer)
                events = make(member) if member is not None else []
                if events:
                    await self._commit(runtime, events)

        return commit

    # --- delivery -----------------------------------------------------------------------------

    async def _on_events(self, session_id: int, events: list[Event]) -> None:
        runtime = self.rooms.get(session_id)
        if runtime is not None:  # else nobody here is in that room
            runtime.accept(events, self._handle)

    def _resubscribed(self, session_ids: list[int]) -> None:
        """The bus was cut off from Redis: what it missed is in the database, and who is
        connected where the instances tell each other again."""
        for runtime in filter(None, map(self.rooms.get, session_ids)):
            runtime.catch_up(self._handle)
            self._spawn(self.heartbeats.beat(runtime, ask=True))

    def _handle(self, runtime: RoomRuntime, event: Event) -> None:
        """Apply one event to this instance's replica and deliver it to local sockets."""
        state = runtime.state
        if event.type is EventType.HEARTBEAT:
            self.heartbeats.heard(runtime, event, self._handle)
            return
        was_online = online(state, event)
        if event.origin != self.instance or event.type is EventType.PRESENCE:
            apply(state, event)  # this instance's own events were applied when committed
        unchanged = event.type is EventType.PRESENCE and online(state, event) == was_online
        if unchanged and (event.data.get("sync") or not event.data["online"]):
            return  # nothing changed for others: known already, or still here elsewhere
        # Serialised (and framed) once per room; a vote or a stage audience post per viewer.
        runtime.deliver(event, Outgoing(frame_text(event.wire())))
        self._follow_up(runtime, event)
        if event.type in MEMBERSHIP_CHANGES and state.mode is not MediaMode.CHAT:
            runtime.tell_watching()
            self.relay_link.check_topology(runtime, self._committer(runtime))

    def _follow_up(self, runtime: RoomRuntime, event: Event) -> None:
        """Carry out what the event means for local sockets beyond delivering it."""
        for effect in effects.follow_up(runtime.state, event, self.instance):
            if isinstance(effect, effects.Close):
                for conn in runtime.connections_of(effect.peer):
                    if effect.staff_session_id in (None, conn.staff_session_id):
                        conn.terminate(effect.code)
            elif isinstance(effect, effects.Welcome):
                for conn in runtime.connections_of(effect.peer, Phase.LOBBY):
                    self._spawn(self._welcome_later(runtime, conn), conn)
            elif isinstance(effect, effects.SharePresence):
                self._spawn(self.heartbeats.beat(runtime))
            elif isinstance(effect, effects.EnterOpened):
                for conn in runtime.connections_of(None, Phase.WAITING):
                    self._spawn(self._enter_opened(runtime, conn), conn)
            elif isinstance(effect, effects.TellWaiting):
                for conn in runtime.connections_of(None, Phase.WAITING):
                    conn.push_frame(waiting_frame(runtime.state))

    async def _welcome_later(self, runtime: RoomRuntime, conn: Connection) -> None:
        async with runtime.lock:
            if conn.phase is Phase.LOBBY:
                await self._welcome(runtime, conn, None)

    async def _enter_opened(self, runtime: RoomRuntime, conn: Connection) -> None:
        """The room opened while this parent waited: move them on to the lobby or the room."""
        async with runtime.lock:
            if conn.phase is not Phase.WAITING:
                return
            async with self.database.unit_of_work() as db:
                row = await store.member_by_peer(db, conn.peer)
            if row is None:
                return
            await self._arrive(runtime, conn, row.peer, row.name, ParticipantRole(row.role), None)

"""One frame from a client: parsed, counted against its rate, decided by the room's rules, and
answered; its events stored and published through the hub.

Nothing a frame contains can raise out of here, and nothing the database or the bus does either:
a write (``send``, ``private``, ``ask``) is answered exactly once by ``server.rooms.sends``, any
other command whose events cannot be stored gets ``not_stored``.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime

from server.rooms import protocol
from server.rooms.commands import LOCK_FREE, Command, Ping, RelayRequest, Signal
from server.rooms.connection import Connection, Phase
from server.rooms.events import Event
from server.rooms.frames import FrameError, RoomError, parse_frame
from server.rooms.recall import recall
from server.rooms.relay_link import Commit as RelayCommit
from server.rooms.relay_link import RelayLink
from server.rooms.runtime import RoomRuntime
from server.rooms.sends import WRITES, Sends
from server.rooms.state import Member
from server.storage.db import Database

Commit = Callable[[RoomRuntime, list[Event]], Awaitable[list[Event]]]


class Receiver:
    def __init__(
        self,
        rooms: dict[int, RoomRuntime],
        clock: Callable[[], datetime],
        sends: Sends,
        relay_link: Callable[[], RelayLink],
        commit: Commit,
        committer: Callable[[RoomRuntime], RelayCommit],
        database: Database,
    ) -> None:
        self.rooms = rooms  # the hub's: the rooms loaded on this instance
        self.clock = clock
        self.sends = sends
        self.relay_link = relay_link  # asked each time: the hub's link is the one truth
        self._commit = commit
        self._committer = committer
        self.database = database

    async def receive(self, session_id: int, conn: Connection, raw: str | bytes) -> None:
        """One frame from a client. Nothing it contains can raise out of here."""
        if conn.phase is Phase.CLOSED:
            return
        refused_cid = None
        try:
            command: Command | RoomError = parse_frame(raw)
        except FrameError as error:
            command, refused_cid = error.code, error.cid
        if not conn.within_rate(isinstance(command, (Signal, RelayRequest))):
            return
        if isinstance(command, RoomError):
            conn.error(command, cid=refused_cid)  # a refused frame still counted against the rate
            return
        runtime = self.rooms.get(session_id)
        member = runtime.state.members.get(conn.peer) if runtime else None
        if runtime is None or member is None or conn.phase is Phase.WAITING:
            if isinstance(command, Ping):
                conn.push_frame({"type": "pong"})
            else:
                conn.error(RoomError.ROOM_NOT_OPEN)
            return
        if isinstance(command, LOCK_FREE):
            # No room-wide lock (see LOCK_FREE): a busy room is not limited to one database
            # round trip per message.
            await self._decide(runtime, conn, member, command)
        else:
            async with runtime.lock:
                await self._decide(runtime, conn, member, command)

    async def _decide(
        self, runtime: RoomRuntime, conn: Connection, member: Member, command: Command
    ) -> None:
        if isinstance(command, WRITES):  # answered exactly once, whatever the database does
            commit = functools.partial(self._commit, runtime)
            await self.sends.answer(conn, runtime.state, member, command, commit)
            return
        try:
            await recall(self.database, runtime.state, command)  # an older message's author
        except Exception as error:  # the database is away: say so, and go on
            self.sends.not_stored(conn, error)
            return
        decision = protocol.decide(runtime.state, member, command, self.clock())
        if decision.reply:
            conn.push_frame({"type": decision.reply})
        if decision.error:
            conn.error(decision.error, decision.retry_after, getattr(command, "cid", None))
        if isinstance(command, RelayRequest) and not decision.error:
            self.relay_link().request(runtime.state, conn, command, self._committer(runtime))
        if decision.events:
            try:
                await self._commit(runtime, decision.events)
            except Exception as error:  # the database or the bus is away: say so, and go on
                self.sends.not_stored(conn, error)

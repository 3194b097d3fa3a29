"""Every ``send``, ``private`` and ``ask`` gets exactly one answer: an ``ack`` with the seq it was
stored under, an ``error`` with its ``cid``, or a ``check`` with its ``cid`` when the room asks
about identifying details before storing it.

The room's rules answer a resend whose original is stored and remembered (``state.cids``). The
other fates of an original are met here:

- still being written (the client reconnected and resent before the ack came): the resend waits
  for the original's outcome instead of being written a second time;
- stored, but unknown to this room (stored through another instance this one has not heard from
  yet, or forgotten past ``MAX_REMEMBERED_CIDS``): the write hits the database's unique index, and
  the stored seq is read back;
- not stored, or not stored in time (the database restarting or frozen): the answer is
  ``not_stored`` with ``retry_after``. The client resends with the same cid, so a write that
  commits after all still lands once, and the resend is acked.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from server.rooms import protocol
from server.rooms.commands import Ask, Private, Send
from server.rooms.connection import Connection
from server.rooms.events import Event
from server.rooms.frames import RoomError
from server.rooms.state import Member, RoomState
from server.storage.db import Database
from server.storage.tables import RoomEventRow

log = logging.getLogger(__name__)

WRITES = (Send, Private, Ask)
ANSWER_SECONDS = 10.0  # a write is answered within this, stored or not
RETRY_AFTER_SECONDS = 2
REPORT_EVERY_SECONDS = 10.0  # writes that failed are reported in one line at most this often

Commit = Callable[[list[Event]], Awaitable[list[Event]]]


@dataclass(frozen=True)
class _Refused:
    code: RoomError
    retry_after: int | None = None


@dataclass(frozen=True)
class _Asked:
    """Not stored: the text looks like identifying details (``server.rooms.identifying``)."""

    findings: list[str]


_NOT_STORED = _Refused(RoomError.NOT_STORED, RETRY_AFTER_SECONDS)
_Answer = int | _Refused | _Asked  # the seq to acknowledge, why not, or the room's question


class Sends:
    """This instance's chat-like writes still in flight, by room, person and cid."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock
        self.answer_seconds = ANSWER_SECONDS
        self._in_flight: dict[tuple[int, str, str], asyncio.Task[_Answer]] = {}
        self._reported_at: float | None = None
        self._unreported = 0

    async def answer(
        self,
        conn: Connection,
        state: RoomState,
        member: Member,
        command: Send | Private | Ask,
        commit: Commit,
    ) -> None:
        """Decide, store and answer one write; a resend of one in flight waits for it."""
        key = (state.session_id, member.peer, command.cid)
        task = self._in_flight.get(key)
        if task is None:
            task = asyncio.create_task(self._store(state, member, command, commit))
            self._in_flight[key] = task
            task.add_done_callback(functools.partial(self._landed, key))
        try:
            # Shielded: a write that outlasts its answer goes on, for the resend to find.
            answer = await asyncio.wait_for(asyncio.shield(task), self.answer_seconds)
        except TimeoutError:
            self._report(f"took longer than {self.answer_seconds:g} s")
            answer = _NOT_STORED
        if isinstance(answer, int):
            conn.push_frame({"type": "ack", "cid": command.cid, "seq": answer})
        elif isinstance(answer, _Asked):
            frame = {"type": "check", "cid": command.cid, "findings": answer.findings}
            conn.push_frame(frame)
        else:
            conn.error(answer.code, answer.retry_after, command.cid)

    def not_stored(self, conn: Connection, error: Exception) -> None:
        """A command without a cid whose events could not be stored: say so, and go on."""
        self._report(type(error).__name__)
        conn.error(RoomError.NOT_STORED, RETRY_AFTER_SECONDS)

    async def stop(self) -> None:
        for task in list(self._in_flight.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _landed(self, key: tuple[int, str, str], task: asyncio.Task[_Answer]) -> None:
        if self._in_flight.get(key) is task:
            del self._in_flight[key]

    async def _store(
        self, state: RoomState, member: Member, command: Send | Private | Ask, commit: Commit
    ) -> _Answer:
        decision = protocol.decide(state, member, command, self.clock())
        if decision.error:
            return _Refused(decision.error, decision.retry_after)
        if decision.duplicate_of is not None:
            return decision.duplicate_of
        if decision.check is not None:
            return _Asked(decision.check)
        try:
            stored = await commit(decision.events)
        except Exception as error:
            # Already stored (the unique index), or stored before the failure (publishing after
            # the commit failed)? Then it is acknowledged: the database is what counts.
            seq = await self._stored_seq(state.session_id, member.peer, command.cid)
            if seq is None:
                self._report(type(error).__name__)
                return _NOT_STORED
            return seq
        for event in stored:
            if event.cid == command.cid and event.seq is not None:
                return event.seq
        raise AssertionError("a write was stored without its cid")

    async def _stored_seq(self, session_id: int, actor: str, cid: str) -> int | None:
        """The seq of the event stored with ``cid``, None if there is none or nobody can tell."""
        try:
            async with self.database.unit_of_work() as db:
                return await db.scalar(
                    select(RoomEventRow.seq).where(
                        RoomEventRow.session_id == session_id,
                        RoomEventRow.actor == actor,
                        RoomEventRow.cid == cid,
                    )
                )
        except Exception:
            return None  # the database is still away: not stored, as far as anyone can tell

    def _report(self, reason: str) -> None:
        """One line, nothing of the message, at most so often: an outage fails many writes."""
        self._unreported += 1
        now = time.monotonic()
        if self._reported_at is not None and now - self._reported_at < REPORT_EVERY_SECONDS:
            return
        log.warning("%d room write(s) answered not_stored (%s)", self._unreported, reason)
        self._reported_at, self._unreported = now, 0

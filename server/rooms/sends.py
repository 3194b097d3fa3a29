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
import logging
import time
from collections import deque
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
_Waiter = tuple[Connection, str, asyncio.Future[None]]  # a socket, the cid it sent, its answer


@dataclass(eq=False)
class _Flight:
    """One write being stored, and the sockets (the original's, a resend's) waiting for its
    answer."""

    waiting: list[_Waiter]
    task: asyncio.Task[None] | None = None


class Sends:
    """This instance's chat-like writes still in flight, by room, person and cid.

    A write is stored by a task of its own, which outlives its answer when the database is slow
    (the resend finds it). That task answers everyone waiting as soon as the write lands, in the
    same turn of the event loop as the message's delivery: the sender's ``ack`` leaves in the
    same socket write as its own ``message`` frame (one system call, not two, per message).
    Whoever is still waiting when ``answer_seconds`` have passed is told ``not_stored``: the
    deadlines wait in one queue under one timer (the answer time is the same for all, so they
    come due in the order they were set), not a timer per write to set up and cancel.
    """

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock
        self.answer_seconds = ANSWER_SECONDS
        self._in_flight: dict[tuple[int, str, str], _Flight] = {}
        self._deadlines: deque[tuple[float, _Flight, _Waiter]] = deque()
        self._sweep: asyncio.TimerHandle | None = None
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
        """Decide, store and answer one write; a resend of one in flight waits for it. Returns
        once it is answered (the socket's next frame waits: a person's writes keep their order)."""
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[None] = loop.create_future()
        waiter = (conn, command.cid, answered)
        key = (state.session_id, member.peer, command.cid)
        flight = self._in_flight.get(key)
        if flight is None:
            flight = _Flight([waiter])
            self._in_flight[key] = flight
            flight.task = asyncio.create_task(
                self._store(key, flight, state, member, command, commit)
            )
        else:
            flight.waiting.append(waiter)
        deadlines = self._deadlines
        while deadlines and deadlines[0][2][2].done():  # answered in time: nothing to watch
            deadlines.popleft()
        deadlines.append((loop.time() + self.answer_seconds, flight, waiter))
        if self._sweep is None:
            self._sweep = loop.call_at(deadlines[0][0], self._too_late)
        await answered

    @staticmethod
    def _tell(conn: Connection, cid: str, answer: _Answer) -> None:
        if isinstance(answer, int):
            conn.push_frame({"type": "ack", "cid": cid, "seq": answer})
        elif isinstance(answer, _Asked):
            conn.push_frame({"type": "check", "cid": cid, "findings": answer.findings})
        else:
            conn.error(answer.code, answer.retry_after, cid)

    def _too_late(self) -> None:
        """Writes that have not landed in time: not stored, as far as their sockets are told."""
        self._sweep = None
        loop = asyncio.get_running_loop()
        now, deadlines = loop.time(), self._deadlines
        while deadlines:
            due, flight, waiter = deadlines[0]
            conn, cid, answered = waiter
            if not answered.done():
                if due > now:
                    self._sweep = loop.call_at(due, self._too_late)
                    return
                self._report(f"took longer than {self.answer_seconds:g} s")
                self._tell(conn, cid, _NOT_STORED)
                answered.set_result(None)
                with contextlib.suppress(ValueError):
                    flight.waiting.remove(waiter)
            deadlines.popleft()

    def _landed(self, key: tuple[int, str, str], flight: _Flight, answer: _Answer) -> None:
        """Answer everyone still waiting, now, and forget the write."""
        if self._in_flight.get(key) is flight:
            del self._in_flight[key]
        waiting, flight.waiting = flight.waiting, []
        for conn, cid, answered in waiting:
            if not answered.done():
                self._tell(conn, cid, answer)
                answered.set_result(None)

    def _abandoned(self, key: tuple[int, str, str], flight: _Flight, error: BaseException) -> bool:
        """A store that ended without an answer (cancelled, or a bug): its waiters are let go
        with what happened to it rather than left for the deadline. Whether any was waiting."""
        if self._in_flight.get(key) is flight:
            del self._in_flight[key]
        waiting = [answered for _, _, answered in flight.waiting if not answered.done()]
        flight.waiting = []
        for answered in waiting:
            if isinstance(error, asyncio.CancelledError):
                answered.cancel()
            else:
                answered.set_exception(error)
        return bool(waiting)

    def not_stored(self, conn: Connection, error: Exception) -> None:
        """A command without a cid whose events could not be stored: say so, and go on."""
        self._report(type(error).__name__)
        conn.error(RoomError.NOT_STORED, RETRY_AFTER_SECONDS)

    async def stop(self) -> None:
        for key, flight in list(self._in_flight.items()):
            if flight.task is not None:
                flight.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await flight.task
            self._abandoned(key, flight, asyncio.CancelledError())  # if it never started
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        self._deadlines.clear()

    async def _store(
        self,
        key: tuple[int, str, str],
        flight: _Flight,
        state: RoomState,
        member: Member,
        command: Send | Private | Ask,
        commit: Commit,
    ) -> None:
        """Store the write and answer its waiters in the turn it lands."""
        try:
            answer = await self._outcome(state, member, command, commit)
        except asyncio.CancelledError as cancelled:
            self._abandoned(key, flight, cancelled)
            raise
        except Exception as error:  # a bug: handed to whoever waits, who logs it
            if not self._abandoned(key, flight, error):
                log.exception("a room write failed")
            return
        self._landed(key, flight, answer)

    async def _outcome(
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

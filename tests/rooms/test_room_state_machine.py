"""A live room has one truth: random commands by random people, and after every step the live
state equals the state rebuilt from storage (and the other instance's), everyone let in gets a
welcome with exactly the history they may see, and nobody connected stops receiving.

The hub is driven directly with fake sockets (as the WebSocket route drives it: the same access
checks, ``enter``, ``receive`` and ``leave``), on an event loop the machine owns. The test keeps
its own model of the room's rules and checks the room's answers against it. A failure prints the
steps and a ``@reproduce_failure`` blob; ``--hypothesis-seed=N`` replays a whole run.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from server.enrolment import bans
from server.enrolment import service as enrolment
from server.organisation import Organisation
from server.rooms.access import AccessRefused, parent_entrant, room_session, staff_entrant
from server.rooms.bus import Bus, MemoryBus, RedisBus
from server.rooms.connection import Connection
from server.rooms.entry import Refusal
from server.rooms.frames import MAX_QUESTION, MAX_REASON, MAX_TEXT, CloseCode, RoomError
from server.rooms.holding import MAX_HELD_PER_AUTHOR
from server.rooms.hub import RoomHub
from server.rooms.identifying import kinds as identifying_kinds
from server.rooms.protocol import TALK_AGAIN_SECONDS
from server.rooms.state import MemberStatus, ParticipantRole
from server.rooms.store import load_state
from server.scheduling.series import MediaMode
from server.storage.tables import SessionRow
from tests.conftest import POSTGRES_PROBLEM, POSTGRES_URL, Clock, service_unavailable
from tests.rooms.machine_support import (
    BIDI,
    CONTROLS,
    OPENS_BEFORE,
    PING,
    STORED_TYPES,
    UNKNOWN_PEER,
    ExampleRoom,
    FakeSocket,
    Person,
    StoredRow,
    World,
    bidi_leaks,
    frame,
    open_link,
    parsed_text,
    peer_of,
    postgres_databases,
    seen_by,
    sqlite_databases,
    stored_rows,
    until,
)

PEOPLE = ("F", "V", "C", "Mustikka", "Puolukka", "Lakka")
PARENTS = ("Mustikka", "Puolukka", "Lakka")
MAX_SOCKETS_PER_INSTANCE = 3
# What a parent does in one step about their wish to talk: ask; take back; ask, take back and
# ask again at once (refused: too soon); ask while waiting (nothing happens).
TALK_WISHES = ((True,), (False,), (True, False, True), (True, True))
STEPS = 20

pieces = st.one_of(
    st.text(max_size=12),
    st.sampled_from(list(CONTROLS)),
    st.sampled_from(list(BIDI)),
    st.just(" "),
    st.sampled_from(["040 123 4567", "maija@example.fi"]),  # asked about before posting
)
texts = st.lists(pieces, max_size=5).map("".join)
blank = st.lists(st.sampled_from([" ", "\t", "\n", *CONTROLS]), max_size=4).map("".join)
surrogates = st.sampled_from(["\ud800", "\udfff", "\udc80x", "a\ud83d"])


class Sock:
    """One fake connection and what the model expects of it."""

    def __init__(self, number: int, person: Person, instance: int, fake: FakeSocket) -> None:
        self.number = number
        self.person = person
        self.instance = instance
        self.fake = fake
        self.conn: Connection | None = None
        self.phase = "closed"  # waiting | lobby | room | closed
        self.expect_close: int | None = None
        self.welcomes = 0  # expected so far
        self.welcomes_checked = 0
        self.seen: set[int] = set()  # stored seqs it should have received
        self.left = False

    @property
    def live(self) -> bool:
        return self.expect_close is None and self.conn is not None

    def __repr__(self) -> str:
        return f"<socket {self.number} of {self.person.name} on {self.instance} {self.phase}>"


class RoomMachine(RuleBasedStateMachine):
    world: ClassVar[World]
    instances: ClassVar[int] = 1

    def __init__(self) -> None:
        super().__init__()
        self.ready = False
        self.spoiled = False  # the series' enrolments changed: the next example needs a new one
        self.socks: list[Sock] = []
        self.hubs: list[RoomHub] = []
        self.steps = 0

    # --- set-up and tear-down ---------------------------------------------------------------

    def run(self, work: Any) -> Any:
        return self.world.runner.run(work)

    @initialize(
        mode=st.sampled_from([MediaMode.CHAT, MediaMode.STAGE]),
        opened=st.sampled_from([True, True, True, False]),
        lobby=st.booleans(),
        present=st.lists(st.tuples(st.sampled_from(PEOPLE), st.integers(0, 1)), max_size=5),
    )
    def a_room(
        self, mode: MediaMode, opened: bool, lobby: bool, present: list[tuple[str, int]]
    ) -> None:
        """A new room; mostly opened by the facilitator, with some people already in."""
        self.room: ExampleRoom = self.run(self.world.new_room(mode))
        self.mode = mode
        self.people = self.room.people
        self.status = "waiting"
        self.locked = False
        self.slow_mode = 0
        self.lobby = True
        self.volunteers_moderate = False
        self.last_seq = 0
        self.texts: dict[int, str] = {}  # seq → stored text of messages, privates and questions
        self.kinds: dict[int, tuple[str, frozenset[str]]] = {}  # seq → kind, the private pair
        self.deleted: set[int] = set()
        self.questions: dict[int, tuple[str, str]] = {}  # seq → author, status
        self.voters: dict[int, set[str]] = {}
        self.threads: set[frozenset[str]] = set()
        self.waiting_to_talk: set[str] = set()  # parents who asked for a word, not yet answered
        self.held: dict[int, tuple[str, str]] = {}  # seq → author, text of a held chat message
        self.settled: set[int] = set()  # held messages approved or rejected
        self.talk_asked_at: dict[str, datetime] = {}
        self.rows_seen = 0
        self.hubs = self.run(self._start_hubs())
        self.ready = True
        if opened:
            self.enter("F", 0)
            self.open_room(0)
            if not lobby:
                self.lobby_setting(0, enabled=False)
        for name, instance in present:
            self.enter(name, instance)

    async def _start_hubs(self) -> list[RoomHub]:
        hubs = []
        for database in self.world.databases[: self.instances]:
            bus: Bus = MemoryBus() if self.instances == 1 else RedisBus(self.world.redis_url or "")
            hub = RoomHub(database, bus, self.world.clock, OPENS_BEFORE, org=self.world.org)
            # Pings after every step must not use up anyone's rate (test_room_fuzz covers it).
            hub.sockets.rate_per_second = hub.sockets.burst = 100_000
            await hub.start()
            hubs.append(hub)
        return hubs

    def teardown(self) -> None:
        if self.hubs:
            self.run(self._stop())
        if self.ready and self.spoiled:
            self.world.spoil(self.mode)

    async def _stop(self) -> None:
        for sock in self.socks:
            if sock.conn is not None and not sock.left:
                sock.left = True
                await self.hubs[sock.instance].leave(self.room.session_id, sock.conn)
        for hub in self.hubs:
            await hub.stop()

    # --- the model's rules --------------------------------------------------------------------

    def moderator(self, person: Person) -> bool:
        if person.is_leader:
            return True
        return person.role is ParticipantRole.VOLUNTEER and self.volunteers_moderate

    def live_socks(self) -> list[Sock]:
        return [s for s in self.socks if s.live]

    def pick(self, index: int) -> Sock:
        live = self.live_socks()
        return live[index % len(live)]

    def has_live(self) -> bool:
        return self.ready and bool(self.live_socks())

    def close_person(self, person: Person, code: int) -> None:
        for sock in self.live_socks():
            if sock.person is person:
                sock.expect_close = code

    def gate(self, sock: Sock) -> RoomError | None:
        """Why a participant's command is refused before its own rules, if it is."""
        if sock.phase == "waiting":
            return RoomError.ROOM_NOT_OPEN
        if sock.person.status is not MemberStatus.ADMITTED:
            return RoomError.NOT_ADMITTED
        if self.status != "open":
            return RoomError.ROOM_NOT_OPEN
        return None

    def moderator_gate(self, sock: Sock) -> RoomError | None:
        refused = self.gate(sock)
        if refused is None and not self.moderator(sock.person):
            return RoomError.NOT_ALLOWED
        return refused

    def leader_gate(self, sock: Sock) -> RoomError | None:
        if sock.phase == "waiting":
            return RoomError.ROOM_NOT_OPEN
        if not sock.person.is_leader:
            return RoomError.NOT_ALLOWED
        if self.status == "ended":
            return RoomError.ROOM_NOT_OPEN
        return None

    def writing_blocked(self, person: Person) -> RoomError | None:
        now = self.world.clock.now
        if person.muted_until is not None and person.muted_until > now:
            return RoomError.MUTED
        last = person.last_message_at
        if self.slow_mode and not person.is_staff and last is not None:
            ready = last + timedelta(seconds=self.slow_mode)
            return RoomError.SLOW_MODE if ready > now else None
        return None

    def target(self, who: int) -> tuple[Person, str]:
        """Mostly someone who has been in the room, sometimes anyone (and their peer id, or an
        unknown one for someone who never came)."""
        members = [p for p in self.people.values() if p.status is not None and not p.is_staff]
        members += [p for p in self.people.values() if p.status is not None and p.is_staff]
        if members and who % 4 != 3:
            person = members[who % len(members)]
        else:
            person = self.people[PEOPLE[who % len(PEOPLE)]]
        return person, person.peer or UNKNOWN_PEER

    def seq(self, pick: int, known: Any) -> int:
        """Mostly a message (or question) the room has, sometimes any number."""
        numbers = sorted(known)
        if numbers and pick % 4 != 3:
            return numbers[pick % len(numbers)]
        return pick % (self.last_seq + 1) + 1

    def removable(self, target: Person) -> RoomError | None:
        if target.status is None or target.status in (MemberStatus.REMOVED, MemberStatus.BANNED):
            return RoomError.UNKNOWN_PEER
        if target.is_staff:
            return RoomError.NOT_ALLOWED
        return None

    def bannable(self, target: Person) -> RoomError | None:
        """A parent removed earlier may still be banned (issue 18, point 9)."""
        if target.status is MemberStatus.REMOVED and not target.is_staff:
            return None
        return self.removable(target)

    def arrive(self, sock: Sock) -> None:
        """The person of a socket comes past the door (or the waiting room): lobby or room."""
        person = sock.person
        if person.status in (None, MemberStatus.LOBBY):
            lobby = self.lobby and not person.is_staff
            person.status = MemberStatus.LOBBY if lobby else MemberStatus.ADMITTED
        if person.status is MemberStatus.LOBBY:
            sock.phase = "lobby"
        else:
            sock.phase = "room"
            sock.welcomes += 1

    def admit(self, person: Person) -> None:
        person.status = MemberStatus.ADMITTED
        for sock in self.live_socks():
            if sock.person is person and sock.phase == "lobby":
                sock.phase = "room"
                sock.welcomes += 1

    def stored(self) -> int:
        self.last_seq += 1
        return self.last_seq

    # --- talking to the hub -------------------------------------------------------------------

    def command(self, sock: Sock, raw: str, expect: RoomError | None) -> list[dict[str, Any]]:
        """Send one frame, then a ping; check the error (or none) the frame got; return the
        frames that answered it."""
        answers: list[dict[str, Any]] = self.run(self._exchange(sock, raw))
        errors = [f["code"] for f in answers if f["type"] == "error"]
        wanted = [expect.value] if expect else []
        assert errors == wanted, f"{raw[:120]!r} by {sock}: errors {errors}, expected {wanted}"
        return answers

    async def _exchange(self, sock: Sock, raw: str) -> list[dict[str, Any]]:
        assert sock.conn is not None
        hub = self.hubs[sock.instance]
        before = len(sock.fake.frames)
        await hub.receive(self.room.session_id, sock.conn, raw)
        if sock.fake.closed_with is not None or sock.conn.gone:
            return sock.fake.frames[before:]
        await hub.receive(self.room.session_id, sock.conn, PING)
        await until(
            lambda: any(f["type"] == "pong" for f in sock.fake.frames[before:]),
            lambda: f"no pong from {sock} after {raw[:80]!r}",
        )
        answers = sock.fake.frames[before:]
        return answers[: next(i for i, f in enumerate(answers) if f["type"] == "pong")]

    async def _enter(self, sock: Sock) -> int | None:
        """Enter as the WebSocket route does: the access checks, then the hub."""
        person = sock.person
        database = self.world.databases[sock.instance]
        try:
            async with database.unit_of_work() as db:
                session = await room_session(db, self.room.session_id)
                if person.is_staff:
                    assert person.staff_id is not None
                    entrant = await staff_entrant(db, person.staff_id, session)
                else:
                    assert person.device is not None  # the cookie its link was swapped for
                    now = self.world.clock.now
                    entrant = await parent_entrant(db, person.device, session, now)
        except AccessRefused as refused:
            return refused.close_code
        hub = self.hubs[sock.instance]
        entered = await hub.enter(
            session, entrant, None, sock.fake.send, sock.fake.close, lambda code: str(code)
        )
        if isinstance(entered, Refusal):
            return entered.code
        sock.conn = entered
        return None

    # --- rules: coming and going --------------------------------------------------------------

    @precondition(lambda self: self.ready)
    @rule(name=st.sampled_from(PEOPLE), instance=st.integers(0, 1))
    def enter(self, name: str, instance: int) -> None:
        person = self.people[name]
        instance %= self.instances
        sock = Sock(len(self.socks), person, instance, FakeSocket())
        expected = self.entry(person, instance)
        refused = self.run(self._enter(sock))
        if person.peer is None:
            person.peer = self.run(
                peer_of(
                    self.world.database, self.room.session_id, person.enrolment_id, person.staff_id
                )
            )
        if isinstance(expected, int):
            assert refused == expected, f"{name} entering: {refused}, expected close {expected}"
            return
        assert refused is None, f"{name} entering: refused with {refused}, expected {expected}"
        self.socks.append(sock)
        if expected == "waiting":
            sock.phase = "waiting"
        else:
            self.arrive(sock)

    def entry(self, person: Person, instance: int) -> int | str:
        """The close code that refuses the person at the door, or where they go."""
        if not person.is_staff:
            if not person.link_works:
                return CloseCode.UNAUTHENTICATED
            if not person.enrolled or person.banned:
                return CloseCode.FORBIDDEN
        if person.status is MemberStatus.BANNED:
            return CloseCode.FORBIDDEN
        if person.status in (MemberStatus.REMOVED, MemberStatus.DENIED):
            return CloseCode.REMOVED
        if self.status == "ended":
            return CloseCode.ENDED
        here = [s for s in self.live_socks() if s.person is person and s.instance == instance]
        if len(here) >= MAX_SOCKETS_PER_INSTANCE:
            return CloseCode.TOO_MANY_CONNECTIONS
        if self.locked and person.status is not MemberStatus.ADMITTED and not person.is_staff:
            return CloseCode.LOCKED
        if self.status == "waiting" and not person.is_staff:
            return "waiting"
        return "arrive"

    @precondition(lambda self: self.has_live())
    @rule(index=st.integers(0, 50))
    def leave(self, index: int) -> None:
        sock = self.pick(index)
        self.run(self._leave(sock))

    async def _leave(self, sock: Sock) -> None:
        assert sock.conn is not None
        sock.expect_close = CloseCode.NORMAL  # the client went: nothing more is expected
        sock.left = True
        await self.hubs[sock.instance].leave(self.room.session_id, sock.conn)

    @precondition(lambda self: self.has_live())
    @rule(again=st.booleans())
    def everyone_leaves(self, again: bool) -> None:
        """Everyone leaves, so every instance drops the room; the room is rebuilt from storage
        and equals what it was live. With ``again``, the same people come back (a reload)."""
        before = [hub.rooms[self.room.session_id].state.durable() for hub in self.hubs_in_room()]
        coming_back = {(s.person.name, s.instance) for s in self.live_socks()}
        for sock in self.live_socks():
            self.run(self._leave(sock))
        self.settle()
        for hub in self.hubs:
            assert self.room.session_id not in hub.rooms, "the room outlived its last socket"
        reloaded = self.run(self._reloaded())
        for durable in before:
            assert reloaded == durable, "the room rebuilt from storage differs from the live one"
        if again:
            for name, instance in sorted(coming_back):
                self.enter(name, instance)

    # --- rules: what participants do ----------------------------------------------------------

    def send_text(self, sock: Sock, kind: str, text: str, limit: int, **fields: Any) -> None:
        person = sock.person
        cid = f"c{len(person.cids)}"
        raw = frame(type=kind, cid=cid, text=text, **fields)
        parsed = parsed_text(text, limit)
        refusal = (
            parsed if isinstance(parsed, RoomError) else self.write_refusal(sock, kind, fields)
        )
        answers = self.command(sock, raw, refusal)
        acks = [f for f in answers if f["type"] == "ack"]
        if refusal is not None:
            assert acks == [], f"refused {kind} acknowledged: {acks}"
            return
        assert isinstance(parsed, str)
        found = [] if person.is_leader else [k.value for k in identifying_kinds(parsed)]
        checks = [f for f in answers if f["type"] == "check"]
        holds = found and kind == "send" and self.mode is MediaMode.CHAT  # the series holds
        if found:  # asked about, stored nowhere; the person sends it anyway
            assert acks == [] and checks == [{"type": "check", "cid": cid, "findings": found}]
            waiting = sum(1 for author, _ in self.held.values() if author == person.name)
            full = RoomError.RATE_LIMITED if holds and waiting >= MAX_HELD_PER_AUTHOR else None
            answers = self.command(
                sock, frame(type=kind, cid=cid, text=text, confirmed=True, **fields), full
            )
            if full is not None:
                return
            acks = [f for f in answers if f["type"] == "ack"]
        else:
            assert checks == [], f"{kind} {parsed!r} asked about: {checks}"
        seq = self.stored()
        assert acks == [{"type": "ack", "cid": cid, "seq": seq}], f"{kind} acks {acks}"
        person.cids[cid] = seq
        self.texts[seq] = parsed
        if holds:  # only moderators and the author see it, until a moderator decides
            self.kinds[seq] = ("held", frozenset())
            self.held[seq] = (person.name, parsed)
            person.last_message_at = self.world.clock.now
        elif kind == "send":
            self.kinds[seq] = ("message", frozenset())
            person.last_message_at = self.world.clock.now
        elif kind == "private":
            other = next(p for p in self.people.values() if p.peer == fields["to"])
            pair = frozenset({person.name, other.name})
            self.kinds[seq] = ("private", pair)
            self.threads.add(pair)
            if person.is_leader and other.name in self.waiting_to_talk:  # answers the wish
                self.waiting_to_talk.discard(other.name)
                self.stored()
        else:
            status = "approved" if person.is_staff else "pending"
            self.kinds[seq] = ("question", frozenset())
            self.questions[seq] = (person.name, status)
            self.voters[seq] = set()

    def write_refusal(self, sock: Sock, kind: str, fields: dict[str, Any]) -> RoomError | None:
        refused = self.gate(sock)
        if refused:
            return refused
        person = sock.person
        if kind == "ask" and self.mode is not MediaMode.STAGE:
            return RoomError.WRONG_MODE
        if kind == "private":
            other = next((p for p in self.people.values() if p.peer == fields["to"]), None)
            if other is None or other.status is not MemberStatus.ADMITTED or other is person:
                return RoomError.UNKNOWN_PEER
            pair = frozenset({person.name, other.name})
            if not person.is_leader and not (other.is_leader and pair in self.threads):
                return RoomError.NOT_ALLOWED
            if person.is_leader and other.is_leader:
                return RoomError.NOT_ALLOWED
        return self.writing_blocked(person)

    @precondition(lambda self: self.has_live())
    @rule(index=st.integers(0, 50), text=texts)
    def send(self, index: int, text: str) -> None:
        self.send_text(self.pick(index), "send", f"{text} ~m{self.last_seq + 1}~", MAX_TEXT)

    def send_blank(self, index: int, text: str, kind: str) -> None:
        """Nothing but spaces and control characters: not a message."""
        sock = self.pick(index)
        self.command(sock, frame(type=kind, cid="blank", text=text), RoomError.BAD_FRAME)

    def send_lone_surrogate(self, index: int, text: str, lone: str, field: str) -> None:
        """A lone surrogate as a JSON escape is not text: refused at the edge, never stored."""
        sock = self.pick(index)
        if field == "send":
            raw = frame(type="send", cid="surrogate", text=f"{text}{lone}")
        else:
            raw = frame(type="report", seq=max(self.last_seq, 1), reason=f"{text}{lone}")
        assert "\\ud" in raw.lower()
        self.command(sock, raw, RoomError.INVALID_TEXT)

    def send_oversized(self, index: int, extra: int, kind: str) -> None:
        limit = MAX_TEXT if kind == "send" else MAX_QUESTION
        sock = self.pick(index)
        self.command(
            sock, frame(type=kind, cid="big", text="x" * (limit + extra)), RoomError.TOO_LONG
        )

    @precondition(lambda self: self.has_live() and any(p.cids for p in self.people.values()))
    @rule(index=st.integers(0, 50), text=texts)
    def send_again(self, index: int, text: str) -> None:
        """A retried send (same client id) lands once: acknowledged with the first seq."""
        sock = self.pick(index)
        if not sock.person.cids or self.gate(sock) is not None:
            return
        cid, seq = next(iter(sock.person.cids.items()))
        answers = self.command(sock, frame(type="send", cid=cid, text=f"{text}x"), None)
        assert [f for f in answers if f["type"] == "ack"] == [
            {"type": "ack", "cid": cid, "seq": seq}
        ]

    @precondition(lambda self: self.has_live())
    @rule(index=st.integers(0, 50), to=st.integers(0, 30), text=texts)
    def private(self, index: int, to: int, text: str) -> None:
        _, peer = self.target(to)
        marked = f"{text} ~m{self.last_seq + 1}~"
        self.send_text(self.pick(index), "private", marked, MAX_TEXT, to=peer)

    @precondition(lambda self: self.has_live())
    @rule(index=st.integers(0, 50), text=texts)
    def ask(self, index: int, text: str) -> None:
        self.send_text(self.pick(index), "ask", f"{text} ~m{self.last_seq + 1}~", MAX_QUESTION)

    @precondition(lambda self: self.has_live())
    @rule(index=st.integers(0, 50), wishes=st.sampled_from(TALK_WISHES))
    def need_to_talk(self, index: int, wishes: tuple[bool, ...]) -> None:
        """A parent (mostly) asks the facilitators privately for a word, or takes it back, or
        both in a row (issue 21): nothing changes while already so, and asking again waits a
        minute after the last asking."""
        parents = [s for s in self.live_socks() if not s.person.is_staff]
        sock = parents[index % len(parents)] if parents and index % 5 else self.pick(index)
        for pending in wishes:
            self.wish_to_talk(sock, pending)

    def wish_to_talk(self, sock: Sock, pending: bool) -> None:
        person, now = sock.person, self.world.clock.now
        waiting = person.name in self.waiting_to_talk
        refused = self.gate(sock)
        if refused is None and person.is_staff:
            refused = RoomError.NOT_ALLOWED
        asked = self.talk_asked_at.get(person.name)
        again = asked is not None and asked + timedelta(seconds=TALK_AGAIN_SECONDS) > now
        if refused is None and pending and not waiting and again:
            refused = RoomError.RATE_LIMITED
        self.command(sock, frame(type="need_to_talk", pending=pending), refused)
        if refused is not None or pending == waiting:
            return
        self.stored()
        if pending:
            self.waiting_to_talk.add(person.name)
            self.talk_asked_at[person.name] = now
        else:
            self.waiting_to_talk.discard(person.name)

    def upvote(self, index: int, pick: int) -> None:
        sock = self.pick(index)
        question = self.seq(pick, self.questions)
        refused = self.gate(sock)
        if refused is None:
            status = self.questions.get(question, ("", ""))[1]
            if status not in ("approved", "answered"):
                refused = RoomError.UNKNOWN_MESSAGE
            elif sock.person.name in self.voters[question]:
                refused = RoomError.DUPLICATE
        self.command(sock, frame(type="upvote", question=question), refused)
        if refused is None:
            self.stored()
            self.voters[question].add(sock.person.name)

    def moderate_question(self, index: int, pick: int, action: str) -> None:
        sock = self.pick(index)
        question = self.seq(pick, self.questions)
        refused = self.moderator_gate(sock)
        if refused is None and question not in self.questions:
            refused = RoomError.UNKNOWN_MESSAGE
        self.command(sock, frame(type="question", question=question, action=action), refused)
        if refused is None:
            status = {"approve": "approved", "answered": "answered", "hide": "hidden"}[action]
            self.questions[question] = (self.questions[question][0], status)
            self.stored()

    @precondition(lambda self: self.has_live())
    @rule(index=st.integers(0, 50), pick=st.integers(0, 30), reason=texts)
    def report(self, index: int, pick: int, reason: str) -> None:
        sock = self.pick(index)
        seq = self.seq(pick, self.kinds)
        parsed = parsed_text(reason, MAX_REASON, required=False)
        refused = parsed if isinstance(parsed, RoomError) else self.gate(sock)
        if refused is None:
            kind, pair = self.kinds.get(seq, ("", frozenset()))
            visible = kind == "message" or sock.person.name in pair or self.moderator(sock.person)
            if not kind or seq in self.deleted | self.settled or not visible:
                refused = RoomError.UNKNOWN_MESSAGE
        self.command(sock, frame(type="report", seq=seq, reason=reason), refused)
        if refused is None:
            self.stored()

    # --- rules: what moderators do -------------------------------------------------------------

    @precondition(lambda self: self.has_live())
    @rule(index=st.integers(0, 50), pick=st.integers(0, 30))
    def delete(self, index: int, pick: int) -> None:
        sock = self.pick(index)
        seq = self.seq(pick, self.kinds)
        refused = self.moderator_gate(sock)
        if refused is None:
            kind, pair = self.kinds.get(seq, ("", frozenset()))
            mine = kind != "private" or sock.person.name in pair
            if not kind or kind == "held" or seq in self.deleted or not mine:
                refused = RoomError.UNKNOWN_MESSAGE
        self.command(sock, frame(type="delete", seq=seq), refused)
        if refused is None:
            self.deleted.add(seq)
            self.stored()

    @precondition(lambda self: self.has_live() and self.mode is MediaMode.CHAT)
    @rule(index=st.integers(0, 50), pick=st.integers(0, 30), approve=st.booleans())
    def moderate_held(self, index: int, pick: int, approve: bool) -> None:
        """A moderator approves a held message (posted to everyone under a seq of its own) or
        rejects it (its text is dropped); once decided it is not waiting any more."""
        sock = self.pick(index)
        seq = self.seq(pick, self.held)
        refused = self.moderator_gate(sock)
        if refused is None and seq not in self.held:
            refused = RoomError.UNKNOWN_MESSAGE
        self.command(sock, frame(type="held", message=seq, approve=approve), refused)
        if refused is not None:
            return
        _author, text = self.held.pop(seq)
        self.settled.add(seq)
        posted = self.stored()
        if approve:
            self.kinds[posted] = ("message", frozenset())
            self.texts[posted] = text
        else:
            self.deleted.add(seq)

    @precondition(lambda self: self.has_live())
    @rule(
        index=st.integers(0, 50),
        who=st.integers(0, 30),
        action=st.sampled_from(["mute", "remove", "ban"]),
        seconds=st.sampled_from([0, 30, 120]),
    )
    def moderate(self, index: int, who: int, action: str, seconds: int) -> None:
        sock = self.pick(index)
        target, peer = self.target(who)
        allowed = self.bannable(target) if action == "ban" else self.removable(target)
        refused = self.moderator_gate(sock) or allowed
        fields: dict[str, Any] = {"seconds": seconds} if action == "mute" else {}
        self.command(sock, frame(type=action, peer=peer, **fields), refused)
        if refused is not None:
            return
        self.stored()
        now = self.world.clock.now
        if action == "mute":
            target.muted_until = now + timedelta(seconds=seconds) if seconds else None
        elif action == "remove":
            target.status = MemberStatus.REMOVED
            self.close_person(target, CloseCode.REMOVED)
        else:
            self.spoiled = True
            target.status = MemberStatus.BANNED
            target.banned = True
            target.enrolled = False
            self.close_person(target, CloseCode.REMOVED)

    def room_setting(self, index: int, setting: str, on: bool, seconds: int) -> None:
        sock = self.pick(index)
        refused = self.moderator_gate(sock)
        if setting == "lock":
            self.command(sock, frame(type="lock", locked=on), refused)
            if refused is None:
                self.locked = on
        else:
            value = seconds if on else 0
            self.command(sock, frame(type="slow_mode", seconds=value), refused)
            if refused is None:
                self.slow_mode = value

    def lobby_setting(self, index: int, enabled: bool) -> None:
        sock = self.pick(index)
        refused = self.leader_gate(sock)
        self.command(sock, frame(type="lobby", enabled=enabled), refused)
        if refused is None:
            self.lobby = enabled
            if not enabled:
                for person in self.waiting_in_lobby():
                    self.admit(person)

    def waiting_in_lobby(self) -> list[Person]:
        """People in the lobby with a socket open there."""
        return [
            p
            for p in self.people.values()
            if p.status is MemberStatus.LOBBY
            and any(s.person is p and s.phase == "lobby" for s in self.live_socks())
        ]

    def volunteers_moderate_setting(self, index: int, allowed: bool) -> None:
        sock = self.pick(index)
        refused = self.leader_gate(sock)
        self.command(sock, frame(type="volunteers_moderate", allowed=allowed), refused)
        if refused is None:
            self.volunteers_moderate = allowed

    def admit_or_deny(self, index: int, who: int, admit: bool) -> None:
        sock = self.pick(index)
        target, peer = self.target(who)
        refused = self.moderator_gate(sock)
        if refused is None and target.status is not MemberStatus.LOBBY:
            refused = RoomError.UNKNOWN_PEER
        self.command(sock, frame(type="admit" if admit else "deny", peer=peer), refused)
        if refused is None and admit:
            self.admit(target)
        elif refused is None:
            target.status = MemberStatus.DENIED
            self.close_person(target, CloseCode.REMOVED)

    def admit_all(self, index: int) -> None:
        sock = self.pick(index)
        refused = self.moderator_gate(sock)
        self.command(sock, frame(type="admit_all"), refused)
        if refused is None:
            for person in self.waiting_in_lobby():
                self.admit(person)

    @precondition(lambda self: self.has_live())
    @rule(index=st.integers(0, 50))
    def open_room(self, index: int) -> None:
        sock = self.pick(index)
        refused = self.leader_gate(sock)
        self.command(sock, frame(type="open"), refused)
        if refused is None and self.status == "waiting":
            self.status = "open"
            for waiting in self.live_socks():
                if waiting.phase == "waiting":
                    self.arrive(waiting)

    @precondition(lambda self: self.has_live() and self.steps >= STEPS // 2)
    @rule(index=st.integers(0, 50))
    def end_room(self, index: int) -> None:
        sock = self.pick(index)
        refused = self.leader_gate(sock)
        self.command(sock, frame(type="end"), refused)
        if refused is None:
            self.status = "ended"
            for live in self.live_socks():
                live.expect_close = CloseCode.ENDED

    @precondition(lambda self: self.ready)
    @rule(seconds=st.sampled_from([1, 10, 45, 200]))
    def time_passes(self, seconds: int) -> None:
        self.world.clock.advance(seconds=seconds)

    # --- rules: actions over HTTP, committed elsewhere -------------------------------------------

    def http(self, work: Any) -> None:
        self.spoiled = True
        self.run(self._http(work))

    async def _http(self, work: Any) -> None:
        async with self.world.database.unit_of_work() as db:
            await work(db)

    def http_revoke_link(self, name: str, reissue: bool) -> None:
        """A coordinator revokes (or replaces) a parent's link: their sockets close with 4001."""
        person = self.people[name]
        series, now = self.room.series_id, self.world.clock.now
        assert person.enrolment_id is not None

        async def revoke(db: Any) -> None:
            if reissue:
                person.token = await enrolment.reissue_link(db, series, person.enrolment_id, now)
            else:
                await enrolment.revoke_link(db, series, person.enrolment_id, now)

        self.http(revoke)
        if reissue:  # the parent opens the new link: the old device was let go with the old link
            assert person.token is not None
            person.device = self.run(open_link(self.world.databases[0], person.token))
        person.link_works = reissue
        self.close_person(person, CloseCode.UNAUTHENTICATED)

    def http_end_enrolment(self, name: str) -> None:
        person = self.people[name]
        if not person.enrolled:
            return
        series, now = self.room.series_id, self.world.clock.now
        assert person.enrolment_id is not None
        self.http(lambda db: enrolment.remove(db, self.world.org, series, person.enrolment_id, now))
        person.enrolled = False
        self.close_person(person, CloseCode.FORBIDDEN)

    def http_ban(self, name: str, lift: bool) -> None:
        """A coordinator bans a parent from the series page, or lifts a ban."""
        person = self.people[name]
        series, now = self.room.series_id, self.world.clock.now
        assert person.enrolment_id is not None
        org = self.world.org
        if lift:
            self.http(lambda db: bans.lift_ban(db, series, person.enrolment_id, now, "Kaisa"))
            if person.banned and person.status is MemberStatus.BANNED:
                person.status = MemberStatus.REMOVED
            person.banned = False
            return
        self.http(lambda db: bans.ban(db, org, series, person.enrolment_id, now, "Kaisa"))
        if not person.banned:
            person.banned = True
            person.enrolled = False
            if person.peer is not None:  # came to the door at least: a banned member now
                person.status = MemberStatus.BANNED
            self.close_person(person, CloseCode.FORBIDDEN)

    # --- rules that pick one of several commands (fewer rules: each is drawn more often) ------

    @precondition(lambda self: self.has_live())
    @rule(
        index=st.integers(0, 50),
        variant=st.sampled_from(["blank", "surrogate", "oversized"]),
        kind=st.sampled_from(["send", "ask", "report"]),
        text=texts,
        lone=surrogates,
        extra=st.integers(1, 3000),
        spaces=blank,
    )
    def malformed(
        self, index: int, variant: str, kind: str, text: str, lone: str, extra: int, spaces: str
    ) -> None:
        """Text that is blank, not text at all (a lone surrogate) or too long."""
        if variant == "surrogate":
            self.send_lone_surrogate(index, text, lone, "report" if kind == "report" else "send")
        elif kind == "report":
            return
        elif variant == "blank":
            self.send_blank(index, spaces, kind)
        else:
            self.send_oversized(index, extra, kind)

    @precondition(lambda self: self.has_live())
    @rule(
        index=st.integers(0, 50),
        pick=st.integers(0, 30),
        action=st.sampled_from(["upvote", "approve", "answered", "hide"]),
    )
    def about_a_question(self, index: int, pick: int, action: str) -> None:
        if action == "upvote":
            self.upvote(index, pick)
        else:
            self.moderate_question(index, pick, action)

    @precondition(lambda self: self.has_live())
    @rule(
        index=st.integers(0, 50),
        setting=st.sampled_from(["lock", "slow_mode", "lobby", "volunteers_moderate"]),
        on=st.booleans(),
        seconds=st.sampled_from([5, 60]),
    )
    def change_setting(self, index: int, setting: str, on: bool, seconds: int) -> None:
        if setting == "lobby":
            self.lobby_setting(index, on)
        elif setting == "volunteers_moderate":
            self.volunteers_moderate_setting(index, on)
        else:
            self.room_setting(index, setting, on, seconds)

    @precondition(lambda self: self.has_live())
    @rule(
        index=st.integers(0, 50),
        who=st.integers(0, 30),
        decision=st.sampled_from(["admit", "deny", "admit_all"]),
    )
    def at_the_lobby(self, index: int, who: int, decision: str) -> None:
        if decision == "admit_all":
            self.admit_all(index)
        else:
            self.admit_or_deny(index, who, decision == "admit")

    @precondition(lambda self: self.ready)
    @rule(
        name=st.sampled_from(PARENTS),
        action=st.sampled_from(["revoke", "reissue", "end", "ban", "lift"]),
    )
    def over_http(self, name: str, action: str) -> None:
        """A coordinator acts on a parent on the series page; the room hears of it."""
        if action in ("revoke", "reissue"):
            self.http_revoke_link(name, reissue=action == "reissue")
        elif action == "end":
            self.http_end_enrolment(name)
        else:
            self.http_ban(name, lift=action == "lift")

    # --- after every step ------------------------------------------------------------------------

    def hubs_in_room(self) -> list[RoomHub]:
        return [hub for hub in self.hubs if self.room.session_id in hub.rooms]

    def settle(self) -> None:
        self.run(self._settle())

    async def _settle(self) -> None:
        """Wait until what the step set off has happened: closes, welcomes, the other instance."""
        session_id = self.room.session_id
        # Work the hubs do in tasks of their own: welcomes after admission, and actions committed
        # over HTTP, which are told to the rooms after the commit.
        await until(
            lambda: not any(hub.busy for hub in self.hubs),
            lambda: "the hubs' follow-up work did not finish",
        )
        await until(
            lambda: (
                all(
                    s.fake.closed_with is not None
                    for s in self.socks
                    if s.expect_close not in (None, CloseCode.NORMAL)
                )
                and all(len(s.fake.of_type("welcome")) >= s.welcomes for s in self.live_socks())
            ),
            lambda: f"closes and welcomes: {self.describe_socks()}",
        )
        for sock in self.socks:
            if sock.fake.closed_with is not None and not sock.left and sock.conn is not None:
                sock.left = True
                await self.hubs[sock.instance].leave(session_id, sock.conn)
        if len(self.hubs_in_room()) == 2:
            first, second = (hub.rooms[session_id].state for hub in self.hubs)
            await until(
                lambda: first.durable() == second.durable(),
                lambda: f"the instances disagree: {_difference(first.durable(), second.durable())}",
            )
        # Nobody connected stops receiving: every live socket answers a ping.
        for sock in self.live_socks():
            assert sock.fake.closed_with is None, f"{sock} closed with {sock.fake.closed_with}"
            assert sock.conn is not None
            before = len(sock.fake.frames)
            await self.hubs[sock.instance].receive(session_id, sock.conn, PING)
            await until(
                lambda s=sock, n=before: any(f["type"] == "pong" for f in s.fake.frames[n:]),
                lambda s=sock: f"{s} stopped receiving",
            )

    def describe_socks(self) -> list[tuple[Sock, int | None, int | None, int]]:
        return [(s, s.fake.closed_with, s.expect_close, s.welcomes) for s in self.socks]

    async def _reloaded(self) -> dict[str, Any]:
        async with self.world.database.unit_of_work() as db:
            session = await db.get(SessionRow, self.room.session_id)
            assert session is not None
            state = await load_state(db, session, OPENS_BEFORE)
            durable: dict[str, Any] = state.durable()
            return durable

    @invariant()
    def one_truth(self) -> None:
        if not self.ready:
            return
        self.steps += 1
        self.settle()
        for sock in self.socks:
            if sock.expect_close not in (None, CloseCode.NORMAL):
                assert sock.fake.closed_with == sock.expect_close, (
                    f"{sock} closed with {sock.fake.closed_with}, expected {sock.expect_close}"
                )
        reloaded = self.run(self._reloaded())
        for hub in self.hubs_in_room():
            live = hub.rooms[self.room.session_id].state.durable()
            assert live == reloaded, f"live ≠ reloaded: {_difference(live, reloaded)}"
        self.check_model(reloaded)
        rows: list[StoredRow] = self.run(stored_rows(self.world.database, self.room.session_id))
        self.check_rows(rows)
        self.check_deliveries(rows)

    def check_model(self, durable: dict[str, Any]) -> None:
        settings = durable["settings"]
        assert settings["status"] == self.status
        assert (settings["locked"], settings["slow_mode"]) == (self.locked, self.slow_mode)
        assert (settings["lobby"], settings["volunteers_moderate"]) == (
            self.lobby,
            self.volunteers_moderate,
        )
        assert durable["last_seq"] == self.last_seq, "stored events differ from the model's"
        members = durable["members"]
        for person in self.people.values():
            if person.status in (None, MemberStatus.LOBBY):
                assert person.peer not in members, f"{person.name} should not be a member"
                continue
            entry = members[person.peer]
            who = entry[0] if isinstance(entry[0], tuple) else entry  # (name, role, status, ...)
            _, _, status, muted_until, last_message_at = who[:5]
            assert status is person.status, f"{person.name}: {status}, model {person.status}"
            assert muted_until == person.muted_until, f"{person.name} muted until {muted_until}"
            assert last_message_at == person.last_message_at

    def check_rows(self, rows: list[StoredRow]) -> None:
        """What is stored is what was said, and nothing of a deleted message's text."""
        assert [r.seq for r in rows] == list(range(1, self.last_seq + 1))
        for row in rows:
            if row.seq in self.texts:
                if row.deleted:
                    assert "text" not in row.data
                else:
                    assert row.data["text"] == self.texts[row.seq]
                    assert not bidi_leaks(row.data["text"]), "a text leaves a bidi override open"
        for seq in self.deleted:  # every text ends with its own marker: "~m<seq>~"
            marker = f"~m{seq}~"
            assert all(marker not in json.dumps(r.data) for r in rows), f"deleted {marker} kept"

    def withheld(self, row: StoredRow, name: str, moderator: bool) -> bool:
        """A question a moderator hid is sent again only to its author and to moderators."""
        if row.type == "question":
            question = row.seq
        elif row.type == "question_update":
            question = row.data["question"]
        else:
            return False
        author, status = self.questions.get(question, ("", ""))
        return status == "hidden" and author != name and not moderator

    def check_deliveries(self, rows: list[StoredRow]) -> None:
        """Welcomes carry exactly what their person may see; live sockets get every new event
        they may see and nothing else."""
        seen = seen_by(rows, stage=self.mode is MediaMode.STAGE)
        new = [r for r in rows if r.seq > self.rows_seen]
        self.rows_seen = self.last_seq
        for sock in self.live_socks():
            person = sock.person
            assert person.peer is not None
            moderator = self.moderator(person)
            welcomes = sock.fake.of_type("welcome")
            assert len(welcomes) == sock.welcomes, f"{sock}: {len(welcomes)} welcomes"
            if sock.phase == "room" and sock.welcomes > sock.welcomes_checked:
                sock.welcomes_checked = sock.welcomes
                welcome = welcomes[-1]
                stage = self.mode is MediaMode.STAGE
                expected = [
                    r.wire(person.peer, moderator, stage)
                    for r in rows
                    if seen[r.seq].by(person.peer, moderator)
                    and not self.withheld(r, person.name, moderator)
                    and not (r.type == "held" and r.deleted)  # told by its approval or rejection
                ]
                assert welcome["events"] == expected, f"{sock}'s welcome history"
                assert welcome["you"]["peer"] == person.peer
                assert welcome["you"]["moderator"] == moderator
                for seq in self.deleted:
                    assert f"~m{seq}~" not in json.dumps(welcome), f"deleted {seq} in a welcome"
                sock.seen = {e["seq"] for e in expected}
            elif sock.phase == "room":
                sock.seen |= {r.seq for r in new if seen[r.seq].by(person.peer, moderator)}
            received = {e["seq"] for w in welcomes for e in w["events"]} | {
                f["seq"] for f in sock.fake.frames if f["type"] in STORED_TYPES
            }
            assert received == sock.seen, (
                f"{sock} received {sorted(received)}, may see {sorted(sock.seen)}"
            )


SETTLE = 5.0


def _difference(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    return {k: (a.get(k), b.get(k)) for k in a.keys() | b.keys() if a.get(k) != b.get(k)}


# --- the tests -------------------------------------------------------------------------------


def run_machine(world: World, instances: int, examples: int) -> None:
    machine = type("Room", (RoomMachine,), {"world": world, "instances": instances})
    try:
        world.runner.run(world.prepare())
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=examples,
                stateful_step_count=STEPS,
                deadline=None,
                print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            ),
        )
    finally:
        world.runner.run(world.dispose())


@pytest.fixture
def runner():
    with asyncio.Runner() as runner:
        yield runner


def test_a_room_on_sqlite_has_one_truth_whatever_happens_in_it(
    runner: asyncio.Runner, tmp_path: Path, sqlite_template: Path, org: Organisation
) -> None:
    world = World(runner, sqlite_databases(tmp_path, sqlite_template, 1), None, org, Clock())
    run_machine(world, instances=1, examples=70)


def test_a_room_on_postgresql_has_one_truth_whatever_happens_in_it(
    runner: asyncio.Runner, postgres_url: str | None, org: Organisation
) -> None:
    if postgres_url is None:
        service_unavailable(f"PostgreSQL not usable at {POSTGRES_URL}: {POSTGRES_PROBLEM}")
    world = World(runner, runner.run(postgres_databases(postgres_url, 1)), None, org, Clock())
    run_machine(world, instances=1, examples=70)


def test_two_instances_over_redis_hold_the_same_room_whatever_happens_in_it(
    runner: asyncio.Runner, postgres_url: str | None, redis_url: str, org: Organisation
) -> None:
    if postgres_url is None:
        service_unavailable(f"PostgreSQL not usable at {POSTGRES_URL}: {POSTGRES_PROBLEM}")
    databases = runner.run(postgres_databases(postgres_url, 2))
    world = World(runner, databases, redis_url, org, Clock())
    run_machine(world, instances=2, examples=60)

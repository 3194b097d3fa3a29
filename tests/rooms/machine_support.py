"""Support for the room's stateful property test: a world to run it in, fake sockets, and the
test's own reading of what a room stores and who may see it.

The visibility rules here are written from docs/protocol.md and the event table, not taken from
``RoomState.can_see`` or the stored audiences: the test compares two readings of one intent.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from server.enrolment import devices
from server.organisation import Organisation
from server.people.roles import Role
from server.rooms.frames import RoomError
from server.rooms.state import MemberStatus, ParticipantRole
from server.scheduling import service as scheduling
from server.scheduling.room_rules import hold_identifying
from server.scheduling.series import MediaMode
from server.storage.db import Database
from server.storage.tables import RoomEventRow, RoomMemberRow, SessionRow
from tests.conftest import T0, Clock, _truncate
from tests.factories import a_staff_member, enrol_parent, seed_series

OPENS_BEFORE = timedelta(minutes=30)
SETTLE_SECONDS = 5.0
PING = '{"type":"ping"}'
# Stored event types: what a client receives with a ``seq``.
STORED_TYPES = frozenset(
    {
        "message",
        "private",
        "question",
        "question_update",
        "deleted",
        "report",
        "moderation",
        "need_to_talk",
        "held",
        "held_approved",
        "held_rejected",
    }
)
# Unicode's control characters but newline and tab: the protocol drops them from texts.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SURROGATE = re.compile("[\ud800-\udfff]")
# Embeddings, overrides and isolates: dropped from messages (issue 18, point 7).
REORDERING = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Embeddings and overrides end at PDF; isolates end at PDI.
BIDI_OPENERS = {"\u202a": "\u202c", "\u202b": "\u202c", "\u202d": "\u202c", "\u202e": "\u202c"}
ISOLATE_OPENERS = {"\u2066": "\u2069", "\u2067": "\u2069", "\u2068": "\u2069"}
BIDI = "".join(BIDI_OPENERS) + "\u202c" + "".join(ISOLATE_OPENERS) + "\u2069"
CONTROLS = "\x00\x07\x0b\x1b\x7f\x85\x9b"
UNKNOWN_PEER = "unknownpeer00001"


# --- texts ------------------------------------------------------------------------------------


def parsed_text(raw: str, limit: int, required: bool = True) -> str | RoomError:
    """What the protocol makes of a text field: the stored text, or the error refusing it."""
    if SURROGATE.search(raw):
        return RoomError.INVALID_TEXT
    value = REORDERING.sub("", CONTROL.sub("", raw)).strip()
    if len(value) > limit:
        return RoomError.TOO_LONG
    if required and not value:
        return RoomError.BAD_FRAME
    return value


def bidi_leaks(value: str) -> bool:
    """Whether a text leaves an embedding, override or isolate open, so that it can reverse the
    text shown after it (a closing mark without an opener is harmless)."""
    stack: list[str] = []
    for char in value:
        if char in BIDI_OPENERS or char in ISOLATE_OPENERS:
            stack.append(char)
        elif char == "\u2069":  # PDI also closes embeddings opened inside its isolate
            while stack and stack[-1] not in ISOLATE_OPENERS:
                stack.pop()
            if stack:
                stack.pop()
        elif char == "\u202c" and stack and stack[-1] in BIDI_OPENERS:
            stack.pop()
    return bool(stack)


def frame(**fields: Any) -> str:
    """A client frame as a browser's JSON.stringify would send it: every non-ASCII character,
    lone surrogates included, as a ``\\u`` escape."""
    return json.dumps(fields, ensure_ascii=True)


# --- a socket as the hub sees it ----------------------------------------------------------------


class FakeSocket:
    """A WebSocket that takes every frame at once, encoding it as a real one must (UTF-8)."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.closed_with: int | None = None

    async def send(self, text: str) -> None:
        text.encode("utf-8")  # what a transport does; a lone surrogate raises here
        self.frames.append(json.loads(text))

    async def close(self, code: int) -> None:
        if self.closed_with is None:
            self.closed_with = code

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["type"] == kind]


# --- who may see what ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredRow:
    seq: int
    type: str
    data: dict[str, Any]
    actor: str | None
    deleted: bool

    def wire(self, viewer: str, moderator: bool = True, stage: bool = False) -> dict[str, Any]:
        """As replayed to ``viewer`` in a welcome: a deleted message only as the fact that it was
        deleted; a vote without its voter, but for the voter themselves, as their own; on a
        stage, what a parent (the audience) wrote without their alias, but for themselves and
        the moderators."""
        if self.deleted:
            return {"type": "deleted", "seq": self.seq, "message": self.seq}
        frame = {"type": self.type, "seq": self.seq, **self.data}
        if self.type == "question_update" and frame.pop("voter", None) == viewer:
            frame["voted"] = True
        if not moderator:  # sent after the room asked about identifying details: staff see it
            frame.pop("flagged", None)
        asked = frame.get("asked")
        author = asked or frame
        written = self.type in ("message", "question", "question_update")
        by_another_parent = author.get("role") == "parent" and author.get("peer") != viewer
        if stage and not moderator and written and by_another_parent:
            frame.pop("peer", None)
            frame.pop("name", None)
            if asked:
                frame["asked"] = {k: v for k, v in asked.items() if k not in ("peer", "name")}
        return frame


@dataclass(frozen=True)
class Seen:
    """Who sees a stored event: every admitted person, the moderators, and/or named peers."""

    everyone: bool = False
    moderators: bool = False
    peers: frozenset[str] = frozenset()

    def by(self, peer: str, moderator: bool) -> bool:
        return self.everyone or (self.moderators and moderator) or peer in self.peers


EVERYONE = Seen(everyone=True)


def seen_by(rows: list[StoredRow], stage: bool = False) -> dict[int, Seen]:
    """Who sees each stored event, by the protocol's rules (docs/protocol.md):

    a message everyone; a private message its two people; a question moderators and its author
    while pending, everyone once approved; a question's update everyone, except hiding a question
    still pending (it stays between staff and its author); a deletion whoever saw the message; a
    report the moderators; a parent's wish to talk the moderators and that parent; a held message
    and its rejection the moderators and its author, its approval everyone; a moderation
    action everyone, but on a stage (where it is always about a member of the audience) only
    that person and the moderators.
    """
    status: dict[int, str] = {}
    authors: dict[int, str | None] = {}
    pairs: dict[int, frozenset[str]] = {}
    seen: dict[int, Seen] = {}
    for row in rows:
        data = row.data
        if row.type == "message":
            audience = EVERYONE
        elif row.type == "private":
            pairs[row.seq] = frozenset({row.actor or "", data["to"]})
            audience = Seen(peers=pairs[row.seq])
        elif row.type == "question":
            status[row.seq] = data["status"]
            authors[row.seq] = row.actor
            pending = data["status"] == "pending"
            audience = (
                Seen(moderators=True, peers=frozenset({row.actor or ""})) if pending else EVERYONE
            )
        elif row.type == "question_update":
            question = data["question"]
            hidden_unseen = status.get(question) == "pending" and data["status"] == "hidden"
            author = authors.get(question) or ""
            audience = (
                Seen(moderators=True, peers=frozenset({author})) if hidden_unseen else EVERYONE
            )
            status[question] = data["status"]
        elif row.type == "deleted":
            pair = pairs.get(data["message"])
            audience = Seen(peers=pair) if pair else EVERYONE
        elif row.type == "report":
            audience = Seen(moderators=True)
        elif row.type == "need_to_talk" or (row.type == "moderation" and stage):
            audience = Seen(moderators=True, peers=frozenset({data["peer"]}))
        elif row.type == "moderation":
            audience = EVERYONE
        elif row.type == "held":  # a chat message held for approval, then approved or rejected
            audience = Seen(moderators=True, peers=frozenset({row.actor or ""}))
        elif row.type == "held_approved":
            audience = EVERYONE
        elif row.type == "held_rejected":
            audience = Seen(moderators=True, peers=frozenset({data["peer"]}))
        else:
            raise AssertionError(f"a stored event type the test does not know: {row.type}")
        seen[row.seq] = audience
    return seen


async def stored_rows(database: Database, session_id: int) -> list[StoredRow]:
    async with database.unit_of_work() as db:
        rows = await db.scalars(
            select(RoomEventRow)
            .where(RoomEventRow.session_id == session_id)
            .order_by(RoomEventRow.seq)
        )
        return [
            StoredRow(r.seq, r.type, dict(r.data), r.actor, r.deleted_at is not None) for r in rows
        ]


async def peer_of(
    database: Database, session_id: int, enrolment_id: int | None, staff_id: int | None
) -> str | None:
    """The person's peer id in the room, if they have a membership (they came to the door)."""
    key = (
        RoomMemberRow.enrolment_id == enrolment_id
        if enrolment_id is not None
        else RoomMemberRow.staff_id == staff_id
    )
    async with database.unit_of_work() as db:
        return await db.scalar(
            select(RoomMemberRow.peer).where(RoomMemberRow.session_id == session_id, key)
        )


# --- the people and the room of one example -----------------------------------------------------


PARENT_NAMES = ("Mustikka", "Puolukka", "Lakka")
SESSIONS_PER_SERIES = 8


async def open_link(database: Database, token: str) -> str:
    """The device cookie a browser gets for a personal link, kept for the whole test."""
    async with database.unit_of_work() as db:
        _, device = await devices.open_link(db, token, None, T0, DEVICE_LIFE)
    assert device is not None
    return device


DEVICE_LIFE = timedelta(days=3650)  # longer than any test's clock moves


@dataclass
class Person:
    """One person as the test's model knows them."""

    name: str
    role: ParticipantRole
    staff_id: int | None = None
    enrolment_id: int | None = None
    token: str | None = None
    device: str | None = None  # the device cookie a parent's link was swapped for
    status: MemberStatus | None = None  # in the room's state; None until they arrive
    peer: str | None = None
    muted_until: datetime | None = None
    last_message_at: datetime | None = None
    enrolled: bool = True
    banned: bool = False  # from the series
    link_works: bool = True
    cids: dict[str, int] = field(default_factory=dict)

    @property
    def is_staff(self) -> bool:
        return self.role is not ParticipantRole.PARENT

    @property
    def is_leader(self) -> bool:
        return self.role in (ParticipantRole.FACILITATOR, ParticipantRole.COORDINATOR)


@dataclass
class ExampleRoom:
    series_id: int
    session_id: int
    people: dict[str, Person]


@dataclass
class World:
    """What the examples of one test share: an event loop, the database(s), staff accounts."""

    runner: asyncio.Runner
    databases: list[Database]  # one per instance, on the same database
    redis_url: str | None
    org: Organisation
    clock: Clock
    staff: dict[str, int] = field(default_factory=dict)
    # Per media mode: a series whose enrolments are untouched, with its sessions not used yet.
    unused: dict[MediaMode, tuple[int, list[int], dict[str, Any]]] = field(default_factory=dict)

    @property
    def database(self) -> Database:
        return self.databases[0]

    async def prepare(self) -> None:
        """Staff accounts for every example (each example plans a series of its own)."""
        async with self.database.unit_of_work() as db:
            for key, role, name in (
                ("C", Role.COORDINATOR, "Kaisa Koordinaattori"),
                ("F", Role.FACILITATOR, "Olli Ohjaaja"),
                ("V", Role.VOLUNTEER, "Veera Virtanen"),
            ):
                staff = await a_staff_member(
                    db, self.clock.now, role, email=f"{key.lower()}@example.org", real_name=name
                )
                self.staff[key] = staff.id

    async def new_room(self, mode: MediaMode) -> ExampleRoom:
        """A room of its own with three enrolled parents; the clock ten minutes before it starts
        (it may be opened: a room opens half an hour before).

        Planning a series costs more than an example's steps, so a series' sessions serve one
        example each until an example changes the series' enrolments (``spoil``).
        """
        unused = self.unused.get(mode)
        if not unused or not unused[1]:
            unused = self.unused[mode] = await self._new_series(mode)
        series_id, sessions, parents = unused
        session_id = sessions.pop(0)
        people = {
            "F": Person("F", ParticipantRole.FACILITATOR, staff_id=self.staff["F"]),
            "V": Person("V", ParticipantRole.VOLUNTEER, staff_id=self.staff["V"]),
            "C": Person("C", ParticipantRole.COORDINATOR, staff_id=self.staff["C"]),
        }
        for name, (enrolment_id, token, device) in parents.items():
            people[name] = Person(
                name, ParticipantRole.PARENT, enrolment_id=enrolment_id, token=token, device=device
            )
        async with self.database.unit_of_work() as db:
            session = await db.get(SessionRow, session_id)
            assert session is not None
            self.clock.now = session.starts_at - timedelta(minutes=10)
        return ExampleRoom(series_id, session_id, people)

    def spoil(self, mode: MediaMode) -> None:
        """The last example changed its series' enrolments: the next one plans a new series."""
        self.unused.pop(mode, None)

    async def _new_series(self, mode: MediaMode) -> tuple[int, list[int], dict[str, Any]]:
        self.clock.now = T0
        series_id = await seed_series(
            self.database,
            self.org,
            self.clock.now,
            staff_ids=[self.staff["F"], self.staff["V"]],
            capacity=len(PARENT_NAMES),
            media_mode=mode,
            session_count=SESSIONS_PER_SERIES,
        )
        if mode is MediaMode.CHAT:  # chat rooms hold what is sent anyway after the question
            async with self.database.unit_of_work() as db:
                await hold_identifying(db, series_id, True)
        parents = {}
        for name in PARENT_NAMES:
            new = await enrol_parent(self.database, self.org, series_id, name, self.clock.now)
            parents[name] = (new.enrolment.id, new.token, await open_link(self.database, new.token))
        async with self.database.unit_of_work() as db:
            sessions = [s.id for s in (await scheduling.get_series(db, series_id)).sessions]
        return series_id, sessions, parents

    async def dispose(self) -> None:
        for database in self.databases:
            await database.dispose()


def sqlite_databases(tmp_path: Path, template: Path, count: int) -> list[Database]:
    path = tmp_path / "machine.db"
    shutil.copy(template, path)
    return [Database(f"sqlite+aiosqlite:///{path}") for _ in range(count)]


async def postgres_databases(url: str, count: int) -> list[Database]:
    """Emptied, with session ids starting at a random high number: Redis channels are named by
    session id and shared with whatever else uses this Redis."""
    databases = [Database(url) for _ in range(count)]
    await _truncate(databases[0])
    async with databases[0].engine.begin() as conn:
        await conn.execute(
            text("SELECT setval(pg_get_serial_sequence('sessions', 'id'), :start)"),
            {"start": secrets.randbelow(1_000_000_000) + 1_000_000},
        )
    return databases


async def until(condition: Any, what: Any, timeout: float = SETTLE_SECONDS) -> None:
    """Wait for ``condition()`` to hold, polling; fail saying ``what()`` if it does not."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting: {what()}")
        await asyncio.sleep(0.001)

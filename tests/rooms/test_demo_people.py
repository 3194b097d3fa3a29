"""The live demo rooms' simulated staff (demo only), on the real hub: the facilitator opens a room
and writes its history as room events, admits a visiting parent and answers them once in their
language, makes way for a real facilitator and comes back after, and ends the room in time."""

from datetime import timedelta

import pytest

from server.demo_rooms import people
from server.demo_rooms import sessions as live
from server.demo_rooms.accounts import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    SIMULATED_ACCOUNTS,
    public_staff,
    simulated_staff,
)
from server.demo_rooms.history import PHONE_NUMBER, SCRIPTS
from server.people.roles import Role
from server.people.service import NewStaff, create_staff
from server.rooms import store
from server.rooms.access import staff_entrant
from server.rooms.connection import Connection
from server.rooms.frames import CloseCode
from server.rooms.state import ParticipantRole, RoomStatus
from server.rooms.store import Entrant
from server.scheduling.series import MediaMode
from tests.demo_support import OPENS_BEFORE, a_demo_hub
from tests.rooms.hub_support import Socket, until

SANNA = SIMULATED_ACCOUNTS[0].real_name
EEVA = SIMULATED_ACCOUNTS[1].alias


@pytest.fixture(autouse=True)
def _quick(monkeypatch):
    monkeypatch.setattr(people, "REPLY_DELAY_SECONDS", 0.0)


async def live_rooms(database, org, clock, *, modes=(MediaMode.CHAT,), with_public_staff=False):
    async with database.unit_of_work() as db:
        if with_public_staff:
            for a in DEMO_ACCOUNTS:
                await create_staff(
                    db, NewStaff(a.email, a.real_name, a.role, DEMO_PASSWORD, a.alias), clock.now
                )
        await live.renew(db, org, clock.now, modes)
    async with database.unit_of_work() as db:
        return await live.live_sessions(db, clock.now)


async def a_visitor(database, org, clock, language="en"):
    async with database.unit_of_work() as db:
        new = await live.join_as_parent(db, org, MediaMode.CHAT, clock.now, language)
    enrolment = new.enrolment
    return Entrant(
        ParticipantRole.PARENT, enrolment.pseudonym, enrolment.series_id, enrolment_id=enrolment.id
    )


async def test_the_simulated_facilitator_opens_each_room_and_writes_its_history_as_room_events(
    database, org, clock
):
    sessions = await live_rooms(database, org, clock, modes=tuple(MediaMode))
    demo = await a_demo_hub(database, org, clock)
    try:
        await demo.people.tend_once()
        for mode, session in sessions.items():
            state = demo.hub.rooms[session.id].state
            assert state.status is RoomStatus.OPEN
            online = {m.name for m in state.members.values() if m.online}
            assert online == {SANNA, EEVA}, "the demo parents of the history have left"
            written = [line for line in SCRIPTS[mode]]
            kept = [m for m in state.messages.values() if not m.deleted]
            assert len(state.messages) == len(written)
            assert len(kept) == len(written) - 1, "the message with a phone number was deleted"
            async with database.unit_of_work() as db:
                rebuilt = await store.load_state(db, session, OPENS_BEFORE)
            assert rebuilt.durable() == state.durable()
        stage = demo.hub.rooms[sessions[MediaMode.STAGE].id].state
        assert sorted(q.status for q in stage.questions.values()) == ["answered", "approved"]
    finally:
        await demo.people.stop()
        await demo.hub.stop()


async def test_a_visiting_parent_is_admitted_and_answered_once_in_their_language(
    sqlite_database, org, clock
):
    database = sqlite_database  # the subject is the simulated people, not the storage
    chat = (await live_rooms(database, org, clock))[MediaMode.CHAT]
    demo = await a_demo_hub(database, org, clock)
    demo.people.start()
    try:
        await until(lambda: chat.id in demo.hub.rooms and bool(demo.people.rooms[chat.id].tasks))
        visitor = Socket()
        entrant = await a_visitor(database, org, clock, "en")
        await demo.hub.enter(chat, entrant, None, visitor.send, visitor.close, str)
        await until(lambda: bool(visitor.of_type("welcome")))
        assert visitor.of_type("lobby"), "the visitor waited in the lobby first"
        welcome = visitor.of_type("welcome")[0]
        texts = [e.get("text") for e in welcome["events"] if e["type"] == "message"]
        assert texts == [line.text for line in SCRIPTS[MediaMode.CHAT] if not line.deleted]
        assert [e for e in welcome["events"] if e["type"] == "deleted"]
        assert PHONE_NUMBER not in str(visitor.frames)

        conn = demo.hub.rooms[chat.id].connections[welcome["you"]["peer"]][0]
        await demo.hub.receive(chat.id, conn, '{"type": "send", "cid": "a1", "text": "Hei!"}')
        await until(lambda: len(visitor.of_type("message", role="facilitator")) == 1)
        reply = visitor.of_type("message", role="facilitator")[0]
        assert reply["name"] == SANNA
        assert reply["text"].startswith(f"Welcome, {entrant.name}!"), "in English, as enrolled"

        await demo.hub.receive(chat.id, conn, '{"type": "send", "cid": "a2", "text": "Kiitos"}')
        await until(lambda: bool(visitor.of_type("ack", cid="a2")))
        # A second visitor, admitted after the message above was read: the barrier that shows
        # no second answer came (the simulated facilitator reads its frames in order).
        other = Socket()
        await demo.hub.enter(
            chat, await a_visitor(database, org, clock, "fi"), None, other.send, other.close, str
        )
        await until(lambda: bool(other.of_type("welcome")))
        assert len(visitor.of_type("message", role="facilitator")) == 1
    finally:
        await demo.people.stop()
        await demo.hub.stop()


async def test_the_simulated_facilitator_makes_way_for_a_real_one_and_comes_back_after(
    sqlite_database, org, clock
):
    database = sqlite_database  # the subject is the simulated people, not the storage
    chat = (await live_rooms(database, org, clock, with_public_staff=True))[MediaMode.CHAT]
    demo = await a_demo_hub(database, org, clock)
    try:
        await demo.people.tend_once()
        crew = demo.people.rooms[chat.id]
        async with database.unit_of_work() as db:
            olli = (await public_staff(db))[Role.FACILITATOR]
            entrant = await staff_entrant(db, olli.id, chat)
        real = Socket()
        conn = await demo.hub.enter(chat, entrant, None, real.send, real.close, str)
        assert isinstance(conn, Connection)
        await until(lambda: bool(real.of_type("presence", name=SANNA, online=False)))
        await until(lambda: crew.tasks[ParticipantRole.FACILITATOR].done())
        assert not crew.tasks[ParticipantRole.VOLUNTEER].done(), "a volunteer is not asked to go"

        await demo.people.tend_once()
        assert ParticipantRole.FACILITATOR not in crew.tasks, "not back while Olli is here"
        await demo.hub.leave(chat.id, conn)
        await demo.people.tend_once()
        state = demo.hub.rooms[chat.id].state
        assert {m.name for m in state.members.values() if m.online} == {SANNA, EEVA}
    finally:
        await demo.people.stop()
        await demo.hub.stop()


async def test_the_simulated_facilitator_ends_the_room_when_its_time_is_over(
    sqlite_database, org, clock
):
    database = sqlite_database  # the subject is the simulated people, not the storage
    chat = (await live_rooms(database, org, clock))[MediaMode.CHAT]
    demo = await a_demo_hub(database, org, clock)
    try:
        await demo.people.tend_once()
        clock.now = live.ends_at(chat) + timedelta(seconds=1)
        await demo.people.tend_once()
        async with database.unit_of_work() as db:
            stored = await store.load_state(db, chat, OPENS_BEFORE)
        assert stored.status is RoomStatus.ENDED
        assert chat.id not in demo.people.rooms
        late = Socket()
        async with database.unit_of_work() as db:
            sanna = (await simulated_staff(db, clock.now))[Role.FACILITATOR]
            entrant = await staff_entrant(db, sanna.id, chat)
        refused = await demo.hub.enter(chat, entrant, None, late.send, late.close, str)
        assert getattr(refused, "code", None) == CloseCode.ENDED
    finally:
        await demo.people.stop()
        await demo.hub.stop()

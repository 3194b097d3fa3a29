"""'I need to talk': a parent's private signal to the facilitators, by the room's rules (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.rooms import commands as c
from server.rooms.apply import apply
from server.rooms.events import Event, EventType
from server.rooms.frames import RoomError
from server.rooms.protocol import TALK_AGAIN_SECONDS, decide
from server.rooms.state import Member, MemberStatus, ParticipantRole, RoomState, RoomStatus
from server.rooms.welcome import welcome_frame
from server.scheduling.series import MediaMode

T0 = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)


class Room:
    """A room state, its stored events and a seq counter, as the hub and the store keep them."""

    def __init__(self) -> None:
        self.state = self.empty()
        self.stored: list[Event] = []
        self.fac = self.add("facilitator1", ParticipantRole.FACILITATOR)
        self.vol = self.add("volunteer01", ParticipantRole.VOLUNTEER)
        self.a = self.add("parentaaaa", ParticipantRole.PARENT)
        self.b = self.add("parentbbbb", ParticipantRole.PARENT)

    @staticmethod
    def empty() -> RoomState:
        return RoomState(session_id=1, series_id=1, mode=MediaMode.CHAT, status=RoomStatus.OPEN)

    def add(self, peer: str, role: ParticipantRole) -> Member:
        member = Member(peer, peer.title(), role, MemberStatus.ADMITTED, online_on={"here"})
        self.state.members[peer] = member
        return member

    def do(self, actor: Member, command: c.Command, now: datetime = T0) -> list[Event]:
        decision = decide(self.state, actor, command, now)
        assert decision.error is None, decision.error
        done = []
        for event in decision.events:
            if event.lasting:
                event = event.with_seq(len(self.stored) + 1)
                self.stored.append(event)
            apply(self.state, event)
            done.append(event)
        return done

    def seen_by(self, event: Event) -> list[str]:
        return [
            m.peer for m in self.state.members.values() if self.state.can_see(m, event.audience)
        ]

    def rebuilt(self) -> RoomState:
        """The state a reload folds from the stored events (members come from their rows)."""
        state = self.empty()
        for member in self.state.members.values():
            state.members[member.peer] = Member(
                member.peer, member.name, member.role, member.status, online_on={"here"}
            )
        for event in self.stored:
            apply(state, event)
        return state


def test_a_parents_signal_reaches_the_facilitators_and_the_parent_and_no_other_parent():
    room = Room()
    (event,) = room.do(room.a, c.NeedToTalk(True))

    assert event.type is EventType.NEED_TO_TALK and event.lasting
    assert event.wire(room.fac.peer)["state"] == "pending"
    assert event.wire(room.fac.peer)["name"] == "Parentaaaa"
    assert room.seen_by(event) == [room.fac.peer, room.a.peer]
    room.do(room.fac, c.VolunteersModerate(True))
    assert room.vol.peer in room.seen_by(event)  # a volunteer moderating is staff in charge too
    assert room.b.peer not in room.seen_by(event)


def test_staff_cannot_send_the_signal():
    room = Room()
    for member in (room.fac, room.vol):
        decision = decide(room.state, member, c.NeedToTalk(True), T0)
        assert decision.error is RoomError.NOT_ALLOWED and not decision.events


def test_asking_again_while_waiting_changes_nothing():
    room = Room()
    room.do(room.a, c.NeedToTalk(True))
    assert room.do(room.a, c.NeedToTalk(True), T0 + timedelta(minutes=5)) == []
    assert len(room.stored) == 1


def test_a_parent_takes_it_back_and_may_ask_again_a_minute_after_asking():
    room = Room()
    room.do(room.a, c.NeedToTalk(True))
    (withdrawn,) = room.do(room.a, c.NeedToTalk(False), T0 + timedelta(seconds=5))
    assert withdrawn.data["state"] == "withdrawn" and room.a.peer not in room.state.need_to_talk

    early = decide(room.state, room.a, c.NeedToTalk(True), T0 + timedelta(seconds=20))
    assert early.error is RoomError.RATE_LIMITED and early.retry_after == TALK_AGAIN_SECONDS - 20
    later = T0 + timedelta(seconds=TALK_AGAIN_SECONDS)
    assert [e.data["state"] for e in room.do(room.a, c.NeedToTalk(True), later)] == ["pending"]


def test_a_facilitators_private_message_answers_it_and_a_parents_message_does_not():
    room = Room()
    room.do(room.a, c.NeedToTalk(True))
    room.do(room.b, c.NeedToTalk(True))

    events = room.do(room.fac, c.Private("p1", room.a.peer, "Hei, olen tässä."))

    assert [e.type for e in events] == [EventType.PRIVATE, EventType.NEED_TO_TALK]
    assert events[1].data["state"] == "answered" and events[1].actor == room.fac.peer
    assert room.seen_by(events[1]) == [room.fac.peer, room.a.peer]
    assert list(room.state.need_to_talk) == [room.b.peer]
    (reply,) = room.do(room.a, c.Private("p2", room.fac.peer, "Kiitos."))
    assert reply.type is EventType.PRIVATE


def test_the_welcome_lists_who_waits_for_moderators_and_tells_the_parent_only_their_own():
    room = Room()
    room.do(room.b, c.NeedToTalk(True))
    room.do(room.a, c.NeedToTalk(True), T0 + timedelta(seconds=1))

    to_facilitator = welcome_frame(room.state, room.fac, [], None)
    to_a = welcome_frame(room.state, room.a, [], None)

    assert [w["peer"] for w in to_facilitator["need_to_talk"]] == [room.b.peer, room.a.peer]
    assert "need_to_talk" not in to_a and to_a["you"]["need_to_talk"] is True
    room.do(room.a, c.NeedToTalk(False), T0 + timedelta(seconds=2))
    assert welcome_frame(room.state, room.a, [], None)["you"]["need_to_talk"] is False


def test_the_state_a_reload_folds_from_storage_is_the_live_state():
    room = Room()
    room.do(room.a, c.NeedToTalk(True))
    room.do(room.b, c.NeedToTalk(True))
    room.do(room.b, c.NeedToTalk(False), T0 + timedelta(seconds=3))
    room.do(room.fac, c.Private("p1", room.a.peer, "Puhutaan."), T0 + timedelta(seconds=4))
    room.do(room.a, c.NeedToTalk(True), T0 + timedelta(seconds=90))

    assert room.rebuilt().durable() == room.state.durable()
    assert room.state.need_to_talk == {room.a.peer: T0 + timedelta(seconds=90)}

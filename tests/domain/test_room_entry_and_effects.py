"""Who gets in and why not, what a welcome holds for whom, and what events do to sockets: pure
rules, tested without sockets, storage or a clock."""

from datetime import UTC, datetime

import pytest

from server.access import AccessReason
from server.rooms.effects import (
    Close,
    EnterOpened,
    SharePresence,
    TellWaiting,
    Welcome,
    access_events,
    follow_up,
)
from server.rooms.entry import MAX_CONNECTIONS_PER_PERSON, arrive, depart, entry_status, refusal
from server.rooms.events import NOBODY, Event, EventType
from server.rooms.frames import CloseCode
from server.rooms.state import Member, MemberStatus, ParticipantRole, RoomState, RoomStatus
from server.rooms.welcome import welcome_frame
from server.scheduling.series import MediaMode

PARENT, FACILITATOR = ParticipantRole.PARENT, ParticipantRole.FACILITATOR


def a_room(**settings) -> RoomState:
    return RoomState(session_id=1, series_id=1, mode=MediaMode.CHAT, **settings)


@pytest.mark.parametrize(
    ("room", "status", "role", "connections", "code"),
    [
        (a_room(status=RoomStatus.OPEN), MemberStatus.BANNED, PARENT, 0, CloseCode.FORBIDDEN),
        (a_room(status=RoomStatus.OPEN), MemberStatus.REMOVED, PARENT, 0, CloseCode.REMOVED),
        (a_room(status=RoomStatus.OPEN), MemberStatus.DENIED, PARENT, 0, CloseCode.REMOVED),
        (a_room(status=RoomStatus.ENDED), MemberStatus.ADMITTED, FACILITATOR, 0, CloseCode.ENDED),
        (
            a_room(status=RoomStatus.OPEN),
            MemberStatus.ADMITTED,
            PARENT,
            MAX_CONNECTIONS_PER_PERSON,
            CloseCode.TOO_MANY_CONNECTIONS,
        ),
        (
            a_room(status=RoomStatus.OPEN, locked=True),
            MemberStatus.LOBBY,
            PARENT,
            0,
            CloseCode.LOCKED,
        ),
        (a_room(status=RoomStatus.OPEN, locked=True), MemberStatus.ADMITTED, PARENT, 0, None),
        (a_room(status=RoomStatus.OPEN, locked=True), MemberStatus.LOBBY, FACILITATOR, 0, None),
        (a_room(status=RoomStatus.WAITING), MemberStatus.LOBBY, PARENT, 2, None),
    ],
)
def test_who_is_kept_out_and_with_which_close_code(room, status, role, connections, code):
    assert refusal(room, status, role, connections) == code


def test_parents_wait_in_the_lobby_while_it_is_on_and_staff_go_straight_in():
    room = a_room(status=RoomStatus.OPEN)
    assert entry_status(room, None, PARENT) is MemberStatus.LOBBY
    assert entry_status(room, None, FACILITATOR) is MemberStatus.ADMITTED
    room.lobby = False
    assert entry_status(room, None, PARENT) is MemberStatus.ADMITTED
    admitted = Member("parentaaaa", "Mustikka", PARENT, MemberStatus.ADMITTED)
    room.lobby = True
    assert entry_status(room, admitted, PARENT) is MemberStatus.ADMITTED  # once in, stays in


def test_arrivals_and_departures_are_announced_only_to_whom_they_concern():
    room = a_room(status=RoomStatus.OPEN)
    waiting = Member("parentaaaa", "Mustikka", PARENT, MemberStatus.LOBBY)
    types = [(e.type, e.audience.moderators, e.audience.everyone) for e in arrive(room, waiting)]
    assert (EventType.LOBBY_JOINED, True, False) in types
    assert all(not everyone for _, _, everyone in types)
    removed = Member("parentbbbb", "Puolukka", PARENT, MemberStatus.REMOVED)
    (gone,) = depart(room, removed)
    assert gone.audience == NOBODY  # already announced as gone: only replicas learn it


def test_a_welcome_shows_moderators_the_lobby_and_earlier_people_and_parents_neither():
    room = a_room(status=RoomStatus.OPEN)
    facilitator = Member("facilitator1", "Olli", FACILITATOR, MemberStatus.ADMITTED)
    here = Member("parentaaaa", "Mustikka", PARENT, MemberStatus.ADMITTED, online_on={"i"})
    waiting = Member("parentbbbb", "Puolukka", PARENT, MemberStatus.LOBBY, online_on={"i"})
    removed = Member("parentcccc", "Lakka", PARENT, MemberStatus.REMOVED)
    for m in (facilitator, here, waiting, removed):
        room.members[m.peer] = m
    theirs = welcome_frame(room, facilitator, [], 3)
    assert [m["peer"] for m in theirs["lobby"]] == [waiting.peer]
    assert {m["peer"] for m in theirs["visited"]} == {here.peer, removed.peer}
    assert theirs["seq"] == 3 and "media" not in theirs
    mine = welcome_frame(room, here, [], None)
    assert mine["lobby"] == [] and mine["visited"] == [] and not mine["you"]["moderator"]
    assert [m["peer"] for m in mine["members"]] == [here.peer]  # admitted and online only


def event(kind: EventType, origin: str | None = None, **data) -> Event:
    return Event(kind, data, NOBODY, origin=origin)


def test_what_events_do_to_the_sockets_of_an_instance():
    room = a_room(status=RoomStatus.OPEN)
    admitted = event(EventType.STATUS, peer="p1", status="admitted")
    assert follow_up(room, admitted, "i") == [Welcome("p1")]
    denied = event(EventType.STATUS, peer="p1", status="denied")
    assert follow_up(room, denied, "i") == [Close("p1", CloseCode.REMOVED)]
    banned = event(EventType.MODERATION, action="banned", peer="p1")
    assert follow_up(room, banned, "i") == [Close("p1", CloseCode.REMOVED)]
    muted = event(EventType.MODERATION, action="muted", peer="p1")
    assert follow_up(room, muted, "i") == []
    assert follow_up(room, event(EventType.PRESENCE_SYNC, "other"), "i") == [SharePresence()]
    assert follow_up(room, event(EventType.PRESENCE_SYNC, "i"), "i") == []  # its own request
    assert follow_up(room, event(EventType.ROOM), "i") == [EnterOpened()]
    room.status = RoomStatus.ENDED
    assert follow_up(room, event(EventType.ROOM), "i") == [Close(None, CloseCode.ENDED)]


@pytest.mark.parametrize(
    ("reason", "effect"),
    [
        (AccessReason.LINK_REVOKED, Close("p1", CloseCode.UNAUTHENTICATED)),
        (AccessReason.ENROLMENT_ENDED, Close("p1", CloseCode.FORBIDDEN)),
        (AccessReason.BANNED, Close("p1", CloseCode.FORBIDDEN)),
        (AccessReason.STAFF_UNASSIGNED, Close("p1", CloseCode.FORBIDDEN)),
        (AccessReason.STAFF_DEACTIVATED, Close("p1", CloseCode.UNAUTHENTICATED)),
        (AccessReason.SESSION_CANCELLED, Close(None, CloseCode.ENDED)),
        (AccessReason.SERIES_CANCELLED, Close(None, CloseCode.ENDED)),
        (AccessReason.SESSION_MOVED, TellWaiting()),
    ],
)
def test_a_committed_change_closes_whom_it_concerns_with_its_documented_code(reason, effect):
    room = a_room(status=RoomStatus.OPEN)
    person = Member("p1", "Mustikka", PARENT, MemberStatus.ADMITTED)
    moved_to = datetime(2026, 12, 10, 15, 30, tzinfo=UTC)
    (access,) = access_events(reason, [person], moved_to)
    assert access.audience == NOBODY  # nobody receives it as a frame
    assert follow_up(room, access, "i") == [effect]


def test_lifting_a_ban_closes_nobody():
    room = a_room(status=RoomStatus.OPEN)
    person = Member("p1", "Mustikka", PARENT, MemberStatus.BANNED)
    (lifted,) = access_events(AccessReason.UNBANNED, [person])
    assert follow_up(room, lifted, "i") == []

"""The room's rules, driven without sockets, storage or a clock: decide() then apply()."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from server.rooms import commands as c
from server.rooms.apply import apply
from server.rooms.entry import entry_status
from server.rooms.events import Event, EventType
from server.rooms.frames import FrameError, RoomError, parse_frame
from server.rooms.protocol import decide
from server.rooms.state import Member, MemberStatus, ParticipantRole, RoomState, RoomStatus
from server.scheduling.series import MediaMode

T0 = datetime(2026, 10, 12, 15, 0, tzinfo=UTC)


class Room:
    """A room state plus a seq counter, as the hub and the store would keep it."""

    def __init__(self, mode: MediaMode = MediaMode.CHAT) -> None:
        self.state = RoomState(session_id=1, series_id=1, mode=mode, status=RoomStatus.OPEN)
        self.seq = 0

    def add(self, peer: str, role: ParticipantRole, status=MemberStatus.ADMITTED) -> Member:
        member = Member(peer, peer.title(), role, status, online_on={"this-instance"})
        self.state.members[peer] = member
        return member

    def do(self, actor: Member, command: c.Command, now: datetime = T0):
        decision = decide(self.state, actor, command, now)
        stored: list[Event] = []
        for event in decision.events:
            if event.lasting:
                self.seq += 1
                event = event.with_seq(self.seq)
            apply(self.state, event)
            stored.append(event)
        decision.events = stored
        return decision


def a_room(mode: MediaMode = MediaMode.CHAT):
    room = Room(mode)
    fac = room.add("facilitator1", ParticipantRole.FACILITATOR)
    vol = room.add("volunteer01", ParticipantRole.VOLUNTEER)
    a = room.add("parentaaaa", ParticipantRole.PARENT)
    b = room.add("parentbbbb", ParticipantRole.PARENT)
    return room, fac, vol, a, b


def test_parent_in_the_lobby_cannot_write_until_admitted():
    room, fac, _, _, _ = a_room()
    waiting = room.add("parentcccc", ParticipantRole.PARENT, MemberStatus.LOBBY)
    assert room.do(waiting, c.Send("c1", "hei")).error is RoomError.NOT_ADMITTED
    room.do(fac, c.Admit(waiting.peer))
    assert waiting.status is MemberStatus.ADMITTED
    assert room.do(waiting, c.Send("c1", "hei")).error is None


def test_staff_skip_the_lobby_and_parents_wait_while_it_is_on():
    room = Room()
    assert entry_status(room.state, None, ParticipantRole.VOLUNTEER) is MemberStatus.ADMITTED
    assert entry_status(room.state, None, ParticipantRole.PARENT) is MemberStatus.LOBBY
    room.state.lobby = False
    assert entry_status(room.state, None, ParticipantRole.PARENT) is MemberStatus.ADMITTED


def test_parents_and_volunteers_cannot_moderate_unless_the_facilitator_allows_volunteers():
    room, fac, vol, a, b = a_room()
    assert room.do(a, c.Remove(b.peer)).error is RoomError.NOT_ALLOWED
    assert room.do(vol, c.Mute(b.peer, 60)).error is RoomError.NOT_ALLOWED
    assert room.do(vol, c.VolunteersModerate(True)).error is RoomError.NOT_ALLOWED
    room.do(fac, c.VolunteersModerate(True))
    assert room.do(vol, c.Mute(b.peer, 60)).error is None


def test_moderators_cannot_act_on_each_other():
    room, fac, vol, _, _ = a_room()
    assert room.do(fac, c.Remove(vol.peer)).error is RoomError.NOT_ALLOWED


def test_mute_lasts_for_the_given_time():
    room, fac, _, a, _ = a_room()
    room.do(fac, c.Mute(a.peer, 120))
    refused = room.do(a, c.Send("c1", "hei"), T0 + timedelta(seconds=30))
    assert refused.error is RoomError.MUTED and refused.retry_after == 90
    assert room.do(a, c.Send("c1", "hei"), T0 + timedelta(seconds=121)).error is None


def test_slow_mode_spaces_out_participants_but_not_staff():
    room, fac, _, a, _ = a_room()
    room.do(fac, c.SlowMode(30))
    assert room.do(a, c.Send("c1", "yksi")).error is None
    assert (
        room.do(a, c.Send("c2", "kaksi"), T0 + timedelta(seconds=10)).error is RoomError.SLOW_MODE
    )
    assert room.do(a, c.Send("c3", "kolme"), T0 + timedelta(seconds=31)).error is None
    assert room.do(fac, c.Send("f1", "a")).error is None
    assert room.do(fac, c.Send("f2", "b")).error is None


def test_same_client_id_twice_is_the_same_message():
    room, _, _, a, _ = a_room()
    first = room.do(a, c.Send("same", "hei"))
    again = room.do(a, c.Send("same", "hei"))
    assert again.events == [] and again.duplicate_of == first.events[0].seq


def test_private_thread_is_visible_to_its_two_people_only():
    room, fac, vol, a, _b = a_room()
    message = room.do(fac, c.Private("p1", a.peer, "Miten menee?")).events[0]
    assert [
        m.peer for m in room.state.members.values() if room.state.can_see(m, message.audience)
    ] == [
        fac.peer,
        a.peer,
    ]
    room.do(fac, c.VolunteersModerate(True))
    assert not room.state.can_see(vol, message.audience)  # moderating does not open private threads


def test_parent_answers_a_facilitator_but_cannot_start_threads():
    room, fac, _, a, b = a_room()
    assert room.do(a, c.Private("x", fac.peer, "hei")).error is RoomError.NOT_ALLOWED
    room.do(fac, c.Private("p1", a.peer, "hei"))
    assert room.do(a, c.Private("p2", fac.peer, "kiitos")).error is None
    assert room.do(a, c.Private("p3", b.peer, "hei")).error is RoomError.NOT_ALLOWED


def test_deleting_a_message_marks_it_for_everyone_and_only_once():
    room, fac, _, a, _ = a_room()
    message = room.do(a, c.Send("c", "poista")).events[0]
    assert room.do(fac, c.Delete(message.seq)).error is None
    assert room.state.messages[message.seq].deleted
    assert room.do(fac, c.Delete(message.seq)).error is RoomError.UNKNOWN_MESSAGE


def test_moderator_cannot_delete_a_private_message_of_others():
    room, fac, vol, a, _ = a_room()
    room.do(fac, c.VolunteersModerate(True))
    message = room.do(fac, c.Private("p", a.peer, "luottamuksellinen")).events[0]
    assert room.do(vol, c.Delete(message.seq)).error is RoomError.UNKNOWN_MESSAGE


def test_ban_marks_the_member_banned():
    room, fac, _, a, _ = a_room()
    room.do(fac, c.Ban(a.peer))
    assert a.status is MemberStatus.BANNED
    assert room.do(a, c.Send("c", "x")).error is RoomError.NOT_ADMITTED


def test_a_parent_who_was_removed_or_has_left_can_still_be_banned():
    room, fac, _, a, b = a_room()
    room.do(fac, c.Remove(a.peer))
    assert room.do(fac, c.Ban(a.peer)).error is None
    assert a.status is MemberStatus.BANNED
    b.online_on.clear()  # gone
    assert room.do(fac, c.Ban(b.peer)).error is None
    assert b.status is MemberStatus.BANNED
    assert room.do(fac, c.Ban(a.peer)).error is RoomError.UNKNOWN_PEER  # once is enough


def test_moderators_are_shown_everyone_who_has_been_in_the_session():
    from server.rooms.welcome import welcome_frame

    room, fac, _, a, b = a_room()
    room.do(fac, c.Remove(a.peer))
    b.online_on.clear()
    parent_view = welcome_frame(room.state, b, [], None)
    moderator_view = welcome_frame(room.state, fac, [], None)
    assert parent_view["visited"] == []
    assert {p["peer"] for p in moderator_view["visited"]} == {a.peer, b.peer}


def test_turning_the_lobby_off_admits_everyone_waiting():
    room, fac, _, _, _ = a_room()
    waiting = [
        room.add(f"waiting{i:04}", ParticipantRole.PARENT, MemberStatus.LOBBY) for i in range(3)
    ]
    room.do(fac, c.Lobby(False))
    assert all(m.status is MemberStatus.ADMITTED for m in waiting)


def test_room_opens_no_earlier_than_its_window_and_only_by_a_facilitator():
    room, fac, vol, _, _ = a_room()
    room.state.status = RoomStatus.WAITING
    room.state.opens_at = T0 + timedelta(minutes=5)
    assert room.do(fac, c.OpenRoom()).error is RoomError.ROOM_NOT_OPEN
    assert room.do(vol, c.OpenRoom(), T0 + timedelta(minutes=6)).error is RoomError.NOT_ALLOWED
    assert room.do(fac, c.OpenRoom(), T0 + timedelta(minutes=6)).error is None
    assert room.state.status is RoomStatus.OPEN


def test_premoderated_question_is_seen_by_staff_and_its_author_until_approved():
    room, fac, _vol, a, b = a_room(MediaMode.STAGE)
    question = room.do(a, c.Ask("q", "Miten?")).events[0]
    seeing = {
        m.peer for m in room.state.members.values() if room.state.can_see(m, question.audience)
    }
    assert seeing == {fac.peer, a.peer}
    assert room.do(b, c.Upvote(question.seq)).error is RoomError.UNKNOWN_MESSAGE
    room.do(fac, c.ModerateQuestion(question.seq, c.QuestionAction.APPROVE))
    assert room.do(b, c.Upvote(question.seq)).error is None
    assert room.do(b, c.Upvote(question.seq)).error is RoomError.DUPLICATE


def test_frames_are_parsed_strictly():
    assert parse_frame('{"type":"send","cid":"a-1","text":"  hei\\u0000 "}') == c.Send("a-1", "hei")
    for raw in [
        "{}",
        '{"type":"hello","v":2}',
        '{"type":"send","cid":"has space","text":"x"}',
        '{"type":"mute","peer":"abcdefgh","seconds":3601}',
        '{"type":"delete","seq":0}',
        '{"type":"hand","raised":"yes"}',
        '{"type":"question","question":1,"action":"publish"}',
    ]:
        try:
            parse_frame(raw)
        except FrameError as error:
            assert error.code is RoomError.BAD_FRAME, raw
        else:
            raise AssertionError(raw)


# Media frames: SDPs that parse (and send or not), the peers of a_room(), the media kinds.
media_values = st.sampled_from(
    [
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=sendrecv\r\n",
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 RTP/AVP 96\r\na=recvonly\r\n",
        "candidate:1 1 udp 2122252543 192.0.2.1 50000 typ host",
        "facilitator1",
        "volunteer01",
        "parentaaaa",
        "offer",
        "answer",
        "candidate",
        "bye",
        "publish",
        "subscribe",
        "unpublish",
        "leave",
    ]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.text(max_size=30) | media_values,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=8,
)
frame_types = st.sampled_from(
    [
        "hello",
        "send",
        "private",
        "ask",
        "upvote",
        "hand",
        "report",
        "ping",
        "open",
        "end",
        "admit",
        "admit_all",
        "deny",
        "delete",
        "mute",
        "remove",
        "ban",
        "lock",
        "slow_mode",
        "lobby",
        "volunteers_moderate",
        "question",
        "signal",
        "av",
        "av_control",
        "relay",
        "nonsense",
    ]
)
field_names = st.sampled_from(
    [
        "v",
        "last_seq",
        "cid",
        "text",
        "to",
        "question",
        "raised",
        "seq",
        "reason",
        "peer",
        "seconds",
        "locked",
        "enabled",
        "allowed",
        "action",
        "kind",
        "sdp",
        "publisher",
        "mic",
        "camera",
        "blurred",
        "mic_allowed",
        "camera_allowed",
    ]
)


@settings(max_examples=400, deadline=None)
@given(
    frames=st.lists(
        st.tuples(
            st.integers(0, 4),
            st.one_of(
                st.binary(max_size=50),
                st.builds(
                    lambda t, fields: __import__("json").dumps({"type": t, **fields}),
                    frame_types,
                    st.dictionaries(field_names, json_values, max_size=4),
                ),
            ),
        ),
        max_size=40,
    )
)
def test_random_frames_never_break_the_room(frames):
    """Whatever members send, in any order, decide() answers and the room stays consistent."""
    room, fac, vol, a, b = a_room(MediaMode.STAGE)
    actors = [fac, vol, a, b, room.add("lobbyperson", ParticipantRole.PARENT, MemberStatus.LOBBY)]
    for who, raw in frames:
        try:
            command = parse_frame(raw)
        except FrameError:
            continue
        decision = room.do(actors[who], command)
        assert decision.error is None or isinstance(decision.error, RoomError)
    seqs = [info for info in room.state.messages]
    assert seqs == sorted(seqs)
    assert all(m.status in MemberStatus for m in room.state.members.values())


def test_events_cross_the_redis_bus_unchanged():
    from server.rooms.bus import decode, encode
    from server.rooms.events import EVERYONE, Audience

    events = [
        Event(
            EventType.MESSAGE,
            {"text": "hei ä", "at": T0.isoformat()},
            EVERYONE,
            "p1",
            "c1",
            7,
            "i1",
        ),
        Event(EventType.PRIVATE, {"to": "p2"}, Audience(peers=frozenset({"p1", "p2"})), "p1"),
    ]
    assert decode(encode(42, events)) == (42, events)

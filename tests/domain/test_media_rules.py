"""Who may publish, what an SDP would send, signalling and stopped microphones (no sockets)."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from server.rooms import commands as c
from server.rooms import media_commands
from server.rooms.apply import apply
from server.rooms.events import EVERYONE, Event, EventType
from server.rooms.frames import FrameError, RoomError, parse_frame
from server.rooms.ice import ice_servers
from server.rooms.media import Topology, may_publish, sent_kinds, topology
from server.rooms.sdp import Sdp, parse_sdp
from server.rooms.state import AvState, MemberStatus, ParticipantRole
from server.scheduling.series import MediaMode
from server.turn import IceConfig
from tests.domain.test_room_protocol import a_room

SENDRECV_TEXT = """v=0
o=- 1 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1
m=audio 9 UDP/TLS/RTP/SAVPF 111
a=mid:0
a=sendrecv
m=video 9 UDP/TLS/RTP/SAVPF 96
a=mid:1
a=sendrecv
"""


def sdp(text: str) -> Sdp:
    """An SDP written here with newlines, as a browser writes it: with CRLF."""
    return parse_sdp(text.replace("\n", "\r\n"))


SENDRECV_OFFER = sdp(SENDRECV_TEXT)
RECVONLY_ANSWER = sdp(SENDRECV_TEXT.replace("a=sendrecv", "a=recvonly"))
CANDIDATE = c.IceCandidate("candidate:1 1 udp 2122252543 192.0.2.1 50000 typ host", "0", 0)
VIDEO_ONLY = sdp(SENDRECV_TEXT.replace("a=mid:0\na=sendrecv", "a=mid:0\na=inactive"))


def test_an_sdp_sends_the_kinds_whose_sections_send():
    assert sent_kinds(SENDRECV_OFFER) == {"audio", "video"}
    assert sent_kinds(RECVONLY_ANSWER) == set()
    assert sent_kinds(VIDEO_ONLY) == {"video"}


def test_a_section_without_direction_sends_unless_rejected():
    head = "v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\n"
    bare = sdp(head + "m=audio 9 RTP/AVP 0\nm=video 9 RTP/AVP 96\na=recvonly\n")
    assert sent_kinds(bare) == {"audio"}
    rejected = sdp(head + "m=audio 0 RTP/AVP 0\na=sendrecv\n")
    assert sent_kinds(rejected) == set()
    data_only = sdp(head + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\n")
    assert sent_kinds(data_only) == set()


def test_everyone_publishes_in_a_group_only_staff_on_a_stage_nobody_in_chat():
    assert may_publish(ParticipantRole.PARENT, MediaMode.GROUP)
    assert not may_publish(ParticipantRole.PARENT, MediaMode.STAGE)
    assert may_publish(ParticipantRole.VOLUNTEER, MediaMode.STAGE)
    assert not may_publish(ParticipantRole.FACILITATOR, MediaMode.CHAT)


def test_signalling_reaches_only_the_addressee():
    room, _fac, _vol, a, b = a_room(MediaMode.GROUP)
    decision = room.do(a, c.Signal(b.peer, c.SignalKind.OFFER, sdp=SENDRECV_OFFER))
    (event,) = decision.events
    assert event.type == "signal" and event.data["from"] == a.peer
    assert event.audience.peers == {b.peer} and not event.audience.everyone
    assert not event.lasting


def test_signalling_is_refused_in_chat_rooms_and_to_people_not_here():
    room, _fac, _vol, a, b = a_room(MediaMode.CHAT)
    offer = c.Signal(b.peer, c.SignalKind.OFFER, sdp=SENDRECV_OFFER)
    assert room.do(a, offer).error is RoomError.WRONG_MODE
    room, _fac, _vol, a, b = a_room(MediaMode.GROUP)
    b.online_on.clear()
    assert room.do(a, offer).error is RoomError.UNKNOWN_PEER
    assert room.do(a, c.Signal(a.peer, c.SignalKind.BYE)).error is RoomError.UNKNOWN_PEER


def test_the_stage_audience_may_subscribe_through_the_relay_but_never_send():
    room, fac, _vol, a, _b = a_room(MediaMode.STAGE)
    assert room.do(a, c.RelayRequest(c.RelayKind.PUBLISH, sdp=RECVONLY_ANSWER)).error is (
        RoomError.NOT_ALLOWED
    )
    assert room.do(a, c.Av(mic=True, camera=False, blurred=False)).error is RoomError.NOT_ALLOWED
    assert room.do(fac, c.RelayRequest(c.RelayKind.PUBLISH, sdp=SENDRECV_OFFER)).error is None

    subscribe = c.RelayRequest(c.RelayKind.SUBSCRIBE, publisher=fac.peer)
    assert room.do(a, subscribe).error is RoomError.UNKNOWN_PEER  # not publishing yet
    for event in media_commands.relay_published(fac):
        apply(room.state, event)
    assert fac.av.relay == 1
    assert room.do(a, subscribe).error is None
    sending = c.RelayRequest(c.RelayKind.ANSWER, sdp=SENDRECV_OFFER, publisher=fac.peer)
    assert room.do(a, sending).error is RoomError.NOT_ALLOWED
    receiving = c.RelayRequest(c.RelayKind.ANSWER, sdp=RECVONLY_ANSWER, publisher=fac.peer)
    assert room.do(a, receiving).error is None


def test_a_stage_room_never_connects_browsers_directly():
    room, fac, _vol, a, b = a_room(MediaMode.STAGE)
    assert topology(room.state) is Topology.RELAY
    offer = c.Signal(a.peer, c.SignalKind.OFFER, sdp=SENDRECV_OFFER)
    assert room.do(fac, offer).error is RoomError.WRONG_MODE
    # Nothing passes between browsers with the relay: not a candidate, not a bye, and never
    # from one member of the audience to another.
    candidate = c.Signal(b.peer, c.SignalKind.CANDIDATE, candidate=CANDIDATE)
    for sender, signal in [
        (fac, c.Signal(a.peer, c.SignalKind.BYE)),
        (a, candidate),
        (a, c.Signal(b.peer, c.SignalKind.BYE)),
        (a, c.Signal(b.peer, c.SignalKind.CANDIDATE)),
    ]:
        assert room.do(sender, signal).error is RoomError.WRONG_MODE


def test_in_the_mesh_candidates_pass_between_members():
    room, _fac, _vol, a, b = a_room(MediaMode.GROUP)
    (event,) = room.do(a, c.Signal(b.peer, c.SignalKind.CANDIDATE, candidate=CANDIDATE)).events
    assert event.data["candidate"] == CANDIDATE.wire()
    assert event.audience.peers == {b.peer}


def test_a_group_moves_to_the_relay_above_the_mesh_limit_and_back():
    room, _fac, _vol, a, b = a_room(MediaMode.GROUP)
    room.state.mesh_limit = 4
    assert topology(room.state) is Topology.MESH  # four people who may publish
    extra = room.add("parentcccc", ParticipantRole.PARENT)
    assert topology(room.state) is Topology.RELAY
    offer = c.Signal(b.peer, c.SignalKind.OFFER, sdp=SENDRECV_OFFER)
    assert room.do(a, offer).error is RoomError.WRONG_MODE
    assert room.do(a, c.RelayRequest(c.RelayKind.PUBLISH, sdp=SENDRECV_OFFER)).error is None
    extra.online_on.clear()
    assert topology(room.state) is Topology.MESH
    assert room.do(a, offer).events
    assert room.do(a, c.RelayRequest(c.RelayKind.PUBLISH, sdp=SENDRECV_OFFER)).error is (
        RoomError.WRONG_MODE
    )
    assert room.do(a, c.RelayRequest(c.RelayKind.LEAVE)).error is None  # leaving is always fine


def test_people_in_the_lobby_do_not_count_towards_the_mesh_limit():
    room, _fac, _vol, _a, _b = a_room(MediaMode.GROUP)
    room.state.mesh_limit = 4
    room.add("parentcccc", ParticipantRole.PARENT, MemberStatus.LOBBY)
    assert topology(room.state) is Topology.MESH


def test_a_stopped_microphone_cannot_be_published_at_the_relay():
    room, fac, _vol, _a, _b = a_room(MediaMode.STAGE)
    room.do(fac, c.Av(mic=True, camera=True, blurred=False))
    room.do(fac, c.AvControl(fac.peer, mic_allowed=False, camera_allowed=True))
    publish = c.RelayRequest(c.RelayKind.PUBLISH, sdp=SENDRECV_OFFER)
    assert room.do(fac, publish).error is RoomError.MEDIA_STOPPED
    video_only = VIDEO_ONLY
    assert room.do(fac, c.RelayRequest(c.RelayKind.PUBLISH, sdp=video_only)).error is None


def test_the_relay_forwards_only_what_is_on_and_allowed():
    assert AvState(mic=True, camera=True).forwarded == {"audio", "video"}
    assert AvState(mic=True, camera=True, mic_allowed=False).forwarded == {"video"}
    assert AvState(mic=False, camera=True, camera_allowed=False).forwarded == set()


def test_each_new_publication_gets_a_new_number_and_ending_it_says_zero():
    room, fac, _vol, _a, _b = a_room(MediaMode.STAGE)
    assert media_commands.relay_ended(fac) == []  # not publishing: nothing to say
    for _ in range(2):
        for event in media_commands.relay_published(fac):
            apply(room.state, event)
    assert fac.av.relay == 2
    (ended,) = media_commands.relay_ended(fac)
    assert ended.type == "av" and ended.data["relay"] == 0 and ended.audience.everyone
    apply(room.state, ended)
    assert fac.av.relay == 0


def test_a_stopped_microphone_cannot_be_negotiated_or_switched_back_on():
    room, fac, _vol, a, b = a_room(MediaMode.GROUP)
    room.do(a, c.Av(mic=True, camera=True, blurred=False))
    stopped = room.do(fac, c.AvControl(a.peer, mic_allowed=False, camera_allowed=True))
    av, logged = stopped.events
    assert av.type == "av" and av.audience.everyone
    assert av.data == {
        "peer": a.peer,
        "mic": False,
        "camera": True,
        "blurred": False,
        "mic_allowed": False,
        "camera_allowed": True,
        "relay": 0,
    }
    assert logged.type == "media_moderation" and logged.data["actions"] == ["mic_stopped"]
    assert not logged.audience.everyone and not logged.audience.peers  # for the log only

    offer = c.Signal(b.peer, c.SignalKind.OFFER, sdp=SENDRECV_OFFER)
    assert room.do(a, offer).error is RoomError.MEDIA_STOPPED
    video_only = VIDEO_ONLY
    assert room.do(a, c.Signal(b.peer, c.SignalKind.OFFER, sdp=video_only)).events
    back_on = c.Av(mic=True, camera=True, blurred=False)
    assert room.do(a, back_on).error is RoomError.MEDIA_STOPPED

    room.do(fac, c.AvControl(a.peer, mic_allowed=True, camera_allowed=True))
    assert room.do(a, back_on).events
    assert room.do(a, offer).events


def test_parents_cannot_stop_anyones_microphone():
    room, fac, _vol, a, _b = a_room(MediaMode.GROUP)
    control = c.AvControl(fac.peer, mic_allowed=False, camera_allowed=False)
    assert room.do(a, control).error is RoomError.NOT_ALLOWED


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "signal", "to": "parentbbbb", "kind": "offer"},
        {"type": "signal", "to": "parentbbbb", "kind": "shout"},
        {"type": "signal", "to": "x", "kind": "bye"},
        {"type": "signal", "to": "parentbbbb", "kind": "candidate", "candidate": "a"},
        {
            "type": "signal",
            "to": "parentbbbb",
            "kind": "candidate",
            "candidate": {"candidate": "c", "sdpMid": "0", "sdpMLineIndex": 99},
        },
        {"type": "av", "mic": 1, "camera": False, "blurred": False},
        {"type": "av_control", "peer": "parentbbbb", "mic_allowed": True},
        {"type": "relay", "kind": "publish"},
        {"type": "relay", "kind": "subscribe"},
        {"type": "relay", "kind": "broadcast"},
        {"type": "relay", "kind": "leave", "cid": "x" * 200},
    ],
)
def test_malformed_media_frames_are_refused(frame):
    with pytest.raises(FrameError) as refused:
        parse_frame(json.dumps(frame))
    assert refused.value.code is RoomError.BAD_FRAME


LF_ONLY = SENDRECV_TEXT
VERTICAL_TAB = SENDRECV_TEXT.replace("\n", "\r\n").replace("a=sendrecv", "a=x\x0ba=recvonly")
FORM_FEED = SENDRECV_TEXT.replace("\n", "\r\n").replace("a=sendrecv", "a=x\x0ca=recvonly")


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "signal", "to": "parentbbbb", "kind": "offer", "sdp": "hello"}, "bad_sdp"),
        ({"type": "signal", "to": "parentbbbb", "kind": "offer", "sdp": LF_ONLY}, "bad_sdp"),
        ({"type": "signal", "to": "parentbbbb", "kind": "answer", "sdp": VERTICAL_TAB}, "bad_sdp"),
        ({"type": "relay", "kind": "publish", "sdp": FORM_FEED}, "bad_sdp"),
        ({"type": "relay", "kind": "publish", "sdp": "hello"}, "bad_sdp"),
        (
            {"type": "relay", "kind": "answer", "publisher": "parentbbbb", "sdp": "v=0\r\n"},
            "bad_sdp",
        ),
        (
            {
                "type": "signal",
                "to": "parentbbbb",
                "kind": "candidate",
                "candidate": {"candidate": "hi, it is me from the audience", "sdpMid": "0"},
            },
            "bad_candidate",
        ),
        (
            {
                "type": "signal",
                "to": "parentbbbb",
                "kind": "candidate",
                "candidate": {**CANDIDATE.wire(), "note": "hi, it is me"},
            },
            "bad_candidate",
        ),
        (
            {
                "type": "signal",
                "to": "parentbbbb",
                "kind": "candidate",
                "candidate": {**CANDIDATE.wire(), "sdpMid": "hi, it is me"},
            },
            "bad_candidate",
        ),
        (
            {
                "type": "signal",
                "to": "parentbbbb",
                "kind": "candidate",
                "candidate": {**CANDIDATE.wire(), "candidate": "candidate:" + "1" * 600},
            },
            "too_long",
        ),
    ],
)
def test_signalling_payloads_are_parsed_as_what_they_claim_to_be(frame, code):
    with pytest.raises(FrameError) as refused:
        parse_frame(json.dumps(frame))
    assert refused.value.code == code


def test_a_browsers_signalling_frames_parse_to_what_they_say():
    offer = {"type": "signal", "to": "parentbbbb", "kind": "offer", "sdp": SENDRECV_OFFER.text}
    parsed = parse_frame(json.dumps(offer))
    assert isinstance(parsed, c.Signal) and parsed.sdp == SENDRECV_OFFER
    candidate = {"type": "signal", "to": "parentbbbb", "kind": "candidate"}
    parsed = parse_frame(json.dumps({**candidate, "candidate": CANDIDATE.wire()}))
    assert isinstance(parsed, c.Signal) and parsed.candidate == CANDIDATE


def test_an_sdp_over_the_limit_is_too_long():
    sdp = "v=0\r\n" + "a=x\r\n" * 6000
    with pytest.raises(FrameError) as refused:
        parse_frame(json.dumps({"type": "signal", "to": "parentbbbb", "kind": "offer", "sdp": sdp}))
    assert refused.value.code is RoomError.TOO_LONG


def test_turn_credentials_follow_coturns_rest_scheme_and_expire():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    config = IceConfig(("stun:stun.example.org",), ("turn:turn.example.org",), "s3cret", 3600)
    stun, turn = ice_servers(config, "peer1234", now)
    assert stun == {"urls": ["stun:stun.example.org"]}
    username, credential = str(turn["username"]), str(turn["credential"])
    expires, peer = username.split(":")
    assert int(expires) == int(now.timestamp()) + 3600 and peer == "peer1234"
    expected = hmac.new(b"s3cret", username.encode(), hashlib.sha1).digest()
    assert base64.b64decode(credential) == expected
    assert ice_servers(IceConfig(turn_urls=("turn:x",)), "p", now) == []  # no secret: no TURN


def test_someone_who_leaves_sends_nothing_but_a_stopped_microphone_stays_stopped():
    room, fac, _vol, a, _b = a_room(MediaMode.GROUP)
    room.do(a, c.Av(mic=True, camera=True, blurred=True))
    room.do(fac, c.AvControl(a.peer, mic_allowed=False, camera_allowed=True))
    apply(
        room.state,
        Event(
            EventType.PRESENCE, {"peer": a.peer, "online": False}, EVERYONE, origin="this-instance"
        ),
    )
    assert not a.online
    assert (a.av.mic, a.av.camera, a.av.blurred, a.av.mic_allowed) == (False, False, True, False)
    assert a.av.relay == 0

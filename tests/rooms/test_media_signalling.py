"""Media over the room's WebSocket: signalling between two people only, ICE servers for the
admitted, a facilitator stopping a microphone for real, and nothing at all in chat rooms."""

from sqlalchemy import select

from server.scheduling.series import MediaMode
from server.storage.tables import ModerationLogRow
from server.turn import IceConfig
from tests.domain.test_media_rules import SENDRECV_OFFER
from tests.roomclient import connect
from tests.rooms.support import open_room_with_parents


async def group_room(server, org, clock, *names, lobby=False):
    server.app.state.hub.ice = IceConfig(
        ("stun:stun.example.org:3478",), ("turn:turn.example.org:3478",), "coturn-secret"
    )
    return await open_room_with_parents(
        server, org, clock, *names, lobby=lobby, media_mode=MediaMode.GROUP
    )


async def test_an_offer_reaches_only_the_person_it_is_for(live_server, org, clock):
    _room, facilitator, parents = await group_room(live_server, org, clock, "Mustikka", "Puolukka")
    a, b = parents["Mustikka"], parents["Puolukka"]
    media = a.welcome["media"]
    assert media["mode"] == "group" and media["publish"] and media["topology"] == "mesh"
    assert [s["urls"] for s in media["ice_servers"]] == [
        ["stun:stun.example.org:3478"],
        ["turn:turn.example.org:3478"],
    ]
    assert media["ice_servers"][1]["username"].endswith(":" + a.peer)
    assert media["ice_transport_policy"] == "relay"  # nobody learns another's IP address

    await a.send(type="signal", to=b.peer, kind="offer", sdp=SENDRECV_OFFER.text)
    offer = await b.expect("signal")
    assert offer == {"type": "signal", "from": a.peer, "kind": "offer", "sdp": SENDRECV_OFFER.text}
    candidate = {
        "candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }
    await b.send(type="signal", to=a.peer, kind="candidate", candidate=candidate)
    assert (await a.expect("signal"))["candidate"] == candidate
    assert not [f for f in await facilitator.silent() if f["type"] == "signal"]


async def test_nobody_in_the_lobby_gets_ice_servers_or_media(live_server, org, clock):
    room, _facilitator, _parents = await group_room(live_server, org, clock, lobby=True)
    waiting = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    lobby = await waiting.expect("lobby")
    assert "media" not in lobby and "credential" not in "".join(waiting.raw)


async def test_a_stopped_microphone_is_stopped_for_everyone_and_logged(live_server, org, clock):
    room, facilitator, parents = await group_room(live_server, org, clock, "Mustikka", "Puolukka")
    a, b = parents["Mustikka"], parents["Puolukka"]
    await a.send(type="av", mic=True, camera=True, blurred=True)
    assert (await b.expect("av", peer=a.peer))["mic"] is True

    await facilitator.send(type="av_control", peer=a.peer, mic_allowed=False, camera_allowed=True)
    stopped = await b.expect("av", peer=a.peer)
    assert stopped["mic"] is False and stopped["mic_allowed"] is False and stopped["camera"]
    assert (await a.expect("av", peer=a.peer, mic_allowed=False))["mic"] is False

    await a.send(type="signal", to=b.peer, kind="offer", sdp=SENDRECV_OFFER.text)
    assert (await a.expect("error"))["code"] == "media_stopped"
    await a.send(type="av", mic=True, camera=True, blurred=True)
    assert (await a.expect("error"))["code"] == "media_stopped"
    assert not [f for f in await b.silent() if f["type"] == "signal"]

    async with live_server.database.unit_of_work() as db:
        log = list(await db.scalars(select(ModerationLogRow.action)))
    assert "mic_stopped" in log

    # Someone arriving later sees the stopped microphone in the welcome.
    await b.close()
    again = await connect(live_server, room.session_id, link=room.parent_links["Puolukka"])
    welcome = await again.expect("welcome")
    (seen,) = [m for m in welcome["members"] if m["peer"] == a.peer]
    assert seen["av"]["mic_allowed"] is False and seen["av"]["blurred"] is True


async def test_chat_rooms_carry_no_media(live_server, org, clock):
    _room, _facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka"
    )
    a, b = parents["Mustikka"], parents["Puolukka"]
    assert "media" not in a.welcome
    await a.send(type="signal", to=b.peer, kind="offer", sdp=SENDRECV_OFFER.text)
    assert (await a.expect("error"))["code"] == "wrong_mode"


async def test_a_refused_signal_gets_its_code_and_the_room_goes_on(live_server, org, clock):
    _room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka", media_mode=MediaMode.STAGE
    )
    a, b = parents["Mustikka"], parents["Puolukka"]
    note = {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": "0"}
    # Audience to audience on a stage: media never connects them, so nothing passes.
    await a.send(type="signal", to=b.peer, kind="candidate", candidate=note)
    assert (await a.expect("error"))["code"] == "wrong_mode"
    # A "candidate" that is a note, and an offer split by a vertical tab: refused at the edge.
    chat = {"candidate": "meet me after the session", "sdpMid": "0"}
    await a.send(type="signal", to=b.peer, kind="candidate", candidate=chat)
    assert (await a.expect("error"))["code"] == "bad_candidate"
    tricked = SENDRECV_OFFER.text.replace("a=sendrecv", "a=x\x0ba=recvonly")
    await a.send(type="signal", to=facilitator.peer, kind="offer", sdp=tricked)
    assert (await a.expect("error"))["code"] == "bad_sdp"

    await a.say("Kiitos, kuulen hyvin.")
    assert (await b.expect("message"))["text"] == "Kiitos, kuulen hyvin."
    assert (await facilitator.expect("message"))["text"] == "Kiitos, kuulen hyvin."
    assert not [f for f in await b.silent() if f["type"] == "signal"]

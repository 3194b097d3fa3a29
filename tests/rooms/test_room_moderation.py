"""Resume, retries, private threads, deletion, removal and bans over real WebSockets."""

import json

import websockets

from server.rooms.frames import MAX_FRAME_BYTES, CloseCode
from tests.roomclient import RoomClient, a_room, connect
from tests.rooms.support import open_room_with_parents


async def test_reconnecting_client_receives_exactly_what_it_missed(live_server, org, clock):
    room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    parent = parents["Mustikka"]
    await facilitator.say("yksi")
    await parent.expect("message", text="yksi")
    seen = parent.last_seq
    await parent.close()

    for text in ("kaksi", "kolme", "neljä"):
        await facilitator.say(text)
        await facilitator.expect("message", text=text)

    again = await connect(
        live_server, room.session_id, link=room.parent_links["Mustikka"], last_seq=seen
    )
    welcome = await again.expect("welcome")
    texts = [e["text"] for e in welcome["events"] if e["type"] == "message"]
    assert texts == ["kaksi", "kolme", "neljä"]
    seqs = [e["seq"] for e in welcome["events"]]
    assert seqs == sorted(set(seqs)) and min(seqs) > seen
    await facilitator.say("viisi")
    live = await again.expect("message")
    assert live["text"] == "viisi"  # no duplicate of what the welcome already carried


async def test_entering_person_sees_the_history_so_far(live_server, org, clock):
    room, facilitator, _ = await open_room_with_parents(live_server, org, clock)
    await facilitator.say("alussa")
    await facilitator.expect("message", text="alussa")
    late = await connect(live_server, room.session_id, link=room.parent_links["Puolukka"])
    welcome = await late.expect("welcome")
    assert [e["text"] for e in welcome["events"] if e["type"] == "message"] == ["alussa"]


async def test_retried_send_with_the_same_client_id_lands_once(live_server, org, clock):
    _room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    parent = parents["Mustikka"]
    await parent.say("vain kerran", cid="retry-1")
    first = await parent.expect("ack", cid="retry-1")
    await parent.say("vain kerran", cid="retry-1")
    second = await parent.expect("ack", cid="retry-1")
    assert first["seq"] == second["seq"]
    await facilitator.expect("message", text="vain kerran")
    later = await facilitator.silent(0.4)
    assert not [f for f in later if f["type"] == "message"]


async def test_private_thread_is_seen_by_the_two_only(live_server, org, clock):
    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka"
    )
    volunteer = await connect(live_server, room.session_id, cookies=room.volunteer)
    await volunteer.expect("welcome")
    mustikka = parents["Mustikka"]
    peer = mustikka.peer

    await facilitator.send(type="private", cid="p1", to=peer, text="Miten jaksat?")
    got = await mustikka.expect("private")
    assert got["text"] == "Miten jaksat?"
    await mustikka.send(type="private", cid="p2", to=got["peer"], text="Ihan hyvin")
    await facilitator.expect("private", text="Ihan hyvin")

    for outsider in (parents["Puolukka"], volunteer):
        frames = await outsider.silent(0.4)
        assert not [f for f in frames if f["type"] == "private"]
        assert "Miten jaksat" not in "".join(outsider.raw)


async def test_parent_cannot_open_a_private_thread_with_another_parent(live_server, org, clock):
    _room, _facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka"
    )
    other = parents["Puolukka"].peer
    await parents["Mustikka"].send(type="private", cid="x", to=other, text="hei")
    error = await parents["Mustikka"].expect("error")
    assert error["code"] == "not_allowed"


async def test_deleted_message_is_gone_for_everyone_including_later_arrivals(
    live_server, org, clock
):
    room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    await parents["Mustikka"].say("poistettava viesti")
    message = await facilitator.expect("message", text="poistettava viesti")
    await facilitator.send(type="delete", seq=message["seq"])
    deleted = await parents["Mustikka"].expect("deleted")
    assert deleted["message"] == message["seq"]

    late = await connect(live_server, room.session_id, link=room.parent_links["Puolukka"])
    welcome = await late.expect("welcome")
    assert "poistettava" not in json.dumps(welcome)
    assert {"type": "deleted", "seq": message["seq"], "message": message["seq"]} in welcome[
        "events"
    ]


async def test_removed_participant_is_disconnected_and_cannot_come_back_to_the_session(
    live_server, org, clock
):
    room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    peer = parents["Mustikka"].peer
    await facilitator.send(type="remove", peer=peer)
    assert await parents["Mustikka"].closed_with() == CloseCode.REMOVED
    again = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    assert await again.closed_with() == CloseCode.REMOVED


async def test_removed_participant_cannot_rejoin_series(live_server, org, clock):
    room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    peer = parents["Mustikka"].peer
    await facilitator.send(type="ban", peer=peer)
    assert await parents["Mustikka"].closed_with() == CloseCode.REMOVED

    next_session = await connect(
        live_server, room.other_session_id, link=room.parent_links["Mustikka"]
    )
    assert await next_session.closed_with() == CloseCode.FORBIDDEN


async def test_muted_and_slow_mode_participants_are_told_when_they_may_write(
    live_server, org, clock
):
    _room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    parent = parents["Mustikka"]
    peer = parent.peer
    await facilitator.send(type="mute", peer=peer, seconds=60)
    await parent.expect("moderation", action="muted")
    await parent.say("hiljaa?")
    muted = await parent.expect("error", code="muted")
    assert 55 <= muted["retry_after"] <= 60

    await facilitator.send(type="mute", peer=peer, seconds=0)
    await parent.expect("moderation", action="muted", until=None)
    await facilitator.send(type="slow_mode", seconds=30)
    await parent.expect("room", slow_mode=30)
    await parent.say("ensimmäinen")
    await parent.expect("ack")
    await parent.say("toinen heti perään")
    slow = await parent.expect("error", code="slow_mode")
    assert slow["retry_after"] >= 29


async def test_locked_room_keeps_out_newcomers_but_not_those_admitted_before(
    live_server, org, clock
):
    room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    await facilitator.send(type="lock", locked=True)
    await parents["Mustikka"].expect("room", locked=True)
    newcomer = await connect(live_server, room.session_id, link=room.parent_links["Puolukka"])
    assert await newcomer.closed_with() == CloseCode.LOCKED
    await parents["Mustikka"].close()
    back = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    await back.expect("welcome")


async def test_ending_the_session_closes_every_connection(live_server, org, clock):
    room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    await facilitator.send(type="end")
    assert await parents["Mustikka"].closed_with() == CloseCode.ENDED
    again = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    assert await again.closed_with() == CloseCode.ENDED


async def test_parent_reports_a_message_to_facilitators_only(live_server, org, clock):
    _room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka"
    )
    await parents["Puolukka"].say("asiaton")
    message = await parents["Mustikka"].expect("message", text="asiaton")
    await parents["Mustikka"].send(type="report", seq=message["seq"], reason="loukkaava")
    report = await facilitator.expect("report")
    assert report["message"] == message["seq"] and report["reason"] == "loukkaava"
    frames = await parents["Puolukka"].silent(0.4)
    assert not [f for f in frames if f["type"] == "report"]


async def test_bad_frames_get_error_codes_and_the_room_carries_on(live_server, org, clock):
    _room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    parent = parents["Mustikka"]
    for raw in [
        "not json",
        "[]",
        '{"type": "nope"}',
        '{"type": "send", "cid": "a", "text": 5}',
        '{"type": "mute", "peer": "xxxxxxxxxxxx", "seconds": 10}',
        json.dumps({"type": "send", "cid": "long", "text": "x" * 2001}),
    ]:
        await parent.ws.send(raw)
        error = await parent.expect("error")
        assert error["code"] in {"bad_frame", "too_long", "not_allowed"}, raw
        assert error["message"]
    await parent.say("vielä täällä")
    await facilitator.expect("message", text="vielä täällä")


async def test_oversized_frame_closes_with_1009_and_bad_first_frame_with_4000(
    live_server, org, clock
):
    room, _facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    await parents["Mustikka"].ws.send("x" * (MAX_FRAME_BYTES + 1))
    assert await parents["Mustikka"].closed_with() == 1009
    rude = await connect(
        live_server, room.session_id, link=room.parent_links["Puolukka"], hello=False
    )
    await rude.send(type="send", cid="a", text="no hello")
    assert await rude.closed_with() == CloseCode.PROTOCOL


async def test_unknown_link_and_anonymous_staff_are_refused(live_server, org, clock):
    room = await a_room(live_server, org, clock)
    stranger = await connect(live_server, room.session_id, link="x" * 43)
    assert await stranger.closed_with() == CloseCode.UNAUTHENTICATED
    anonymous = await connect(live_server, room.session_id)
    assert await anonymous.closed_with() == CloseCode.UNAUTHENTICATED
    nowhere = await connect(live_server, 999_999, link=room.parent_links["Mustikka"])
    assert await nowhere.closed_with() == CloseCode.NOT_FOUND


async def test_stage_questions_are_premoderated_and_upvoted(live_server, org, clock):
    from server.scheduling.series import MediaMode

    _room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka", media_mode=MediaMode.STAGE
    )
    asker, other = parents["Mustikka"], parents["Puolukka"]
    await asker.send(type="ask", cid="q1", text="Miten kerron lapselle?")
    pending = await facilitator.expect("question", status="pending")
    await asker.expect("question", status="pending")
    assert not [f for f in await other.silent(0.3) if f["type"].startswith("question")]

    await facilitator.send(type="question", question=pending["seq"], action="approve")
    approved = await other.expect("question_update", status="approved")
    assert approved["question"] == pending["seq"]
    await other.send(type="upvote", question=pending["seq"])
    voted = await asker.expect("question_update", votes=1)
    assert voted["status"] == "approved"
    await other.send(type="upvote", question=pending["seq"])
    assert (await other.expect("error"))["code"] == "duplicate"


async def test_question_outside_a_stage_session_is_refused(live_server, org, clock):
    _room, _facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    await parents["Mustikka"].send(type="ask", cid="q", text="?")
    assert (await parents["Mustikka"].expect("error"))["code"] == "wrong_mode"


async def test_more_than_three_connections_per_person_are_refused(live_server, org, clock):
    room, _facilitator, _parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    extra = [
        await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
        for _ in range(2)
    ]
    for client in extra:
        await client.expect("welcome")
    fourth = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    assert await fourth.closed_with() == CloseCode.TOO_MANY_CONNECTIONS


async def test_flooding_gets_rate_limited(live_server, org, clock):
    _room, _facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    parent: RoomClient = parents["Mustikka"]
    for _ in range(40):
        await parent.send(type="ping")
    frames = await parent.silent(0.5)
    assert any(f.get("code") == "rate_limited" for f in frames)
    try:
        for _ in range(200):
            await parent.send(type="ping")
    except websockets.ConnectionClosed:
        pass
    assert await parent.closed_with() == CloseCode.ABUSE


async def test_raised_hand_is_seen_by_everyone_and_lowered_again(live_server, org, clock):
    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka"
    )
    await parents["Mustikka"].send(type="hand", raised=True)
    raised = await facilitator.expect("hand", raised=True)
    assert raised["peer"] == parents["Mustikka"].peer
    await parents["Puolukka"].expect("hand", raised=True)
    await parents["Mustikka"].send(type="hand", raised=False)
    await facilitator.expect("hand", raised=False)
    late = await connect(live_server, room.session_id, cookies=room.volunteer)
    welcome = await late.expect("welcome")
    assert {m["name"]: m["hand"] for m in welcome["members"]}["Mustikka"] is False


async def test_an_event_is_serialised_once_for_all_its_recipients(
    live_server, org, clock, monkeypatch
):
    from server.rooms import connection, hub, runtime

    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka"
    )
    volunteer = await connect(live_server, room.session_id, cookies=room.volunteer)
    await volunteer.expect("welcome")
    encoded: list[object] = []
    real_encode = connection.frame_text

    def counting_encode(obj):
        encoded.append(obj)
        return real_encode(obj)

    # Frames are encoded by connection.frame_text, one reused encoder the hub and runtime import.
    for module in (connection, hub, runtime):
        monkeypatch.setattr(module, "frame_text", counting_encode)
    await facilitator.say("kaikille", cid="once")
    for client in (parents["Mustikka"], parents["Puolukka"], volunteer, facilitator):
        await client.expect("message", text="kaikille")
    message_frames = [o for o in encoded if isinstance(o, dict) and o.get("type") == "message"]
    assert len(message_frames) == 1  # one encoding, four recipients


async def test_everyone_sees_a_person_leave_and_their_raised_hand_go_down(live_server, org, clock):
    room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    await parents["Mustikka"].send(type="hand", raised=True)
    await facilitator.expect("hand", raised=True)
    await parents["Mustikka"].close()
    await facilitator.expect("presence", name="Mustikka", online=False)
    volunteer = await connect(live_server, room.session_id, cookies=room.volunteer)
    welcome = await volunteer.expect("welcome")
    assert "Mustikka" not in {m["name"] for m in welcome["members"]}
    back = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    await back.expect("welcome")
    again = await facilitator.expect("presence", name="Mustikka", online=True)
    assert again["peer"] == parents["Mustikka"].peer  # the same membership, the same peer id

"""A room gives everyone a welcome after it is reloaded from storage, whatever was deleted."""

from server.scheduling.series import MediaMode
from tests.roomclient import connect
from tests.rooms.support import eventually, open_room_with_parents, reloaded_state


async def test_a_room_whose_message_was_deleted_can_be_entered_after_everyone_left(
    live_server, org, clock
):
    room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    parent = parents["Mustikka"]
    await parent.say("poistettava")
    message = await facilitator.expect("message", text="poistettava")
    await facilitator.send(type="private", cid="p1", to=parent.peer, text="yksityinen")
    private = await parent.expect("private", text="yksityinen")
    await facilitator.send(type="delete", seq=message["seq"])
    await parent.expect("deleted", message=message["seq"])
    await facilitator.send(type="delete", seq=private["seq"])
    await parent.expect("deleted", message=private["seq"])
    hub = live_server.app.state.hub
    live = hub.rooms[room.session_id].state.durable()
    await parent.close()
    await facilitator.close()
    await eventually(lambda: room.session_id not in hub.rooms, 5)  # dropped with its last socket

    assert (await reloaded_state(live_server, room.session_id)).durable() == live
    again = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    welcome = await again.expect("welcome")
    assert "poistettava" not in str(welcome) and "yksityinen" not in str(welcome)
    staff = await connect(live_server, room.session_id, cookies=room.facilitator)
    await staff.expect("welcome")


async def test_a_stage_room_whose_question_was_deleted_can_be_entered_again(
    live_server, org, clock
):
    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", media_mode=MediaMode.STAGE
    )
    parent = parents["Mustikka"]
    await parent.send(type="ask", cid="q1", text="Kysymys?")
    question = await facilitator.expect("question", text="Kysymys?")
    await facilitator.send(type="question", question=question["seq"], action="approve")
    await facilitator.expect("question_update")
    await facilitator.send(type="delete", seq=question["seq"])
    await facilitator.expect("deleted", message=question["seq"])
    hub = live_server.app.state.hub
    live = hub.rooms[room.session_id].state.durable()
    state = await reloaded_state(live_server, room.session_id)
    assert state.durable() == live
    late = await connect(live_server, room.session_id, link=room.parent_links["Puolukka"])
    welcome = await late.expect("welcome")
    assert "Kysymys?" not in str(welcome)


async def test_a_microphone_a_facilitator_stopped_stays_stopped_when_the_room_is_reloaded(
    live_server, org, clock
):
    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", media_mode=MediaMode.GROUP
    )
    peer = parents["Mustikka"].peer
    await facilitator.send(type="av_control", peer=peer, mic_allowed=False, camera_allowed=True)
    await parents["Mustikka"].expect("av", peer=peer, mic_allowed=False)
    hub = live_server.app.state.hub
    live = hub.rooms[room.session_id].state
    assert not live.members[peer].av.mic_allowed
    rebuilt = await reloaded_state(live_server, room.session_id)
    assert not rebuilt.members[peer].av.mic_allowed
    assert rebuilt.durable() == live.durable()
